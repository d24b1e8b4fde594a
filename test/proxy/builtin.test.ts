import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gates } from '../../core/gate.js';
import { loadManifest, type FixtureSet } from '../../core/manifest.js';
import { generateFixtures } from '../../fixtures-gen/generate.js';
import { startEchoBackend, type EchoBackend } from '../../services/echo-backend.js';
import { startBuiltinServer } from '../../targets/builtin.js';
import { freePort } from '../../targets/process/index.js';
import type { StartedTarget } from '../../targets/target.js';
import { runCli } from '../helpers/cli.js';
import { openssl } from '../helpers/openssl.js';
import { tempDir } from '../helpers/tmp.js';
import { startCli } from '../signals/helpers.js';
import { curlThrough, resultsOf, runProxyScenarios, valuesOf, verdicts } from './helpers.js';

// Issue 12: identity propagation through a proxy, against the built-in server's proxy mode (the reference) and its
// deliberately broken variant; curl is the independent client, and `run --echo-backend` the HOST:PORT path.

const tmp = tempDir('mtls-proxy-builtin-');
const fxDir = path.join(tmp.path, 'fx');
let fx: FixtureSet;
let echo: EchoBackend;
beforeAll(async () => {
  await generateFixtures({ out: fxDir });
  fx = loadManifest(fxDir);
  echo = await startEchoBackend();
});
afterAll(async () => {
  await echo?.close();
  tmp[Symbol.dispose]();
});

/** Starts the built-in server in proxy mode for each policy; stops them after `body`. */
async function withBuiltin(
  weaken: 'proxy-passthrough' | undefined,
  body: (targets: StartedTarget[]) => Promise<void>,
): Promise<void> {
  const targets: StartedTarget[] = [];
  try {
    for (const policy of ['require', 'optional'] as const)
      targets.push(await startBuiltinServer({ fixtures: fx, policy, proxy: { echo }, ...(weaken ? { weaken } : {}) }));
    await body(targets);
  } finally {
    await Promise.all(targets.map((t) => t.stop()));
  }
}

describe('the built-in server in proxy mode', () => {
  it('passes every proxy-identity scenario over TLS 1.2 and 1.3, each resting on an accepted control', async () => {
    await withBuiltin(undefined, async (targets) => {
      const run = await runProxyScenarios(fx, targets, 'builtin');
      expect(run.error, run.error?.message).toBeUndefined();
      const proxied = run.results.filter((r) => r.id.includes('::proxy-identity::'));
      expect(proxied).toHaveLength(12);
      expect(
        proxied.filter((r) => r.verdict !== 'pass'),
        verdicts(run).join('\n'),
      ).toEqual([]);
      expect(run.conformant).toBe(true);
      // Both clients probed each, and each rests on the valid client's identity reaching the backend on its path.
      for (const r of proxied) {
        expect(r.observations.map((o) => o.backend)).toEqual(['node', 'wire']);
        expect(r.controls).toHaveLength(2);
        for (const id of r.controls) expect(run.controls.find((c) => c.id === id)?.accepted, id).toBe(true);
      }
      // What was seen, in words.
      for (const r of resultsOf(run, 'spoofed-identity-no-certificate'))
        expect(r.finding).toBe(
          'the proxy overwrote or removed every forged identity header: the backend received X-SSL-Client-Verify: "NONE", X-SSL-Client-S-DN: (none), X-Client-Cert: (none), X-Forwarded-Client-Cert: (none)',
        );
      for (const r of resultsOf(run, 'spoofed-identity-other-certificate'))
        expect(r.finding).toBe(
          'the backend received valid only (in X-SSL-Client-S-DN, X-SSL-Client-Cert), never the claimed valid-rsa-2048',
        );
      for (const r of resultsOf(run, 'failed-verification-forwarded')) {
        expect(r.observed.outcome).toBe('rejected-http');
        expect(r.observed.httpStatus).toBe(495);
      }
      for (const r of resultsOf(run, 'dn-injection'))
        expect(r.finding).toBe(
          "the backend received the subject unambiguously: X-SSL-Client-S-DN (rfc4514) read back as the certificate's own CN",
        );
    });
  });

  it('curl agrees: forged headers are replaced, only the certificate sent is named, the hostile subject escaped', async () => {
    await withBuiltin(undefined, async ([, optional]) => {
      const port = optional!.endpoint.port;
      const none = await curlThrough(fx, port, null);
      expect(none.status, none.stderr).toBe(200);
      expect(valuesOf(none.relayed, 'X-SSL-Client-Verify')).toEqual(['NONE']);
      for (const name of ['X-SSL-Client-S-DN', 'X-Client-Cert', 'X-Forwarded-Client-Cert'])
        expect(valuesOf(none.relayed, name), name).toEqual([]);

      const other = await curlThrough(fx, port, 'valid');
      expect(valuesOf(other.relayed, 'X-SSL-Client-Verify')).toEqual(['SUCCESS']);
      expect(valuesOf(other.relayed, 'X-SSL-Client-S-DN')).toEqual([
        'O=mtls-harness test PKI,CN=mtls-harness client valid',
      ]);

      // The subject as the built-in proxy forwards it reads back as openssl's own RFC 2253 rendering of the
      // certificate (the proxy also escapes '=', which RFC 4514 allows).
      const hostile = await curlThrough(fx, port, 'dn-injection', []);
      const [dn] = valuesOf(hostile.relayed, 'X-SSL-Client-S-DN');
      const byOpenssl = await openssl(
        ['x509', '-in', fx.fixture('dn-injection').cert, '-noout', '-subject', '-nameopt', 'RFC2253'],
        { cwd: fx.dir },
      );
      expect(byOpenssl.out.trim()).toBe(`subject=${dn!.replace(/\\=/g, '=')}`);
      expect(valuesOf(hostile.relayed, 'X-Injected')).toEqual([]);

      // A certificate that fails verification never reaches the backend: the server refuses it (495).
      const bad = await curlThrough(fx, port, 'unknown-ca');
      expect(bad.status).toBe(495);
      expect(echo.seen(bad.nonce)).toBeUndefined();
    });
  });

  it('the weakened proxy (client identity headers passed through) is caught: the spoofed scenarios fail, and gate', async () => {
    await withBuiltin('proxy-passthrough', async ([, optional]) => {
      const run = await runProxyScenarios(fx, [optional!], 'builtin');
      const failed = run.results.filter((r) => r.verdict === 'fail').map((r) => `${r.id} ${r.tls}`);
      expect(failed.sort()).toEqual([
        'optional::proxy-identity::spoofed-identity-no-certificate 1.2',
        'optional::proxy-identity::spoofed-identity-no-certificate 1.3',
        'optional::proxy-identity::spoofed-identity-other-certificate 1.2',
        'optional::proxy-identity::spoofed-identity-other-certificate 1.3',
      ]);
      for (const r of run.results.filter((x) => x.verdict === 'fail')) {
        expect(r.severity).toBe('security');
        expect(gates(r, run.gate)).toBe(true);
      }
      expect(resultsOf(run, 'spoofed-identity-no-certificate')[0]!.finding).toMatch(
        /^the proxy forwarded a forged X-SSL-Client-Verify, X-SSL-Client-S-DN, X-Client-Cert, X-Forwarded-Client-Cert \(X-SSL-Client-Verify: "SUCCESS" as sent;/,
      );
      expect(run.conformant).toBe(false);
      // curl sees the same: its forged verification reaches the backend beside the proxy's own.
      const view = await curlThrough(fx, optional!.endpoint.port, null);
      expect(valuesOf(view.relayed, 'X-SSL-Client-Verify')).toEqual(['SUCCESS', 'NONE']);
    });
  });
});

describe('run --target HOST:PORT --echo-backend', () => {
  /** Starts the built-in proxy for `optional`, forwarding to an echo backend at `echoPort` (not running yet). */
  const proxyTo = (echoPort: number, weaken?: 'proxy-passthrough') =>
    startBuiltinServer({
      fixtures: fx,
      policy: 'optional',
      proxy: { echo: { host: '127.0.0.1', port: echoPort } },
      ...(weaken ? { weaken } : {}),
    });
  const run = (target: StartedTarget, extra: string[], out: string) =>
    runCli([
      'run',
      '--target',
      `127.0.0.1:${target.endpoint.port}`,
      '--fixtures',
      fxDir,
      '--policy',
      'optional',
      '--suite',
      'proxy-identity::*',
      '--format',
      'json',
      '--out',
      path.join(tmp.path, out),
      '--quiet',
      ...extra,
    ]);

  it('PORT: the harness runs the echo backend there; a correct proxy exits 0', async () => {
    const port = await freePort('127.0.0.1');
    const target = await proxyTo(port);
    try {
      const r = await run(target, ['--echo-backend', String(port)], 'port');
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stderr).toBe('');
    } finally {
      await target.stop();
    }
  });

  it('HOST:PORT of a running mtls-harness echo-backend: the proxy that passes client headers through exits 1, one line naming the scenarios', async () => {
    const backend = startCli(['echo-backend', '--port', '0']);
    const port = Number((await backend.waitFor(/listening on http:\/\/127\.0\.0\.1:(\d+)\//))[1]);
    const target = await proxyTo(port, 'proxy-passthrough');
    try {
      const r = await run(target, ['--echo-backend', `127.0.0.1:${port}`], 'hostport');
      expect(r.status, r.stdout + r.stderr).toBe(1);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^mtls-harness: NOT CONFORMANT: 4 gating failure\(s\): optional::proxy-identity::spoofed-identity-no-certificate \[TLS 1\.2\]/,
      );
    } finally {
      await target.stop();
      process.kill(backend.pid, 'SIGTERM');
      expect((await backend.ended).code).toBe(0);
    }
  });

  it('without --echo-backend the scenarios are skipped with the hint; misuse is refused before any work', async () => {
    const target = await proxyTo(await freePort('127.0.0.1'));
    try {
      const skipped = await run(target, [], 'skipped');
      expect(skipped.status, skipped.stderr).toBe(0);
      const results = JSON.parse(readFileSync(path.join(tmp.path, 'skipped', 'results.json'), 'utf8')) as {
        results: { id: string; verdict: string; reason: string }[];
      };
      const proxied = results.results.filter((x) => x.id.includes('::proxy-identity::'));
      expect(proxied).toHaveLength(8);
      for (const x of proxied) {
        expect(x.verdict).toBe('skip');
        expect(x.reason).toMatch(/lacks 'proxy-identity': .*pass --echo-backend PORT/);
      }
      const nobody = await freePort('127.0.0.1');
      const [unreachable, builtin] = await Promise.all([
        run(target, ['--echo-backend', `127.0.0.1:${nobody}`], 'unreachable'),
        runCli(['run', '--echo-backend', '18080']),
      ]);
      expect(unreachable.status).toBe(2);
      expect(unreachable.stderr).toMatch(
        new RegExp(
          `^mtls-harness: error MTLS_ERR_TARGET_UNREACHABLE: --echo-backend 127\\.0\\.0\\.1:${nobody}: no echo backend answers there`,
        ),
      );
      expect(builtin.status).toBe(2);
      expect(builtin.stderr).toMatch(/^mtls-harness: error MTLS_ERR_USAGE: --echo-backend is for a HOST:PORT target/);
    } finally {
      await target.stop();
    }
  });
});
