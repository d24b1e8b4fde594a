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
import { startLoadNginx, type LoadNginx } from '../test/helpers/load-nginx.js';
import { row } from './util.js';

const SECONDS = Number(process.env.MTLS_BENCH_SECONDS ?? 5);
// NOTE: V8 keeps optimizing the handshake path for several seconds at a few hundred handshakes/s (measured with
// --trace-opt: optimizations still completing 10 s in); a 1 s warm-up left that JIT work in the measured window
// (15–30 % of the wire engine's CPU per handshake). A 3 s warm-up still left it there: `perf` over seconds 5.5–13.5 of
// a run (3 s warm-up, full TLS 1.2, wire engine) put 14.6 % of the process's CPU in V8's optimizing compiler, with
// the hot handshake functions (helloDone12, serverKeyExchange, onStreamRead) finishing TurboFan 6–9 s in; alternating
// runs on a quiet machine gave 1.36–1.41 ms per handshake after 3 s and 1.07–1.22 after 15 s. A load run lasts
// minutes: its steady state is what is compared (s_time, C, has no warm-up to do).
const WARMUP = Number(process.env.MTLS_BENCH_WARMUP ?? 12);

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** `openssl s_server` requiring a valid client certificate (-Verify, -verify_return_error), one connection at a time. */
export async function startSServer(fx: FixtureSet, dir: string): Promise<{ port: number; child: ChildProcess }> {
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
      // NOTE: without it s_server only logs a failed client certificate and serves the page anyway (an unknown CA got
      // the page over TLS 1.3): the figures would be those of a server that checks nothing.
      '-verify_return_error',
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
export function sTime(fx: FixtureSet, port: number, tls: TlsVersion, kind: '-new' | '-reuse', www?: string) {
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
    ...(www ? ['-www', www] : []),
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

export async function ours(
  fx: FixtureSet,
  port: number,
  tls: TlsVersion,
  mode: 'full' | 'resumed',
  engine: 'wire' | 'node',
  opts: { workers?: number; workerKind?: WorkerKind; connections?: number } = {},
): Promise<LoadResult> {
  return runLoad({
    host: '127.0.0.1',
    port,
    tls,
    mode,
    engine,
    connections: opts.connections ?? 4,
    durationS: SECONDS,
    warmupS: WARMUP,
    workers: opts.workers ?? 1,
    workerKind: opts.workerKind ?? 'inline',
    trustPem: readFileSync(fx.resolve(fx.manifest.trust), 'utf8'),
    identities: identityPems(fx, ['valid']),
    probe: 'http',
  });
}

// A plain TCP server in its own process (its CPU is not the client's): it answers each chunk it receives, as a TLS
// server answers each flight, and closes when the client does.
const ECHO_SERVER = `
const net = require('node:net');
const answer = Buffer.alloc(1200, 0x61);
const srv = net.createServer({ noDelay: true }, (s) => {
  s.on('data', () => s.write(answer));
  s.on('end', () => s.end());
  s.on('error', () => {});
});
srv.listen(0, '127.0.0.1', () => process.send(srv.address().port));
`;

/**
 * The floor under any TLS client written on node:net: client CPU per bare TCP connection (connect, two round trips of
 * a few hundred bytes each way — the flights of a resumed TLS 1.2 handshake and its proof request — then FIN and
 * close), with 4 connections in flight as our engines run, and no TLS at all.
 */
async function nodeTcpFloor(seconds: number): Promise<{ connections: number; cpuMsPerConnection: number }> {
  const child = spawn(process.execPath, ['-e', ECHO_SERVER], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.once('message', (m) => resolve(m as number));
      child.once('exit', () => reject(new Error('the TCP floor server exited')));
    });
    const flight = Buffer.alloc(300, 0x62);
    const one = () =>
      new Promise<void>((resolve) => {
        let answers = 0;
        const s = net.connect({ host: '127.0.0.1', port, noDelay: true });
        s.write(flight);
        s.on('data', () => {
          if (++answers === 1) s.write(flight);
          else if (answers === 2) s.end();
        });
        s.on('close', () => resolve());
        s.on('error', () => {});
      });
    const run = async (ms: number) => {
      let n = 0;
      const end = performance.now() + ms;
      const c0 = process.cpuUsage();
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          while (performance.now() < end) {
            await one();
            n++;
          }
        }),
      );
      const c = process.cpuUsage(c0);
      return { connections: n, cpuMsPerConnection: (c.user + c.system) / 1000 / n };
    };
    await run(1000);
    return await run(seconds * 1000);
  } finally {
    child.kill();
  }
}

/**
 * Evidence that the server measured checks client certificates: a handshake with a certificate from an unknown CA is
 * refused (TLS 1.2 and 1.3) while the valid one is accepted. Throws otherwise: no figure of a server that checks nothing.
 */
async function assertRefuses(fx: FixtureSet, port: number): Promise<void> {
  for (const tls of ['1.2', '1.3'] as const) {
    for (const [id, accepted] of [
      ['unknown-ca', 0],
      ['valid', 1],
    ] as const) {
      const r = await runLoad({
        host: '127.0.0.1',
        port,
        tls,
        connections: 1,
        handshakes: 1,
        trustPem: readFileSync(fx.resolve(fx.manifest.trust), 'utf8'),
        identities: identityPems(fx, [id]),
        probe: 'http',
        // NOTE: the sanity probe would stop the refused identity's run before its one counted handshake.
        sanity: false,
      });
      if (r.handshakes.succeeded !== accepted || r.handshakes.rejected !== 1 - accepted)
        throw new Error(
          `bench server: TLS ${tls} '${id}' gave ${r.handshakes.succeeded} accepted, ${r.handshakes.rejected} refused (expected ${accepted}, ${1 - accepted})`,
        );
    }
  }
}

const cpuS = (r: LoadResult) => (r.cpu ? (r.cpu.userMs + r.cpu.systemMs) / 1000 : NaN);
const eff = (r: LoadResult) => r.handshakes.succeeded / cpuS(r);

function oursRows(label: string, r: LoadResult): void {
  row(
    `${label}: handshakes/s · per client-CPU-s · CPU ms/hs`,
    `${r.handshakesPerSecond.total.toFixed(0)} · ${eff(r).toFixed(0)} · ${r.clientCpuMsPerHandshake?.toFixed(3)}`,
  );
  row(
    `${label}: resumed ratio · p50 / p99 ms`,
    `${r.resumedRatio?.toFixed(3)} · ${r.latencyMs.p50} / ${r.latencyMs.p99}`,
  );
}

/**
 * load: our two load engines (wire, node:tls) and `openssl s_time` against the same `openssl s_server -Verify`
 * (client certificate required), for full TLS 1.2, full TLS 1.3 and resumed TLS 1.2, and the two engines alone for
 * resumed TLS 1.3 (s_time cannot resume TLS 1.3: openssl#17964): handshakes per client-CPU-second (user + system)
 * and their ratios. Then total handshakes/s of 2 worker processes against nginx with `worker_processes 2`.
 */
export async function benchLoad(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mtls-bench-load-'));
  let server: ChildProcess | undefined;
  let nginx: LoadNginx | undefined;
  try {
    await generateFixtures({ out: path.join(dir, 'fx') });
    const fx = loadManifest(path.join(dir, 'fx'));
    const s = await startSServer(fx, dir);
    server = s.child;
    console.log(
      `load: our load module vs openssl s_time against one openssl s_server -Verify (mTLS, ECDSA P-256), ${SECONDS} s each (ours after a ${WARMUP} s warm-up), ${os.availableParallelism()} cores`,
    );
    await assertRefuses(fx, s.port);
    const floor = await nodeTcpFloor(SECONDS);
    let resumed12Ref = NaN;
    const cases: [string, TlsVersion, 'full' | 'resumed', '-new' | '-reuse'][] = [
      ['full TLS 1.2', '1.2', 'full', '-new'],
      ['full TLS 1.3', '1.3', 'full', '-new'],
      ['resumed TLS 1.2', '1.2', 'resumed', '-reuse'],
    ];
    for (const [label, tls, mode, flag] of cases) {
      const ref = await sTime(fx, s.port, tls, flag);
      const refProof = await sTime(fx, s.port, tls, flag, '/');
      const wire = await ours(fx, s.port, tls, mode, 'wire');
      const node = await ours(fx, s.port, tls, mode, 'node');
      const refEff = ref.handshakes / ref.cpuS;
      const refProofEff = refProof.handshakes / refProof.cpuS;
      if (flag === '-reuse') resumed12Ref = (ref.cpuS * 1000) / ref.handshakes;
      console.log(`  ${label}`);
      for (const [r, how] of [
        [ref, ''],
        [refProof, ' -www / (the GET and answer ours proves acceptance with)'],
      ] as const)
        row(
          `openssl s_time ${flag}${how}: handshakes/s · per client-CPU-s · CPU ms/hs`,
          `${(r.handshakes / r.seconds).toFixed(0)} · ${(r.handshakes / r.cpuS).toFixed(0)} · ${((r.cpuS * 1000) / r.handshakes).toFixed(3)}`,
        );
      oursRows('ours, wire engine (4 connections, 1 worker)', wire);
      oursRows('ours, node engine (4 connections, 1 worker)', node);
      row(
        `efficiency wire / s_time (aim ≥ ${mode === 'full' ? '1.5' : '1.0'}) · node / s_time`,
        `${(eff(wire) / refEff).toFixed(2)} · ${(eff(node) / refEff).toFixed(2)}`,
      );
      row(
        'the same work (s_time -www /: a GET and its answer after each handshake): wire / s_time · node / s_time',
        `${(eff(wire) / refProofEff).toFixed(2)} · ${(eff(node) / refProofEff).toFixed(2)}`,
      );
    }
    console.log(
      '  the floor of node:net (no TLS): what any client on Node sockets spends before its first byte of TLS',
    );
    row(
      'bare TCP connect + 2 round trips + close, 4 in flight: CPU ms/connection',
      `${floor.cpuMsPerConnection.toFixed(3)} (${floor.connections} connections)`,
    );
    row(
      'floor / s_time -reuse TLS 1.2 CPU per handshake (> 1: the 1.0× aim is out of reach)',
      (floor.cpuMsPerConnection / resumed12Ref).toFixed(2),
    );
    // NOTE: s_time cannot resume TLS 1.3 (openssl#17964): the wire engine against the node engine.
    console.log('  resumed TLS 1.3 (s_time cannot resume TLS 1.3)');
    const wire13 = await ours(fx, s.port, '1.3', 'resumed', 'wire');
    const node13 = await ours(fx, s.port, '1.3', 'resumed', 'node');
    oursRows('ours, wire engine (4 connections, 1 worker)', wire13);
    oursRows('ours, node engine (4 connections, 1 worker)', node13);
    row(
      'CPU per handshake node / wire (aim ≥ 2)',
      `${((node13.clientCpuMsPerHandshake ?? NaN) / (wire13.clientCpuMsPerHandshake ?? NaN)).toFixed(2)}`,
    );
    server.kill();
    server = undefined;
    const ng = await startLoadNginx(fx, dir, { workers: 2 });
    nginx = ng;
    console.log('  nginx, worker_processes 2: total handshakes/s with 2 workers (child processes, 8 connections)');
    for (const [label, tls, mode] of [
      ['full TLS 1.3', '1.3', 'full'],
      ['full TLS 1.2', '1.2', 'full'],
      ['resumed TLS 1.2', '1.2', 'resumed'],
      ['resumed TLS 1.3', '1.3', 'resumed'],
    ] as const) {
      const figures: string[] = [];
      for (const engine of ['wire', 'node'] as const) {
        const r = await ours(fx, ng.port, tls, mode, engine, { workers: 2, workerKind: 'process', connections: 8 });
        figures.push(
          `${engine} ${r.handshakesPerSecond.total.toFixed(0)} (${r.clientCpuMsPerHandshake?.toFixed(3)} ms CPU/hs${mode === 'resumed' ? `, resumed ${r.resumedRatio?.toFixed(2)}` : ''})`,
        );
      }
      row(`${label}: handshakes/s`, figures.join(' · '));
    }
  } finally {
    server?.kill();
    await nginx?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
