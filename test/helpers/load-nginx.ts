import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { FixtureSet } from '../../core/manifest.js';
import { closedPort } from './servers.js';

/**
 * A plain nginx for the load engines (`npm run bench load`, test/load/engines-nginx.test.ts): client certificates
 * required against the fixtures' root, a shared session cache, `200 ok` on `/`, and nothing else — no CRL, no OCSP
 * (nginx with ssl_ocsp refuses resumed sessions, issue 9): the cost measured is the TLS handshake's.
 */
export interface LoadNginxOptions {
  /** `worker_processes` (default 1). */
  readonly workers?: number;
  /**
   * A file to log one line per request to: `$ssl_session_reused $ssl_protocol` (nginx's own word on resumption:
   * "r" for a resumed session); no access log when absent.
   */
  readonly reuseLog?: string;
}

/** The nginx.conf of {@link startLoadNginx} for `root` (its pid, error log and temp paths) and `port`. */
export function renderLoadNginx(fx: FixtureSet, root: string, port: number, o: LoadNginxOptions = {}): string {
  return [
    `worker_processes ${o.workers ?? 1};`,
    `pid ${root}/nginx.pid;`,
    `error_log ${root}/error.log warn;`,
    ...(process.getuid?.() === 0 ? ['user nobody nogroup;'] : []),
    'events { worker_connections 1024; }',
    'http {',
    ...(o.reuseLog
      ? ["  log_format reuse '$ssl_session_reused $ssl_protocol';", `  access_log ${o.reuseLog} reuse;`]
      : ['  access_log off;']),
    `  client_body_temp_path ${root}/body;`,
    '  server {',
    `    listen 127.0.0.1:${port} ssl;`,
    `    ssl_certificate ${fx.resolve(fx.manifest.server.chain)};`,
    `    ssl_certificate_key ${fx.resolve(fx.manifest.server.key)};`,
    '    ssl_protocols TLSv1.2 TLSv1.3;',
    '    ssl_session_cache shared:load:10m;',
    `    ssl_client_certificate ${fx.resolve(fx.manifest.trust)};`,
    '    ssl_verify_client on;',
    '    ssl_verify_depth 5;',
    '    location / { return 200 "ok\\n"; }',
    '  }',
    '}',
    '',
  ].join('\n');
}

async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

/** A started {@link renderLoadNginx} nginx, stopped by its own PID. */
export interface LoadNginx {
  readonly port: number;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts nginx in the foreground under `dir/nginx` on a free loopback port; resolves once it accepts connections. */
export async function startLoadNginx(fx: FixtureSet, dir: string, o: LoadNginxOptions = {}): Promise<LoadNginx> {
  const root = path.join(dir, 'nginx');
  mkdirSync(root, { recursive: true });
  const port = await closedPort();
  writeFileSync(path.join(root, 'nginx.conf'), renderLoadNginx(fx, root, port, o));
  const child = spawn('nginx', ['-p', `${root}/`, '-c', `${root}/nginx.conf`, '-e', 'stderr', '-g', 'daemon off;'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + 10_000;
  while (!(await listening(port))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error('nginx did not start');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { port, child, stop };
}
