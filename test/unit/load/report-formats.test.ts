import { describe, expect, it } from 'vitest';
import type { LoadConfig, LoadCounters, LoadResult } from '../../../core/load-result.js';
import { createHistogram, encodeHistogram, recordMs } from '../../../load/histogram.js';
import {
  formatLoadConsole,
  formatLoadJunit,
  formatLoadMarkdown,
  LOAD_FORMATTERS,
  LOAD_REPORT_FILES,
  loadStatusLine,
} from '../../../reports/load-index.js';
import { findAll, parseXml, type XmlElement } from '../reports/xml.js';
import { EMPTY_HISTOGRAM, loadResult } from './load-result-fixture.js';

/**
 * The load run's Markdown summary (summary.md) and JUnit XML (junit.xml), against results the real aggregator builds
 * from hand-made measurements. What must fail is known from the inputs: latencies of 0.1–20 ms against a p99 limit
 * of 5 ms, 200 handshakes in 2 s against a rate floor of 1000/s, one error against an error-rate limit of 0.
 */

/** A 2-second run of 200 accepted full handshakes (plus what `counters` adds), held to `thresholds`. */
function result(
  counters: Partial<LoadCounters>,
  thresholds: LoadResult['thresholds'],
  more: { config?: Partial<LoadConfig>; target?: LoadResult['target']; interrupted?: boolean; agents?: number } = {},
): LoadResult {
  return loadResult(
    { attempted: 200, succeeded: 200, full: 200, ...counters },
    {
      thresholds,
      ...(more.config ? { config: more.config } : {}),
      ...(more.target ? { target: more.target } : {}),
      ...(more.agents ? { agents: more.agents } : {}),
      ...(more.interrupted ? { interrupted: true, signal: 'SIGINT' as const } : {}),
    },
  );
}

const cases = (root: XmlElement) => findAll(root, 'testcase');
const byName = (root: XmlElement, name: string) => cases(root).find((c) => c.attrs.name === name);

/** Every count attribute equals the number of elements it counts. */
function assertCounts(root: XmlElement): void {
  for (const suite of [...findAll(root, 'testsuite'), root]) {
    expect(Number(suite.attrs.tests)).toBe(findAll(suite, 'testcase').length);
    expect(Number(suite.attrs.failures)).toBe(findAll(suite, 'failure').length);
    expect(Number(suite.attrs.errors)).toBe(findAll(suite, 'error').length);
  }
}

const passing = result({}, { maxP99Ms: 1000, minRate: 50, maxErrorRate: 0 });
const failing = result(
  { attempted: 201, failed: 1, errors: { timeout: 1 } },
  { maxP99Ms: 5, minRate: 1000, maxErrorRate: 0 },
);

describe('load junit.xml', () => {
  it('a passing run: one test case per gate checked, none failing, the figures in <system-out>', () => {
    const root = parseXml(formatLoadJunit(passing));
    assertCounts(root);
    expect(cases(root).map((c) => c.attrs.name)).toEqual([
      'p99 latency',
      'rate',
      'error rate',
      'valid client accepted',
      'completed',
    ]);
    expect(findAll(root, 'failure')).toEqual([]);
    expect(findAll(root, 'error')).toEqual([]);
    const suite = findAll(root, 'testsuite')[0]!;
    const out = suite.children.find((c) => c.name === 'system-out')!.text;
    expect(out).toMatch(/^handshakes\/s 100 \(full 100, resumed 0\.00\)$/m);
    expect(out).toMatch(/^handshakes 200 accepted of 200 /m);
    expect(out).toMatch(/^latency p50 10\.0\d · p90 18\.\d+ · p95 19\.\d+ · p99 19\.\d+ /m);
    expect(byName(root, 'p99 latency')!.children[0]!.text).toMatch(
      /^limit: ≤ 1000 ms \(--max-p99\)\nmeasured: 19\.\d+ ms$/,
    );
  });

  it('a failing run: a <failure> on each breached gate and only there, with the result`s own reason', () => {
    const root = parseXml(formatLoadJunit(failing));
    assertCounts(root);
    const failuresOf = (name: string) => findAll(byName(root, name)!, 'failure');
    expect(failuresOf('p99 latency')).toHaveLength(1);
    expect(failuresOf('p99 latency')[0]!.attrs.message).toMatch(/^p99 latency 19\.\d+ ms exceeds --max-p99 5 ms$/);
    expect(failuresOf('rate')).toHaveLength(1);
    expect(failuresOf('rate')[0]!.attrs.message).toMatch(/^100 handshakes\/s is below --min-rate 1000$/);
    expect(failuresOf('error rate')).toHaveLength(1);
    expect(failuresOf('error rate')[0]!.attrs.message).toMatch(
      /^error rate 0\.5 % exceeds --max-error-rate 0: 1 of 201 handshakes failed: 0 rejected, 1 error \(timeout 1\)$/,
    );
    expect(failuresOf('valid client accepted')).toEqual([]);
    expect(Number(root.attrs.failures)).toBe(3);
    // Every failure the result lists is in the report, once.
    expect(findAll(root, 'failure').map((f) => f.attrs.message)).toEqual([...failing.failures]);
  });

  it('no thresholds given: only the error rate (default 0) and a valid client accepted are checked', () => {
    const root = parseXml(formatLoadJunit(result({}, { maxP99Ms: null, minRate: null, maxErrorRate: 0 })));
    expect(cases(root).map((c) => c.attrs.name)).toEqual(['error rate', 'valid client accepted', 'completed']);
  });

  it('resumption asked for and not happening: a <failure> on the resumption gate', () => {
    const r = result(
      { resumeWanted: 200, noTicketReceived: 200 },
      { maxP99Ms: null, minRate: null, maxErrorRate: 0 },
      { config: { mode: 'resumed', resumeRatio: 1 } },
    );
    const root = parseXml(formatLoadJunit(r));
    const failures = findAll(byName(root, 'resumption')!, 'failure');
    expect(failures).toHaveLength(1);
    expect(failures[0]!.attrs.message).toMatch(/^resumption failed: resumption asked for on 200 .*no ticket received/);
    expect(findAll(root, 'failure')).toHaveLength(1);
  });

  it('--scenario: a bad certificate accepted is a <failure> on the acceptances gate; no probe decided an <error>', () => {
    const scenario = { id: 'require::trust::unknown-ca', fixture: 'unknown-ca', expect: 'reject' as const };
    const accepted = result(
      { succeeded: 2, full: 2, acceptances: 2, rejected: 198, rejections: { 'alert:unknown_ca': 198 } },
      { maxP99Ms: null, minRate: null, maxErrorRate: 0 },
      { config: { scenario } },
    );
    const root = parseXml(formatLoadJunit(accepted));
    assertCounts(root);
    expect(cases(root).map((c) => c.attrs.name)).toEqual(['error rate', 'acceptances', 'completed']);
    const failures = findAll(byName(root, 'acceptances')!, 'failure');
    expect(failures.map((f) => f.attrs.message)).toEqual([
      'the server accepted the certificate of require::trust::unknown-ca 2 time(s) in 200 decided probes: a bad certificate accepted under load',
    ]);

    const undecided = result(
      { succeeded: 0, full: 0, failed: 200, errors: { timeout: 200 } },
      { maxP99Ms: null, minRate: null, maxErrorRate: 1 },
      { config: { scenario } },
    );
    const u = parseXml(formatLoadJunit(undecided));
    assertCounts(u);
    expect(findAll(byName(u, 'acceptances')!, 'error').map((e) => e.attrs.type)).toEqual(['MTLS_ERR_UNDECIDED']);
    expect(formatLoadMarkdown(undecided)).toMatch(/^## ⚠️ NO VERDICT: /);
  });

  it('an interrupted run is never a pass: the completed test case errors', () => {
    const r = result({}, { maxP99Ms: null, minRate: null, maxErrorRate: 0 }, { interrupted: true });
    const root = parseXml(formatLoadJunit(r));
    assertCounts(root);
    expect(findAll(byName(root, 'completed')!, 'error').map((e) => e.attrs.type)).toEqual(['interrupted']);
    expect(formatLoadMarkdown(r)).toMatch(/^## ⏹️ INTERRUPTED by SIGINT: no verdict, partial figures: /);
  });

  it('escapes target-controlled text: names, error kinds and the characters XML forbids', () => {
    const nasty = "x\"><injected a='1'>&amp;\u0001\n|*_";
    const r = result(
      { attempted: 201, failed: 1, errors: { [`other:${nasty}`]: 1 } },
      { maxP99Ms: null, minRate: null, maxErrorRate: 0 },
      { target: { name: `nginx ${nasty}`, endpoint: '127.0.0.1:8443', version: `1.2 ${nasty}` } },
    );
    const xml = formatLoadJunit(r);
    expect(xml).not.toContain('<injected');
    expect(xml).not.toContain('\u0001');
    // Well-formed, and the decoded text is the original minus the one character XML cannot carry.
    const root = parseXml(xml);
    assertCounts(root);
    const clean = nasty.replace('\u0001', '');
    expect(findAll(root, 'testsuite')[0]!.attrs.name).toBe(`mtls-harness load nginx ${clean} (127.0.0.1:8443)`);
    const props = findAll(root, 'property');
    expect(props.find((p) => p.attrs.name === 'target.version')!.attrs.value).toBe(`1.2 ${clean}`);
    const failure = findAll(byName(root, 'error rate')!, 'failure')[0]!;
    expect(failure.attrs.message).toContain(`other:${clean}`);
    expect(failure.text).toContain(`other:${clean}`);
  });
});

describe('load summary.md', () => {
  it('a passing run: the verdict, the headline figures, every gate held, nothing about failures', () => {
    const md = formatLoadMarkdown(passing);
    expect(md).toMatch(/^## ✅ PASS: mtls-harness load against nginx \(127\.0\.0\.1:8443\)\n/);
    expect(md).toMatch(/^\| \*\*100\*\* \| 100 \| 0\.00 \| 200 of 200 \| 0 \| 0 \| 10\.0\d ms \|/m);
    expect(md).toMatch(/^\| p99 latency \| ≤ 1000 ms \(--max-p99\) \| 19\.\d+ ms \| ✅ held \|$/m);
    expect(md).toMatch(/^\| rate \| ≥ 50 handshakes\/s \(--min-rate\) \| 100 handshakes\/s \| ✅ held \|$/m);
    expect(md).toMatch(
      /^\| error rate \| ≤ 0\.00 % \(--max-error-rate 0\) \| 0\.00 % \(errors \+ refusals\) \| ✅ held \|$/m,
    );
    expect(md).not.toMatch(/Failures|breached|Errors by kind|Refusals by kind/);
  });

  it('a failing run: FAIL, each failure listed, the breached gates marked, errors by kind', () => {
    const md = formatLoadMarkdown(failing);
    expect(md).toMatch(/^## ❌ FAIL: /);
    expect(md).toMatch(/^### Failures \(3\)$/m);
    for (const f of failing.failures) expect(md).toContain(`- ${f.replace(/_/g, '\\_')}`);
    expect(md).toMatch(/^\| p99 latency \| .* \| ❌ breached \|$/m);
    expect(md).toMatch(/^\| rate \| .* \| ❌ breached \|$/m);
    expect(md).toMatch(/^\| error rate \| .* \| ❌ breached \|$/m);
    expect(md).toMatch(/^\| valid client accepted \| .* \| ✅ held \|$/m);
    expect(md).toMatch(
      /^### Errors by kind \(1\)\n\n\| kind \| count \| share of attempts \|\n\| --- \| --- \| --- \|\n\| timeout \| 1 \| 0\.50 % \|$/m,
    );
  });

  it('refusals by kind, and merged runs say how many agents', () => {
    const refused = result(
      { attempted: 210, rejected: 10, rejectedAfterHandshake: 10, rejections: { 'http:403': 6, closed: 4 } },
      { maxP99Ms: null, minRate: null, maxErrorRate: 0.1 },
      { agents: 3 },
    );
    const md = formatLoadMarkdown(refused);
    expect(md).toMatch(/^## ✅ PASS/);
    expect(md).toMatch(/· 3 agents merged ·/);
    expect(md).toMatch(/^### Refusals by kind \(10\)$/m);
    expect(md).toMatch(/^\| http:403 \| 6 \| 2\.86 % \|\n\| closed \| 4 \| 1\.90 % \|$/m);
  });

  it('escapes target-controlled text for GitHub Markdown', () => {
    const r = result(
      { attempted: 201, failed: 1, errors: { 'other:<img src=x>|*': 1 } },
      { maxP99Ms: null, minRate: null, maxErrorRate: 0 },
      { target: { name: 'nginx <b>|', endpoint: '127.0.0.1:8443' } },
    );
    const md = formatLoadMarkdown(r);
    expect(md).not.toMatch(/<img|<b>/);
    expect(md).toContain('nginx &lt;b&gt;\\|');
    expect(md).toMatch(/^\| other:&lt;img src=x&gt;\\\|\\\* \| 1 \| 0\.50 % \|$/m);
  });
});

describe('registered like the other formats, under the file names run uses', () => {
  it('junit → junit.xml, markdown → summary.md', () => {
    expect(LOAD_REPORT_FILES).toEqual({
      json: 'results.json',
      junit: 'junit.xml',
      markdown: 'summary.md',
      html: 'report.html',
    });
    expect(LOAD_FORMATTERS.junit(failing)).toBe(formatLoadJunit(failing));
    expect(LOAD_FORMATTERS.markdown(failing)).toBe(formatLoadMarkdown(failing));
  });
});

describe('console', () => {
  it('the --quiet line: the verdict and headline figures, or the failures', () => {
    expect(loadStatusLine(passing)).toMatch(/^PASS · 100 handshakes\/s · p99 19\.\d+ ms · error rate 0\.00 %$/);
    const reasons = failing.failures.join('; ').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    expect(loadStatusLine(failing)).toMatch(
      new RegExp(`^FAIL: ${reasons} · 100 handshakes/s · p99 19\\.\\d+ ms · error rate 0\\.50 %$`),
    );
    expect(loadStatusLine(failing)).not.toMatch(/\u001b\[/);
    expect(loadStatusLine(failing, { color: true })).toMatch(/^\u001b\[1;31mFAIL\u001b\[0m: /);
  });

  it('--verbose adds refusals and errors by kind, the thresholds and the timeline', () => {
    const plain = formatLoadConsole(failing);
    const verbose = formatLoadConsole(failing, { verbose: true });
    expect(plain).not.toMatch(/errors by kind|timeline/);
    expect(verbose).toMatch(/^ {2}errors by kind\n {4}timeout +1 \(0\.50 %\)$/m);
    expect(verbose).toMatch(/^ {2}thresholds +--max-p99 5 · --min-rate 1000 · --max-error-rate 0$/m);
    expect(verbose).toMatch(/^ {4}full +p50 .* \(200\)$/m);
    expect(verbose).toMatch(/^ {7}0 s {2}120 \+ 0, 0 refused, 0 errors$/m);
  });
});

describe('issue 14 figures in every format', () => {
  // A --tls both, --stages run: 1.2 at 2 ms (50 handshakes), 1.3 at 4 ms (150); second 1 breaches --max-p99 5.
  const h12 = createHistogram();
  const h13 = createHistogram();
  const all = createHistogram();
  for (let i = 0; i < 200; i++) {
    recordMs(i < 50 ? h12 : h13, i < 50 ? 2 : 4);
    recordMs(all, i < 50 ? 2 : 4);
  }
  const staged = loadResult(
    {
      attempted: 200,
      succeeded: 200,
      full: 200,
      versionAttempted: { '1.2': 50, '1.3': 150 },
      versionSucceeded: { '1.2': 50, '1.3': 150 },
      versionFull: { '1.2': 50, '1.3': 150 },
    },
    {
      config: {
        ticketPolicy: 'ignore',
        tls: 'both',
        tlsShare: { '1.2': 0.25, '1.3': 0.75 },
        stages: [{ durationS: 2, target: 120 }],
      },
      cpu: null,
      thresholds: { maxP99Ms: 5, minRate: null, maxErrorRate: 0 },
    },
    {
      histograms: {
        handshake: encodeHistogram(all),
        full: encodeHistogram(all),
        resumed: EMPTY_HISTOGRAM,
        http: EMPTY_HISTOGRAM,
        tls12: encodeHistogram(h12),
        tls13: encodeHistogram(h13),
      },
      timeline: [
        {
          second: 0,
          full: 80,
          resumed: 0,
          errors: 0,
          requests: 0,
          rejected: 0,
          latencySumUs: 240_000,
          dropped: 0,
          offered: 80,
          p99Ms: 4,
        },
        {
          second: 1,
          full: 120,
          resumed: 0,
          errors: 0,
          requests: 0,
          rejected: 0,
          latencySumUs: 360_000,
          dropped: 0,
          offered: 120,
          p99Ms: 9,
        },
      ],
    },
  );

  it('the knee and the per-version figures are in results.json, the console, summary.md, junit.xml and report.html', () => {
    expect(staged.knee).toMatchObject({ heldRate: 80, heldSecond: 0, firstBreach: { second: 1, offered: 120 } });
    expect(staged.byVersion!['1.2']).toMatchObject({ share: 0.25, succeeded: 50, handshakesPerSecond: 25 });
    expect(staged.byVersion!['1.3'].latencyMs.p95).toBeCloseTo(4, 1);
    const consoleText = formatLoadConsole(staged);
    expect(consoleText).toMatch(/TLS 1\.2 25 % \+ 1\.3 75 %/);
    expect(consoleText).toMatch(/^ {2}TLS 1\.2 +25\.0 hs\/s · 50 ok of 50 \(25\.0 % asked/m);
    expect(consoleText).toMatch(
      /^ {2}knee +80\.0 handshakes\/s offered held at second 0 .* first breach at second 1, 120\/s offered: p99 9 ms > --max-p99 5 ms/m,
    );
    expect(consoleText).toMatch(/stages 2s:120/);
    expect(loadStatusLine(staged)).toMatch(/ · knee 80\.0\/s$/);
    const md = formatLoadMarkdown(staged);
    expect(md).toMatch(/\| p50 \| p90 \| p95 \| p99 \| p99\.9 \| max \| mean \| stdev \|/);
    expect(md).toMatch(/^### By TLS version$/m);
    expect(md).toMatch(/^\| TLS 1\.3 \| 75\.0 % \| 75\.0 \| 150 of 150 \|/m);
    expect(md).toMatch(/^### Knee \(--stages\)$/m);
    const root = parseXml(formatLoadJunit(staged));
    const props = Object.fromEntries(
      findAll(root, 'property').map((p) => [p.attrs.name, p.attrs.value] as [string, string]),
    );
    expect(Number(props['latency.p95'])).toBeCloseTo(4, 1);
    expect(props['latency.stdev']).toBeDefined();
    expect(props['tls1.2.handshakesPerSecond']).toBe('25');
    expect(props['knee.heldRate']).toBe('80');
    expect(props['knee.firstBreachSecond']).toBe('1');
    const html = LOAD_FORMATTERS.html(staged);
    expect(html).toMatch(/<h2>By TLS version<\/h2>/);
    expect(html).toMatch(/<p id="knee">80\.0 handshakes\/s offered held at second 0/);
    expect(html).toMatch(/<th>p95<\/th>/);
    expect(html).toMatch(
      /second 1: 120 full, 0 resumed, 0 rejected, 0 errors, mean 3\.00 ms, p99 9\.00 ms, 120 offered/,
    );
  });
});
