import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadManifest, type FixtureSet } from '../../core/manifest.js';
import type { RunResult } from '../../core/result.js';
import { runSuite } from '../../engine/run-suite.js';
import { selectScenarios } from '../../engine/select.js';
import { generateFixtures } from '../../fixtures-gen/generate.js';
import { catalogue, CATALOGUE_VERSION } from '../../suites/index.js';
import { startBuiltinServer } from '../../targets/builtin.js';
import { runCli } from '../helpers/cli.js';
import { fromOpenSsl, startHostileServer, type HostileBehaviour } from '../helpers/hostile.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * Servers a user could really meet that make a naive harness report a pass: each accepts every certificate, and
 * drops, resets or closes connections, or breaks one client implementation, or refuses at ClientHello for another
 * reason. None of them may ever yield a `pass` on a scenario whose certificate must be rejected.
 */
const CERTIFICATE_TOPICS = /::(presence|validity|trust|chain|revocation|purpose|crypto|extensions|identity)::/;

let tmp: ReturnType<typeof tempDir>;
let fx: FixtureSet;

beforeAll(async () => {
  tmp = tempDir('mtls-evidence-');
  await generateFixtures({ out: path.join(tmp.path, 'fx') });
  fx = loadManifest(path.join(tmp.path, 'fx'));
});
afterAll(() => tmp[Symbol.dispose]());

/** Runs the CLI against a hostile server; returns the exit status, stderr and results.json. */
async function runAgainst(behaviour: HostileBehaviour, name: string, extra: readonly string[] = []) {
  const server = await startHostileServer(fx, behaviour);
  try {
    const out = path.join(tmp.path, name);
    const r = await runCli([
      'run',
      '--target',
      `127.0.0.1:${server.port}`,
      '--fixtures',
      fx.dir,
      '--policy',
      'require',
      '--capabilities',
      'crl,ocsp,identity-policy',
      '--timeout',
      '2000',
      '--format',
      'json',
      '--quiet',
      '--out',
      out,
      ...extra,
    ]);
    const run = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as RunResult;
    return { status: r.status, stderr: r.stderr, run };
  } finally {
    await server.close();
  }
}

/** The passes of scenarios whose certificate a correct server rejects: there must be none. */
function certificatePasses(run: RunResult): string[] {
  return run.results
    .filter((r) => r.verdict === 'pass' && r.expected.decision === 'reject' && CERTIFICATE_TOPICS.test(r.id))
    .map((r) => `${r.id} ${r.tls}: ${r.reason}`);
}

const half = (n: number) => n % 2 === 1;

describe('hostile servers never yield a pass on a certificate that must be rejected', () => {
  it('accepts every certificate but drops every other connection at accept', async () => {
    const { status, run } = await runAgainst(
      { atAccept: (n) => (half(n) ? 'drop' : 'continue'), afterHandshake: () => 'accept' },
      'drop-at-accept',
    );
    expect(certificatePasses(run)).toEqual([]);
    expect(status).not.toBe(0);
    // The drops are no decisions: never counted as rejections.
    const dropped = run.results.flatMap((r) => r.observations).filter((o) => o.observed.transport?.serverRecords === 0);
    for (const o of dropped) expect(o.evidence).not.toBe('conclusive-rejection');
  });

  it('accepts every certificate but resets every other connection right after the handshake', async () => {
    const { status, run } = await runAgainst(
      { afterHandshake: (_s, n) => (half(n) ? 'reset' : 'accept') },
      'reset-after-handshake',
    );
    expect(certificatePasses(run)).toEqual([]);
    expect(status).toBe(1);
    expect(run.results.some((r) => r.verdict === 'fail' && CERTIFICATE_TOPICS.test(r.id))).toBe(true);
  });

  it('accepts every certificate but closes after a completed handshake for OpenSSL clients only', async () => {
    const { status, stderr, run } = await runAgainst(
      { afterHandshake: (s) => (fromOpenSsl(s) ? 'close' : 'accept') },
      'close-for-one-client',
    );
    expect(certificatePasses(run)).toEqual([]);
    expect(
      status,
      `${stderr}\n${run.results
        .filter((r) => r.verdict === 'error')
        .map((r) => `${r.id} ${r.tls}: ${r.reason}`)
        .join('\n')}`,
    ).toBe(1);
    // Both clients probed each certificate scenario: node:tls saw a close, the wire client was let in.
    const expired = run.results.find((r) => r.id === 'require::validity::expired' && r.tls === '1.2')!;
    expect(expired.verdict).toBe('fail');
    expect(expired.clients).toBe('disagree');
    expect(expired.observations.map((o) => `${o.backend} ${o.evidence}`).sort()).toEqual([
      'node inconclusive-rejection',
      'wire acceptance',
    ]);
    expect(expired.observations.find((o) => o.backend === 'node')?.observed.alert).toBeUndefined();
  });

  it('refuses every ClientHello for a reason unrelated to the certificate', async () => {
    const { status, stderr, run } = await runAgainst({ refuseHello: true, afterHandshake: () => 'accept' }, 'hello');
    expect(run.results.filter((r) => r.verdict === 'pass')).toEqual([]);
    expect(status).toBe(2);
    expect(stderr).toMatch(/^mtls-harness: error MTLS_ERR_/);
  });

  it('a server whose acceptance is random per connection is reported non-conformant', async () => {
    const { status, stderr, run } = await runAgainst(
      { afterHandshake: () => (Math.random() < 0.5 ? 'accept' : 'refuse') },
      'random',
    );
    expect(status).toBe(1);
    expect(stderr).toMatch(/^mtls-harness: NOT CONFORMANT/);
    expect(run.summary.gating).toBeGreaterThan(0);
  });
});

describe('a defect of our own client is caught by its controls', () => {
  it('a corrupted transcript hash turns every wire-probed scenario into an error, never a pass', async () => {
    const target = await startBuiltinServer({ fixtures: fx, policy: 'require' });
    try {
      const run = await runSuite({
        scenarios: selectScenarios(catalogue(), ['require'], 'handshake::*,possession::*,validity::expired'),
        fixtures: fx,
        targets: { require: target },
        tls: ['1.2', '1.3'],
        strictness: 'any',
        wireFault: 'transcript-hash',
        catalogueVersion: CATALOGUE_VERSION,
        catalogueSize: catalogue().length,
      });
      const wireProbed = run.results.filter(
        (r) => !r.id.includes('::sanity::') && r.observations.some((o) => o.backend === 'wire'),
      );
      expect(wireProbed.length).toBeGreaterThan(15);
      const cvDefects = wireProbed.filter((r) => /cv-bitflip|cv-empty-signature|mismatched-key/.test(r.id));
      expect(cvDefects.length).toBe(6);
      for (const r of cvDefects) {
        // The server did answer decrypt_error, exactly as for a real defect — and the control proves it means nothing.
        expect(r.verdict, `${r.id} ${r.tls}`).toBe('error');
        expect(r.reason, `${r.id} ${r.tls}`).toMatch(/^control refused: the wire client/);
      }
      expect(wireProbed.filter((r) => r.verdict === 'pass' && r.expected.decision === 'reject')).toEqual([]);
      expect(run.controls.filter((c) => c.backend === 'wire').every((c) => !c.accepted)).toBe(true);
      expect(run.conformant).toBe(false);
    } finally {
      await target.stop();
    }
  });
});
