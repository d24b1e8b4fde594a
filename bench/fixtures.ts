import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateFixtures } from '../fixtures-gen/generate.js';
import { median, row } from './util.js';

/**
 * fixtures-gen: wall time of the full default fixture set, next to the openssl CLI's cost for the same number of
 * certificates (`openssl req -x509 -newkey ec`, one process per certificate, as a shell script would make them).
 */
export async function benchFixtures(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mtls-bench-fx-'));
  try {
    const ours: number[] = [];
    let certs = 0;
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      const m = await generateFixtures({ out: path.join(dir, `ours-${i}`), clock: '2026-01-01T00:00:00Z' });
      ours.push(performance.now() - t);
      certs = m.fixtures.length + m.cas.length + 1;
    }
    const per: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t = performance.now();
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:P-256',
          '-nodes',
          '-keyout',
          path.join(dir, 'k.pem'),
          '-out',
          path.join(dir, 'c.pem'),
          '-subj',
          `/CN=bench ${i}`,
          '-days',
          '1',
        ],
        { stdio: 'ignore' },
      );
      per.push(performance.now() - t);
    }
    const oursMs = median(ours);
    const refMs = median(per) * certs;
    console.log('fixtures-gen: full default set (ecdsa-p256)');
    row(
      'mtls-harness fixtures (median of 5, first run includes JIT warm-up)',
      `${oursMs.toFixed(0)} ms for ${certs} certificates`,
    );
    row(`openssl req -x509 × ${certs} (median ${median(per).toFixed(1)} ms each)`, `${refMs.toFixed(0)} ms`);
    row('ratio (openssl / ours; > 1 means we are faster)', (refMs / oursMs).toFixed(2));
    row('aim: default set well under 1 s', oursMs < 1000 ? 'met' : 'NOT met');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
