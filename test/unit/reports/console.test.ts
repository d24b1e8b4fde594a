import { describe, expect, it } from 'vitest';
import { formatConsole, formatProgressLine } from '../../../reports/console.js';
import { baselineRun, conformantRun, erroredRun, failing, sampleRun, SAMPLE_RESULTS } from './sample.js';

const ANSI = /\u001b\[[\d;]*m/;
const lastLine = (text: string): string => text.trimEnd().split('\n').at(-1) ?? '';

/** The table row of a scenario, split into its cells (two or more spaces separate cells). */
function tableRow(text: string, id: string): string[] {
  const line = text.split('\n').find((l) => l.startsWith(`${id} `));
  expect(line, id).toBeDefined();
  return (line ?? '').split(/ {2,}/);
}

describe('formatConsole', () => {
  const run = sampleRun();
  const text = formatConsole(run, { verbose: true });
  const compact = formatConsole(run);

  it('by default shows what needs reading, not the table of every result', () => {
    expect(compact).not.toMatch(/^Scenario +Policy/m);
    expect(compact).toContain('Failures (3)');
    expect(compact).toMatch(/Not verified\n {2}crl not verified: 2 result\(s\) skipped — target lacks/);
    expect(compact.split('\n').length).toBeLessThan(text.split('\n').length);
    expect(lastLine(compact)).toBe(lastLine(text));
  });

  it('names a HOST:PORT target once', () => {
    const ext = sampleRun({
      target: { name: '10.0.0.5:8443', endpoint: '10.0.0.5:8443', probe: 'http' },
    });
    expect(formatConsole(ext)).toContain('target      10.0.0.5:8443 (http probe)');
  });

  it('ends with the NOT CONFORMANT line naming the problems', () => {
    expect(lastLine(text)).toBe('NOT CONFORMANT: 2 gating failure(s), 1 error(s) (not verified: crl)');
  });

  it('ends with CONFORMANT for a conformant run', () => {
    expect(lastLine(formatConsole(conformantRun()))).toBe('CONFORMANT (not verified: crl)');
  });

  it('ends with ERROR, the code and the message for a run error, with the control character made visible', () => {
    expect(lastLine(formatConsole(erroredRun()))).toBe(
      `ERROR MTLS_ERR_SANITY: sanity scenario failed: <b>"Tom & Jerry's"</b>\\x07 | *x* [y](z)`,
    );
  });

  it('shows the header with tool, catalogue, target, policy and clock', () => {
    expect(text).toContain('mtls-harness 0.1.0 · catalogue v3 (7 scenarios)');
    expect(text).toContain('nginx 1.25.3 at 127.0.0.1:8443 (raw probe)');
    expect(text).toContain('clock 2025-01-01T00:00:00.000Z');
  });

  it('tabulates each scenario with a verdict and observed outcome per TLS version', () => {
    expect(text.split('\n')[5]).toMatch(/^Scenario +Policy +TLS 1\.2 +TLS 1\.3$/);
    expect(tableRow(text, 'rfc5280::validity::expired-leaf')).toEqual([
      'rfc5280::validity::expired-leaf',
      'require',
      'pass (alert certificate_expired)',
      'fail (accepted)',
    ]);
    expect(tableRow(text, 'rfc8446::empty-certificate::no-certificate').slice(2)).toEqual([
      'pass (alert handshake_failure)',
      'pass (closed)',
    ]);
    expect(tableRow(text, 'revocation::crl::revoked-leaf').slice(2)).toEqual(['skip', 'skip']);
    expect(tableRow(text, 'rfc5280::eku::server-auth-only').slice(2)).toEqual([
      'pass (http 403)',
      'xpass (alert unsupported_certificate)',
    ]);
    expect(tableRow(text, 'rfc8446::certificate-request::optional-no-cert')).toEqual([
      'rfc8446::certificate-request::optional-no-cert',
      'optional',
      '-',
      'pass (accepted)',
    ]);
  });

  it('aligns the table columns', () => {
    const lines = text.split('\n');
    const column = lines[5]?.indexOf('TLS 1.3') ?? -1;
    const rows = lines.slice(7, lines.indexOf('', 7));
    expect(rows).toHaveLength(7);
    for (const line of rows) {
      expect(line[column - 1], line).toBe(' ');
      expect(line[column], line).not.toBe(' ');
    }
  });

  it('lists every failing result with expected, observed and reason', () => {
    const failures = text.slice(text.indexOf('Failures (3)'));
    for (const r of failing(run)) expect(failures).toContain(`${r.id} [TLS ${r.tls}]`);
    expect(failures).toContain('expected: reject (alert certificate_expired | bad_certificate, at client-certificate)');
    expect(failures).toContain(
      'observed: error refused (at tcp-connect, handshake not completed): connect ECONNREFUSED',
    );
    expect(failures).toContain('reason:   server accepted an expired client certificate');
  });

  it('prints the totals', () => {
    expect(text).toContain('13 results: 7 pass, 1 fail, 1 xpass, 1 error, 1 xfail, 2 skip in 3.21 s');
  });

  it('never lets control characters from the target reach the terminal', () => {
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(text).toContain('\\x07');
  });

  it('uses ANSI colour only when asked', () => {
    expect(text).not.toMatch(ANSI);
    const colored = formatConsole(run, { color: true, verbose: true });
    expect(colored).toMatch(ANSI);
    expect(colored).toContain('\u001b[1;31mNOT CONFORMANT');
    // Without the escapes, the coloured report is the plain one.
    expect(colored.replace(/\u001b\[[\d;]*m/g, '')).toBe(text);
  });

  it('marks new failures and fixes against a baseline', () => {
    const withBaseline = formatConsole(baselineRun());
    expect(withBaseline).toContain('baseline    baseline/results.json: 1 new failure(s), 1 fixed');
    expect(withBaseline).toContain('rfc5280::validity::expired-leaf [TLS 1.3] [new failure]');
    expect(withBaseline).toContain('Fixed since baseline (1)');
  });

  it('omits the policy column when one policy ran', () => {
    const both = formatConsole(conformantRun(), { verbose: true });
    const single = formatConsole(sampleRun({ results: SAMPLE_RESULTS.filter((r) => r.policy === 'require') }), {
      verbose: true,
    });
    expect(both).toContain('Policy');
    expect(single).not.toContain('Policy');
  });
});

describe('formatProgressLine', () => {
  it('is one aligned line per result with verdict, id, TLS version, outcome and time', () => {
    const [first, , , fail, , , skip] = SAMPLE_RESULTS;
    expect(formatProgressLine(first!)).toBe('  pass  sanity::valid-client-accepted [TLS 1.2] accepted (8 ms)');
    expect(formatProgressLine(fail!)).toBe('  fail  rfc5280::validity::expired-leaf [TLS 1.3] accepted (21 ms)');
    expect(formatProgressLine(skip!)).toBe(
      "  skip  revocation::crl::revoked-leaf [TLS 1.2] target lacks feature 'crl'",
    );
    for (const r of SAMPLE_RESULTS) expect(formatProgressLine(r)).not.toContain('\n');
  });

  it('colours the verdict on request', () => {
    expect(formatProgressLine(SAMPLE_RESULTS[3]!, { color: true })).toContain('\u001b[1;31mfail \u001b[0m');
  });
});
