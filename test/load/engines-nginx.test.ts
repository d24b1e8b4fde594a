import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FixtureSet } from '../../core/manifest.js';
import type { TlsVersion } from '../../core/scenario.js';
import { ADAPTERS, probeAdapter } from '../../targets/process/index.js';
import { startLoadNginx, type LoadNginx } from '../helpers/load-nginx.js';
import { bothEnginesJudgedByLog, freshFixtures } from './helpers.js';

// Both load engines (issue 14) against nginx, resumption proven by nginx itself: every request is logged with
// `$ssl_session_reused` ("r" on a resumed session), and the engines' resumed counts must be what nginx logged.
// A plain nginx (client certificates required, no OCSP: nginx with ssl_ocsp refuses resumed sessions, issue 9).
const ON_CI = Boolean(process.env.CI);
const probe = await probeAdapter(ADAPTERS.nginx);
if (!probe.available && !ON_CI) console.warn(`test/load/engines-nginx: skipping nginx: ${probe.reason}`);
it.runIf(!probe.available && ON_CI)('nginx is installed (CI=true: a missing server is a failure)', () => {
  expect.fail(`nginx is not available, and CI=true: ${probe.available ? '' : probe.reason}`);
});

let fixtures: Awaited<ReturnType<typeof freshFixtures>>;
let fx: FixtureSet;
let nginx: LoadNginx | undefined;
let port = 0;
let log = '';

describe.skipIf(!probe.available)('both engines against nginx, $ssl_session_reused as judge', () => {
  beforeAll(async () => {
    fixtures = await freshFixtures();
    fx = fixtures.fx;
    log = path.join(fixtures.dir, 'nginx', 'reuse.log');
    nginx = await startLoadNginx(fx, fixtures.dir, { reuseLog: log });
    port = nginx.port;
  });
  afterAll(async () => {
    await nginx?.stop();
    fixtures?.dispose();
  });

  const logged = () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []);

  describe.each<TlsVersion>(['1.2', '1.3'])('TLS %s', (version) => {
    it.each(['full', 'resumed', 'mixed'] as const)(
      '%s: both engines resume what nginx says they resumed',
      async (mode) => {
        const runs = await bothEnginesJudgedByLog({
          fx,
          port,
          tls: version,
          mode,
          logged,
          isReused: (l) => l.startsWith('r '),
        });
        for (const { result: r, lines, reused } of [runs.wire, runs.node]) {
          expect(lines.every((l) => l.endsWith(version === '1.3' ? 'TLSv1.3' : 'TLSv1.2'))).toBe(true);
          expect(r.handshakes.succeeded).toBe(30);
          expect(r.handshakes.resumed).toBe(reused);
        }
        expect(runs.wire.counts).toEqual(runs.node.counts);
      },
    );
  });
});
