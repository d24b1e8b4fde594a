import { describe, expect, it } from 'vitest';
import { formatConsole } from '../../../reports/console.js';
import { formatHtml } from '../../../reports/html.js';
import { formatJunit } from '../../../reports/junit.js';
import { formatMarkdown } from '../../../reports/markdown.js';
import { result, sampleRun, summarise } from './sample.js';

const accepted = {
  outcome: 'accepted' as const,
  step: 'application-data' as const,
  handshakeCompleted: true,
  protocol: 'TLSv1.3',
};

/** One protocol-severity failure (an unrequested extension tolerated) beside a pass: a warning, not a failure. */
function warningRun(strict: boolean) {
  const results = [
    result({ id: 'require::validity::expired' }),
    result({
      id: 'require::handshake::unrequested-cert-entry-extension',
      severity: 'protocol',
      observed: accepted,
      verdict: 'fail',
      reason: 'a client that must be rejected was accepted: wire: accepted',
    }),
  ];
  const summary = { ...summarise(results) };
  const gated = strict ? { ...summary, gating: 1, warnings: 0 } : summary;
  return sampleRun({ results, summary: gated, gate: { strict, mode: 'all' }, conformant: !strict });
}

describe('severity in the reports', () => {
  it('counts a protocol failure as a warning, not a gating failure', () => {
    const run = warningRun(false);
    expect(run.summary).toMatchObject({ fail: 1, gating: 0, warnings: 1 });
  });

  it('console: a Warnings section and a CONFORMANT headline that names the warning', () => {
    const text = formatConsole(warningRun(false));
    expect(text).toMatch(/Warnings \(1\): protocol-severity failures, not gating/);
    expect(text).not.toMatch(/^Failures/m);
    expect(text.trimEnd().split('\n').at(-1)).toBe('CONFORMANT (1 warning(s))');
    expect(formatConsole(warningRun(true)).trimEnd().split('\n').at(-1)).toBe('NOT CONFORMANT: 1 gating failure(s)');
  });

  it('JUnit: the warning passes with a WARNING system-out; under --strict it is a failure', () => {
    const xml = formatJunit(warningRun(false));
    expect(xml).toContain('failures="0"');
    expect(xml).toMatch(/<system-out>WARNING \(protocol severity/);
    expect(formatJunit(warningRun(true))).toMatch(/<failure [^>]*type="fail"/);
  });

  it('Markdown and HTML: a warnings section', () => {
    expect(formatMarkdown(warningRun(false))).toMatch(/### Warnings \(1\)/);
    const html = formatHtml(warningRun(false));
    expect(html).toMatch(/<section id="warnings">/);
    expect(html).toMatch(/<h2>Failing scenarios \(0\)<\/h2>/);
  });

  it('every report states what was not verified', () => {
    const run = sampleRun();
    expect(run.coverage.notVerified.some((l) => /not verified: 2 result\(s\) skipped/.test(l))).toBe(true);
    expect(formatConsole(run)).toMatch(/Not verified\n {2}crl not verified: 2 result\(s\) skipped — target lacks/);
    expect(formatMarkdown(run)).toMatch(/### Not verified/);
    expect(formatHtml(run)).toMatch(/<section id="coverage">/);
  });
});

describe('the reports agree with --gate regressions', () => {
  it('a failure the baseline already had is not a JUnit failure, a new one is; the console agrees', async () => {
    const { baselineRun } = await import('./sample.js');
    const { applyGate } = await import('../../../engine/baseline.js');
    const run = applyGate(baselineRun(), 'regressions');
    // The sample: one new failure (expired-leaf TLS 1.3), the xpass unchanged since the baseline.
    expect(run.summary.gating).toBe(1);
    const xml = formatJunit(run);
    expect(xml.match(/<failure /g)?.length).toBe(1);
    expect(xml).toMatch(/WARNING \(already an unexpected pass in the baseline, accepted by --gate regressions\)/);
    expect(formatConsole(run).trimEnd().split('\n').at(-1)).toMatch(/^NOT CONFORMANT: 1 gating failure\(s\)/);
  });
});

describe('advisory findings (sessions and identity)', () => {
  /** A resumption that ignored revocation: an advisory failure, and a security pass beside it. */
  function findingRun() {
    const results = [
      result({
        id: 'require::resumption::psk::resume-after-revocation',
        severity: 'advisory',
        observed: accepted,
        verdict: 'fail',
        finding: 'resumed without a certificate after revocation (resumption honours revocation: no)',
        reason: 'a client that must be rejected was accepted',
      }),
      result({
        id: 'require::resumption::psk::resume-cross-sni',
        finding: 'the server ran a full handshake with a CertificateRequest',
      }),
    ];
    return sampleRun({ results, summary: summarise(results) });
  }

  it('never gates: the run stays conformant, and the failure is not a warning either', () => {
    const run = findingRun();
    expect(run.summary).toMatchObject({ fail: 1, gating: 0, warnings: 0 });
    expect(formatConsole(run).trimEnd().split('\n').at(-1)).toBe('CONFORMANT');
  });

  it('every report has a "Sessions and identity" section with what was seen', () => {
    const run = findingRun();
    expect(formatConsole(run)).toMatch(
      /Sessions and identity \(2\)\n {2}fail, advisory require::resumption::psk::resume-after-revocation \[TLS 1\.3\]: resumed without a certificate after revocation/,
    );
    expect(formatMarkdown(run)).toMatch(/### Sessions and identity \(2\)/);
    expect(formatHtml(run)).toMatch(/<section id="sessions">/);
    const xml = formatJunit(run);
    expect(xml).toContain('failures="0"');
    expect(xml).toMatch(/WARNING \(advisory finding, never gating: resumed without a certificate after revocation/);
  });

  it('console: passes are counted in one line by default, listed with --verbose; advisory ones always listed', () => {
    const run = findingRun();
    const compact = formatConsole(run);
    expect(compact).toMatch(
      /Sessions and identity \(2\)\n {2}fail, advisory require::resumption::psk::resume-after-revocation \[TLS 1\.3\]: .+\n {2}1 more passed: resumption 1; see --verbose\n\n/,
    );
    expect(compact).not.toContain('resume-cross-sni');
    const verbose = formatConsole(run, { verbose: true });
    expect(verbose).toMatch(
      /^ {2}pass {2}require::resumption::psk::resume-cross-sni \[TLS 1\.3\]: the server ran a full handshake with a CertificateRequest$/m,
    );
    expect(verbose).not.toMatch(/more passed/);
  });

  it('console: a failing security finding is listed without --verbose', () => {
    const results = [
      result({
        id: 'optional::post-handshake::pha-expired',
        observed: accepted,
        verdict: 'fail',
        finding: "post-handshake CertificateRequest answered with 'expired'; the protected resource was served",
        reason: 'a client that must be rejected was accepted',
      }),
    ];
    const text = formatConsole(sampleRun({ results, summary: summarise(results) }));
    expect(text).toMatch(
      /Sessions and identity \(1\)\n {2}fail {2}optional::post-handshake::pha-expired \[TLS 1\.3\]: post-handshake CertificateRequest answered with 'expired'/,
    );
    expect(text).not.toMatch(/more passed/);
  });
});
