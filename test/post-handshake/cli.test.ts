/**
 * `run --protected-path` (issue 12): it names the protected path of a HOST:PORT server declared with
 * `--capabilities per-location-auth`, and is refused before any work otherwise.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const base = ['run', '--fixtures', '/nonexistent', '--policy', 'optional'];
const external = ['--target', '127.0.0.1:9'];

describe('run --protected-path', () => {
  it.each([
    [
      'without per-location-auth',
      [...external, '--protected-path', '/protected/'],
      '--protected-path names the protected path of a HOST:PORT target declared with --capabilities per-location-auth',
    ],
    [
      'for a target the harness starts',
      ['--target', 'builtin', '--protected-path', '/protected/', '--capabilities', 'per-location-auth'],
      '--protected-path names the protected path of a HOST:PORT target declared with --capabilities per-location-auth',
    ],
    [
      'that is the unprotected path',
      [...external, '--capabilities', 'per-location-auth', '--protected-path', '/'],
      "bad --protected-path '/': expected a path other than / starting with /, printable without spaces",
    ],
    [
      'that is not a path',
      [...external, '--capabilities', 'per-location-auth', '--protected-path', 'protected'],
      "bad --protected-path 'protected'",
    ],
    [
      'with a space',
      [...external, '--capabilities', 'per-location-auth', '--protected-path', '/a b'],
      "bad --protected-path '/a b'",
    ],
  ])('is refused %s (exit 2, before any work)', async (_what, flags, message) => {
    const cli = await runCli([...base, ...flags]);
    expect(cli.status, cli.stderr).toBe(2);
    expect(cli.stderr).toContain('MTLS_ERR_USAGE');
    expect(cli.stderr).toContain(message);
  });

  it('per-location-auth is a capability a HOST:PORT server can be declared with, and --help says so', async () => {
    const help = await runCli(['run', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(
      /--capabilities LIST\|none +what an external server checks: crl,ocsp,identity-policy,pinned-clock,\n +per-location-auth/,
    );
    expect(help.stdout).toMatch(/--protected-path PATH +with per-location-auth: the path that requires a certificate/);
  });
});
