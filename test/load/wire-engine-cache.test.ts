import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FixtureSet } from '../../core/manifest.js';
import { identityPems } from '../../load/identities.js';
import { runLoad } from '../../load/run-load.js';
import type { LoadOptions } from '../../load/validate.js';
import { formatLoadConsole } from '../../reports/load-console.js';
import { startSServer, type SServer } from '../helpers/s-server.js';
import { freshFixtures } from './helpers.js';

// Issue 14: the wire engine's server chain cache (keyed by the exact bytes, a change noticed and verified again) as the
// report shows it, and the sanity probes of a wire run made by the wire engine itself.
let fixtures: Awaited<ReturnType<typeof freshFixtures>>;
let fx: FixtureSet;
let sserver: SServer;
let serverLog: string;
let clientLog: string;
/** A second server identity issued by `openssl` under the fixtures' intermediate (new key, new certificate). */
let renewed: { key: string; chain: string };
/** A self-signed certificate for localhost: a change the client must refuse. */
let untrusted: { key: string; cert: string };

function openssl(args: readonly string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

beforeAll(async () => {
  fixtures = await freshFixtures();
  fx = fixtures.fx;
  const d = fixtures.dir;
  serverLog = path.join(d, 'server.keylog');
  clientLog = path.join(d, 'client.keylog');
  sserver = await startSServer(fx, ['-keylogfile', serverLog]);
  const intermediate = fx.manifest.cas.find((c) => c.id === 'intermediate')!;
  const ext = path.join(d, 'server-ext.cnf');
  writeFileSync(
    ext,
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ].join('\n'),
  );
  const key = path.join(d, 'renewed.key');
  const csr = path.join(d, 'renewed.csr');
  const cert = path.join(d, 'renewed.pem');
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]);
  openssl(['req', '-new', '-key', key, '-subj', '/CN=localhost', '-out', csr]);
  openssl([
    'x509', '-req', '-in', csr, '-CA', fx.resolve(intermediate.cert), '-CAkey', fx.resolve(intermediate.key!),
    '-set_serial', '0x4e57', '-days', '30', '-sha256', '-extfile', ext, '-out', cert,
  ]); // prettier-ignore
  renewed = {
    key: readFileSync(key, 'utf8'),
    chain: readFileSync(cert, 'utf8') + readFileSync(fx.resolve(intermediate.cert), 'utf8'),
  };
  const selfKey = path.join(d, 'self.key');
  const selfCert = path.join(d, 'self.pem');
  openssl([
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', selfKey,
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost', '-days', '30', '-out', selfCert,
  ]); // prettier-ignore
  untrusted = { key: readFileSync(selfKey, 'utf8'), cert: readFileSync(selfCert, 'utf8') };
});
afterAll(async () => {
  await sserver?.stop();
  delete process.env.SSLKEYLOGFILE;
  fixtures?.dispose();
});

/**
 * A node:tls server requiring a client certificate that answers HTTP 200, and switches to `next` (key and chain) for
 * every handshake after the `after`-th; counts the handshakes it made with each identity.
 */
async function switchingServer(
  after: number,
  next: { key: string; cert: string },
): Promise<{ port: number; before: () => number; afterSwitch: () => number; stop: () => Promise<void> }> {
  const read = (rel: string) => readFileSync(fx.resolve(rel), 'utf8');
  let made = 0;
  let switched = 0;
  const sockets = new Set<net.Socket>();
  const server = tls.createServer(
    {
      key: read(fx.manifest.server.key),
      cert: read(fx.manifest.server.chain),
      ca: read(fx.manifest.trust),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (s) => {
      s.on('error', () => {});
      s.once('data', () => s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok'));
    },
  );
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('secureConnection', () => {
    if (made >= after) switched++;
    made++;
    // The handshakes after this one get the new identity (the client makes one handshake at a time).
    if (made === after) server.setSecureContext({ key: next.key, cert: next.cert, ca: read(fx.manifest.trust) });
  });
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    before: () => made - switched,
    afterSwitch: () => switched,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

function options(port: number, extra: Partial<LoadOptions>): LoadOptions {
  return {
    host: '127.0.0.1',
    port,
    servername: 'localhost',
    trustPem: readFileSync(fx.resolve(fx.manifest.trust), 'utf8'),
    identities: identityPems(fx, ['valid']),
    probe: 'http',
    tls: '1.3',
    mode: 'full',
    engine: 'wire',
    // One handshake at a time: the server's switch falls between two known handshakes.
    connections: 1,
    handshakes: 12,
    workerKind: 'inline',
    sanity: false,
    ...extra,
  };
}

describe.each(['1.2', '1.3'] as const)('wire engine chain cache, TLS %s', (version) => {
  it('a server certificate change mid-run invalidates the cache: the new chain is verified in full, then cached', async () => {
    const server = await switchingServer(5, { key: renewed.key, cert: renewed.chain });
    try {
      const r = await runLoad(options(server.port, { tls: version }));
      // The server's own count: 5 handshakes with the first identity, 7 with the renewed one.
      expect([server.before(), server.afterSwitch()]).toEqual([5, 7]);
      expect(r.handshakes.succeeded).toBe(12);
      // Handshake 1 verifies, 2–5 hit, 6 misses with a chain cached (invalidation) and verifies, 7–12 hit.
      expect(r.chainCache).toEqual({ hits: 10, verifications: 2, invalidations: 1, failures: 0 });
      expect(r.counters.chainCacheInvalidations).toBe(1);
      expect(formatLoadConsole(r, { color: false })).toContain(
        'server chain    verified 2× in full, 10 cache hits (same bytes; signature checked every time), 1 invalidated',
      );
    } finally {
      await server.stop();
    }
  });

  it('a change to an untrusted certificate fails every later handshake, each one verified again', async () => {
    const server = await switchingServer(5, untrusted);
    try {
      const r = await runLoad(options(server.port, { tls: version }));
      expect(r.handshakes.succeeded).toBe(5);
      expect(r.errors).toEqual({ 'server-untrusted': 7 });
      // Never cached: each of the 7 is a miss against the cached trusted chain, and fails verification.
      expect(r.chainCache).toEqual({ hits: 4, verifications: 1, invalidations: 7, failures: 7 });
    } finally {
      await server.stop();
    }
  });

  it('control: an unchanged server chain is verified once', async () => {
    const server = await switchingServer(Number.MAX_SAFE_INTEGER, untrusted);
    try {
      const r = await runLoad(options(server.port, { tls: version }));
      expect(r.handshakes.succeeded).toBe(12);
      expect(r.chainCache).toEqual({ hits: 11, verifications: 1, invalidations: 0, failures: 0 });
      // The node:tls engine has no chain cache: null, not zeros.
      const n = await runLoad(options(server.port, { tls: version, engine: 'node', handshakes: 2 }));
      expect(n.chainCache).toBeNull();
    } finally {
      await server.stop();
    }
  });
});

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

describe('sanity probes of a wire run are wire handshakes (the server key log as judge)', () => {
  it.each(['1.2', '1.3'] as const)(
    'TLS %s: the probes before and after the load are in our key log and the server’s',
    async (version) => {
      const label = version === '1.3' ? 'CLIENT_HANDSHAKE_TRAFFIC_SECRET' : 'CLIENT_RANDOM';
      const run = async (sanity: boolean) => {
        rmSync(clientLog, { force: true });
        process.env.SSLKEYLOGFILE = clientLog;
        try {
          const r = await runLoad(options(sserver.port, { tls: version, handshakes: 4, sanity }));
          expect(r.handshakes.succeeded).toBe(4);
        } finally {
          delete process.env.SSLKEYLOGFILE;
        }
        return lines(clientLog).filter((l) => l.startsWith(`${label} `));
      };
      // Control: without sanity probes the key log holds the run's 4 handshakes only.
      expect(await run(false)).toHaveLength(4);
      // With them: 4 + the probe before + the probe after, all written by the wire engine's key log.
      const ours = await run(true);
      expect(ours).toHaveLength(6);
      // The server made exactly those handshakes and derived the same secrets (s_server flushes each line).
      const deadline = Date.now() + 20_000;
      let missing = ours;
      while (missing.length && Date.now() < deadline) {
        const theirs = new Set(lines(serverLog));
        missing = ours.filter((l) => !theirs.has(l));
        if (missing.length) await new Promise((r) => setTimeout(r, 20));
      }
      expect(missing).toEqual([]);
    },
  );
});
