import { constants, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FixtureSet } from '../../core/manifest.js';
import type { TlsVersion } from '../../core/scenario.js';
import { runLoad } from '../../load/run-load.js';
import type { StartedTarget } from '../../targets/target.js';
import { freshFixtures, loadOptions } from './helpers.js';

// Servers that do not resume: resumption was asked for, did not happen, and the report must say why.
let fixtures: Awaited<ReturnType<typeof freshFixtures>>;
let fx: FixtureSet;
beforeAll(async () => {
  fixtures = await freshFixtures();
  fx = fixtures.fx;
});
afterAll(() => fixtures?.dispose());

/** A plain node:tls mTLS server that answers any data; `options` switch resumption off in different ways. */
async function plainServer(options: tls.TlsOptions, onConnection?: (s: tls.Server) => void): Promise<StartedTarget> {
  const read = (rel: string) => readFileSync(fx.resolve(rel), 'utf8');
  const server = tls.createServer(
    {
      key: read(fx.manifest.server.key),
      cert: read(fx.manifest.server.chain),
      ca: read(fx.manifest.trust),
      requestCert: true,
      rejectUnauthorized: true,
      noDelay: true,
      ...options,
    },
    (socket) => {
      socket.on('error', () => {});
      socket.on('data', () => socket.end('ok\n'));
      onConnection?.(server);
    },
  );
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const stop = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return {
    name: 'plain-node',
    policy: 'require',
    endpoint: { host: '127.0.0.1', port },
    servername: 'localhost',
    capabilities: new Set(),
    probe: 'raw',
    logs: () => '',
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

describe.each<TlsVersion>(['1.2', '1.3'])('TLS %s', (tls) => {
  it('tickets off and no session cache (SSL_OP_NO_TICKET): not resuming, reason "server cache off"', async () => {
    await using server = await plainServer({ secureOptions: constants.SSL_OP_NO_TICKET });
    const r = await runLoad(loadOptions(fx, server, { tls, mode: 'resumed', handshakes: 60 }));
    expect(r.handshakes.succeeded).toBe(60);
    expect(r.resumedRatio).toBe(0);
    expect(r.resumption.serverCacheOff).toBe(60);
    expect(r.resumption.failure?.reason).toBe('server-cache-off');
    expect(r.passed).toBe(false);
    expect(r.failures.join('\n')).toMatch(/resumption failed: .*server cache off/);
  });

  it('ticket keys rotated on every connection: not resuming, reason "ticket refused"', async () => {
    await using server = await plainServer({}, (s) => s.setTicketKeys(randomBytes(48)));
    const r = await runLoad(loadOptions(fx, server, { tls, mode: 'resumed', handshakes: 40, connections: 2 }));
    expect(r.handshakes.succeeded).toBe(40);
    expect(r.resumption.ticketRefused).toBeGreaterThanOrEqual(38);
    expect(r.resumption.failure?.reason).toBe('ticket-refused');
    expect(r.passed).toBe(false);
  });
});
