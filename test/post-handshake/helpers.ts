/**
 * Helpers of the post-handshake tests (issue 12): the independent `openssl s_client` view of a protected location,
 * the Python location server (test/post-handshake/location-server.py), and runs of the post-handshake topic.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { FixtureSet } from '../../core/manifest.js';
import type { RunResult, ScenarioResult } from '../../core/result.js';
import type { TlsVersion } from '../../core/scenario.js';
import { runSuite } from '../../engine/run-suite.js';
import { selectScenarios } from '../../engine/select.js';
import { catalogue, CATALOGUE_VERSION } from '../../suites/index.js';
import { loadExpectations } from '../../targets/expectations.js';
import { freePort } from '../../targets/process/index.js';
import type { StartedTarget } from '../../targets/target.js';
import type { ClientFault } from '../../wire/index.js';
import { identityArgs } from '../helpers/s-client.js';

/** True when python3 with TLS 1.3 post-handshake authentication in its ssl module runs here (location-server.py). */
export const HAS_PYTHON =
  spawnSync('python3', ['-c', 'import ssl; ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).post_handshake_auth = True'])
    .status === 0;

/** Runs the post-handshake topic (and the sanity scenario) against one started target. */
export function runPostHandshake(
  fx: FixtureSet,
  target: StartedTarget,
  options: {
    tls?: readonly TlsVersion[];
    deviations?: string;
    concurrency?: number;
    /** A deliberate defect of the wire client (tests of the controls). */
    wireFault?: ClientFault;
  } = {},
): Promise<RunResult> {
  return runSuite({
    scenarios: selectScenarios(catalogue(), [target.policy], 'post-handshake::*'),
    fixtures: fx,
    targets: { [target.policy]: target },
    tls: options.tls ?? ['1.2', '1.3'],
    strictness: 'any',
    timeoutMs: 4000,
    concurrency: options.concurrency ?? 4,
    deviations: options.deviations ? loadExpectations(options.deviations) : [],
    catalogueVersion: CATALOGUE_VERSION,
    catalogueSize: catalogue().length,
    ...(options.wireFault ? { wireFault: options.wireFault } : {}),
  });
}

/** The result of one post-handshake scenario (by its last id component). */
export function result(run: RunResult, name: string): ScenarioResult {
  const r = run.results.find((x) => x.id === `optional::post-handshake::${name}`);
  if (!r) throw new Error(`no result for ${name}: ${run.results.map((x) => x.id).join(', ')}`);
  return r;
}

/** What `openssl s_client` saw: the alert number, the HTTP status, both absent for a silent close. */
export interface ClientView {
  readonly alert?: number;
  readonly http?: number;
  readonly out: string;
}

/**
 * The independent client: `openssl s_client` with a fixture's certificate (or none) requesting `path` on
 * host:port. `-enable_pha` offers TLS 1.3 post-handshake authentication (s_client then answers a CertificateRequest
 * with its -cert); in TLS 1.2 it renegotiates when the server asks, unless `-no_renegotiation`.
 */
export async function sClient(
  fx: FixtureSet,
  port: number,
  options: {
    readonly tls: TlsVersion;
    readonly fixture: string | null;
    readonly path: string;
    readonly scratch: string;
    readonly extra?: readonly string[];
  },
): Promise<ClientView> {
  const args = [
    's_client',
    '-connect',
    `127.0.0.1:${port}`,
    '-servername',
    'localhost',
    '-CAfile',
    fx.resolve(fx.manifest.trust),
    '-verify_return_error',
    options.tls === '1.3' ? '-tls1_3' : '-tls1_2',
    '-ign_eof',
    '-quiet',
    ...(options.extra ?? []),
  ];
  if (options.fixture) args.push(...identityArgs(fx, options.fixture, options.scratch));
  const out = await new Promise<string>((resolve) => {
    const child = execFile('openssl', args, { timeout: 10_000 }, (_err, stdout, stderr) =>
      resolve(`${String(stdout)}\n${String(stderr)}`),
    );
    // NOTE: stdin stays open until s_client exits — when the server has answered and closed (the request asks it to),
    // or at the 10 s bound: an early EOF could end the connection before the server's request after the handshake. A
    // write after s_client exited is expected.
    child.stdin?.on('error', () => {});
    child.stdin?.write(`GET ${options.path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
    child.on('exit', () => child.stdin?.destroy());
  });
  const alert = /alert number (\d+)/.exec(out)?.[1];
  const http = /HTTP\/1\.[01] (\d{3})/.exec(out)?.[1];
  return { ...(alert ? { alert: Number(alert) } : {}), ...(http ? { http: Number(http) } : {}), out };
}

/** A running Python location server. */
export interface LocationServer {
  readonly port: number;
  readonly proc: ChildProcess;
  output(): string;
  close(): Promise<void>;
}

/**
 * Starts test/post-handshake/location-server.py in a mode (`strict` or `ignore-answer`) with the fixtures' server
 * identity and trust, and waits for it to listen.
 */
export async function startLocationServer(fx: FixtureSet, mode: 'strict' | 'ignore-answer'): Promise<LocationServer> {
  const m = fx.manifest;
  const proc = spawn(
    'python3',
    [
      path.join(import.meta.dirname, 'location-server.py'),
      mode,
      fx.resolve(m.server.chain),
      fx.resolve(m.server.key),
      fx.resolve(m.trust),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  proc.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const check = () => {
      const found = /LISTEN (\d+)/.exec(output)?.[1];
      if (found) resolve(Number(found));
    };
    proc.stdout!.on('data', check);
    proc.once('exit', (code) => reject(new Error(`location-server.py exited with ${code}: ${output}`)));
  });
  return {
    port,
    proc,
    output: () => output,
    close: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * `openssl s_server -tls1_2 -www` asking for nothing in the handshake: on `GET /renegcert` it renegotiates asking for a
 * certificate, but writes its page before it reads the answer (test/wire/renegotiation.test.ts shows the order). A
 * server that asks and ignores the answer, as it comes.
 */
export async function startRenegcertServer(fx: FixtureSet): Promise<LocationServer> {
  const m = fx.manifest;
  const port = await freePort();
  const proc = spawn(
    'openssl',
    [
      's_server',
      '-accept',
      `127.0.0.1:${port}`,
      '-cert',
      fx.resolve(m.server.cert),
      '-cert_chain',
      fx.resolve(m.server.chain),
      '-key',
      fx.resolve(m.server.key),
      '-CAfile',
      fx.resolve(m.trust),
      '-tls1_2',
      '-www',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      output += d.toString();
      if (output.includes('ACCEPT')) resolve();
    });
    proc.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    proc.once('exit', (code) => reject(new Error(`s_server exited with ${code}: ${output}`)));
  });
  await ready;
  return {
    port,
    proc,
    output: () => output,
    close: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill('SIGTERM');
      await exited;
    },
  };
}
