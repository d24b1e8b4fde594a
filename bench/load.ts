import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { LoadResult, WorkerKind } from '../core/load-result.js';
import { loadManifest, type FixtureSet } from '../core/manifest.js';
import type { TlsVersion } from '../core/scenario.js';
import { generateFixtures } from '../fixtures-gen/generate.js';
import { identityPems } from '../load/identities.js';
import { runLoad } from '../load/run-load.js';
import { row } from './util.js';

const SECONDS = Number(process.env.MTLS_BENCH_SECONDS ?? 5);

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** `openssl s_server` requiring a client certificate (-Verify), serving one connection at a time. */
async function startSServer(fx: FixtureSet, dir: string): Promise<{ port: number; child: ChildProcess }> {
  const m = fx.manifest;
  // NOTE: s_time sends only its leaf (-cert), so the server's CA file carries the intermediate as well as the root.
  const bundle = path.join(dir, 'client-cas.pem');
  const intermediate = m.cas.find((c) => c.id === 'intermediate')!;
  writeFileSync(
    bundle,
    readFileSync(fx.resolve(m.trust), 'utf8') + readFileSync(fx.resolve(intermediate.cert), 'utf8'),
  );
  const port = await freePort();
  const child = spawn(
    'openssl',
    [
      's_server',
      '-accept',
      `127.0.0.1:${port}`,
      '-cert',
      fx.resolve(m.server.cert),
      '-key',
      fx.resolve(m.server.key),
      '-cert_chain',
      fx.resolve(intermediate.cert),
      '-CAfile',
      bundle,
      '-Verify',
      '5',
      '-quiet',
      // -www answers an HTTP GET: the sanity probe needs an application-data round trip.
      '-www',
    ],
    { stdio: ['pipe', 'ignore', 'ignore'] },
  );
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return { port, child };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error('openssl s_server did not start');
}

/**
 * `openssl s_time` with its client CPU: run under bash, whose `times` builtin prints the user and system time of its
 * finished children (getrusage RUSAGE_CHILDREN), i.e. exactly s_time's CPU.
 */
function sTime(fx: FixtureSet, port: number, tls: TlsVersion, kind: '-new' | '-reuse') {
  const valid = fx.fixture('valid');
  const args = [
    's_time',
    '-connect',
    `127.0.0.1:${port}`,
    '-cert',
    fx.resolve(valid.cert),
    '-key',
    fx.resolve(valid.key),
    '-CAfile',
    fx.resolve(fx.manifest.trust),
    kind,
    tls === '1.3' ? '-tls1_3' : '-tls1_2',
    '-time',
    String(SECONDS),
  ];
  const script = `openssl ${args.map((a) => `'${a}'`).join(' ')}; times`;
  return new Promise<{ handshakes: number; seconds: number; cpuS: number; out: string }>((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', () => {
      const m = /(\d+) connections in (\d+) real seconds/.exec(out);
      const times = [...out.matchAll(/(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s/g)];
      const children = times[1];
      if (!m || !children) return reject(new Error(`cannot read s_time output:\n${out}`));
      const cpuS = Number(children[1]) * 60 + Number(children[2]) + Number(children[3]) * 60 + Number(children[4]);
      resolve({ handshakes: Number(m[1]), seconds: Number(m[2]), cpuS, out });
    });
  });
}

async function ours(
  fx: FixtureSet,
  port: number,
  tls: TlsVersion,
  mode: 'full' | 'resumed',
  opts: { workers?: number; workerKind?: WorkerKind; connections?: number } = {},
): Promise<LoadResult> {
  return runLoad({
    host: '127.0.0.1',
    port,
    tls,
    mode,
    connections: opts.connections ?? 4,
    durationS: SECONDS,
    warmupS: 1,
    workers: opts.workers ?? 1,
    workerKind: opts.workerKind ?? 'inline',
    trustPem: readFileSync(fx.resolve(fx.manifest.trust), 'utf8'),
    identities: identityPems(fx, ['valid']),
    probe: 'http',
  });
}

/**
 * load: our load module and `openssl s_time` against the same `openssl s_server -Verify` (client certificate
 * required), for full TLS 1.2, full TLS 1.3 and resumed TLS 1.2 (s_time cannot resume TLS 1.3: openssl#17964):
 * handshakes per client-CPU-second (user + system) of each and their ratio, and total handshakes per second.
 * Then worker threads against child processes for the multi-worker default.
 */
export async function benchLoad(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mtls-bench-load-'));
  let server: ChildProcess | undefined;
  try {
    await generateFixtures({ out: path.join(dir, 'fx') });
    const fx = loadManifest(path.join(dir, 'fx'));
    const s = await startSServer(fx, dir);
    server = s.child;
    console.log(
      `load: our load module vs openssl s_time against one openssl s_server -Verify (mTLS, ECDSA P-256), ${SECONDS} s each, ${os.availableParallelism()} cores`,
    );
    const cases: [string, TlsVersion, 'full' | 'resumed', '-new' | '-reuse'][] = [
      ['full TLS 1.2', '1.2', 'full', '-new'],
      ['full TLS 1.3', '1.3', 'full', '-new'],
      ['resumed TLS 1.2', '1.2', 'resumed', '-reuse'],
    ];
    for (const [label, tls, mode, flag] of cases) {
      const ref = await sTime(fx, s.port, tls, flag);
      const r = await ours(fx, s.port, tls, mode);
      const cpuS = r.cpu ? (r.cpu.userMs + r.cpu.systemMs) / 1000 : NaN;
      const ourEff = r.handshakes.succeeded / cpuS;
      const refEff = ref.handshakes / ref.cpuS;
      console.log(`  ${label}`);
      row(
        `openssl s_time ${flag}: handshakes/s · per client-CPU-s · CPU ms/handshake`,
        `${(ref.handshakes / ref.seconds).toFixed(0)} · ${refEff.toFixed(0)} · ${((ref.cpuS * 1000) / ref.handshakes).toFixed(2)}`,
      );
      row(
        `ours (${r.config.connections} connections, 1 worker): handshakes/s · per client-CPU-s · CPU ms/hs`,
        `${r.handshakesPerSecond.total.toFixed(0)} · ${ourEff.toFixed(0)} · ${r.clientCpuMsPerHandshake?.toFixed(2)}`,
      );
      row(
        'ours: resumed ratio · p50 / p99 ms',
        `${r.resumedRatio?.toFixed(3)} · ${r.latencyMs.p50} / ${r.latencyMs.p99}`,
      );
      row('efficiency ratio ours / s_time (aim ≥ 0.8)', `${(ourEff / refEff).toFixed(2)}`);
      row(
        'total handshakes/s ratio ours / s_time (aim > 1)',
        `${(r.handshakesPerSecond.total / (ref.handshakes / ref.seconds)).toFixed(2)}`,
      );
    }
    console.log('  workers: 2 worker threads vs 2 child processes (4 connections), same server');
    for (const [label, tls, mode] of [
      ['full TLS 1.3', '1.3', 'full'],
      ['resumed TLS 1.2', '1.2', 'resumed'],
    ] as const) {
      for (const kind of ['thread', 'process'] as const) {
        const r = await ours(fx, s.port, tls, mode, { workers: 2, workerKind: kind });
        row(
          `${label}, ${kind === 'thread' ? 'worker threads' : 'child processes'}: handshakes/s · CPU ms/handshake`,
          `${r.handshakesPerSecond.total.toFixed(0)} · ${r.clientCpuMsPerHandshake?.toFixed(2)}`,
        );
      }
    }
  } finally {
    server?.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}
