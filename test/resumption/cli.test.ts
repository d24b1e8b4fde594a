/**
 * `run` and the resumption flags of a HOST:PORT target (issue 12): bad values are one line and exit 2 before any work;
 * a built-in server started here, named by its address with `--sni-no-auth`, `--optional-endpoint` and
 * `--ocsp-control`, is conformant (exit 0), and its `trust-resumed` variant is not (exit 1, the security scenarios).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startBuiltinServer } from '../../targets/builtin.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { sharedFixtures } from '../targets/harness.js';

const fixtures = sharedFixtures();

describe('run: resumption flags', () => {
  it.each([
    [['--target', 'nginx', '--sni-no-auth', 'public.localhost'], /--sni-no-auth is for a HOST:PORT target/],
    [
      ['--target', '127.0.0.1:9', '--sni-no-auth', '127.0.0.1'],
      /bad --sni-no-auth '127\.0\.0\.1': expected a DNS name/,
    ],
    [
      ['--target', '127.0.0.1:9', '--optional-endpoint', 'nowhere'],
      /bad --optional-endpoint 'nowhere': expected HOST:PORT/,
    ],
    [
      ['--target', '127.0.0.1:9', '--ocsp-control', 'http://192.0.2.1:8080/control'],
      /--ocsp-control 'http:\/\/192\.0\.2\.1:8080\/control' must be an http URL on a loopback address/,
    ],
  ])('%j is refused: exit 2, one line', async (args, message) => {
    const r = await runCli(['run', ...args]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^mtls-harness: error MTLS_ERR_USAGE: /);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('HOST:PORT with the shapes named: exit 0; the same shapes trusting resumed sessions: exit 1', async () => {
    const fx = fixtures.get();
    using out = tempDir('mtls-resume-cli-');
    for (const [weaken, status] of [
      [undefined, 0],
      ['trust-resumed', 1],
    ] as const) {
      await using server = await startBuiltinServer({
        fixtures: fx,
        policy: 'require',
        resumption: true,
        ...(weaken ? { weaken } : {}),
      });
      const shape = server.resumption!;
      const r = await runCli([
        'run',
        '--target',
        `127.0.0.1:${server.endpoint.port}`,
        '--fixtures',
        fx.dir,
        '--capabilities',
        'crl,ocsp,identity-policy,resumption',
        '--sni-no-auth',
        'public.localhost',
        '--optional-endpoint',
        `127.0.0.1:${shape.optionalEndpoint!.port}`,
        '--ocsp-control',
        shape.ocspControl!,
        '--suite',
        'resumption::*',
        '--tls',
        '1.3',
        '--format',
        'json',
        '--out',
        `${out.path}/${status}`,
      ]);
      expect(r.status, r.stderr).toBe(status);
      const results = JSON.parse(readFileSync(`${out.path}/${status}/results.json`, 'utf8')) as {
        results: { id: string; verdict: string }[];
      };
      const verdicts = Object.fromEntries(results.results.map((x) => [x.id, x.verdict]));
      const bad = status === 1;
      expect(verdicts).toMatchObject({
        'require::resumption::psk::resume-no-certificate': 'pass',
        'require::resumption::psk::resume-cross-sni': bad ? 'fail' : 'pass',
        'require::resumption::psk::resume-optional-to-require': bad ? 'fail' : 'pass',
        'require::resumption::psk::resume-after-revocation': bad ? 'fail' : 'pass',
        'require::resumption::psk::resume-after-expiry': bad ? 'fail' : 'pass',
      });
      if (bad) expect(r.stderr).toMatch(/NOT CONFORMANT/);
    }
  });
});
