import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatLoadConsole, formatLoadHtml, formatLoadJson, formatLoadTick } from '../../../reports/load-index.js';
import { validate, type Schema } from '../../helpers/json-schema.js';
import { loadResult } from './load-result-fixture.js';

const result = loadResult(
  { attempted: 201, succeeded: 200, full: 200, failed: 1, errors: { 'alert:<b>': 1 } },
  {
    config: { tls: '1.2' },
    target: { name: 'nginx <test>', endpoint: '127.0.0.1:8443' },
    thresholds: { maxP99Ms: 5, minRate: null, maxErrorRate: 0 },
  },
  {
    timeline: [
      { second: 0, full: 120, resumed: 0, errors: 1, requests: 0, rejected: 0, latencySumUs: 1_000_000 },
      { second: 1, full: 80, resumed: 0, errors: 0, requests: 0, rejected: 0, latencySumUs: 800_000 },
    ],
  },
);

describe('load reports', () => {
  it('console: headline figures and the failure reason', () => {
    const text = formatLoadConsole(result);
    expect(text).toMatch(/handshakes\/s +100 +\(full 100, resumed 0.00\)/);
    expect(text).toMatch(
      /latency +p50 10.0\d · p90 18.\d+ · p95 19.\d+ · p99 19.\d+ · p99.9 20.\d+ · max 20.\d+ ms · mean 10.\d+ ± 5.\d+ ms/,
    );
    expect(text).toMatch(/generator CPU +2.00 ms per handshake/);
    expect(text).toMatch(/FAIL p99 latency .* exceeds --max-p99 5 ms/);
    expect(text).not.toMatch(/\u001b\[/);
    expect(formatLoadConsole(result, { color: true })).toMatch(/\u001b\[1;31m/);
  });

  it('console and html: refusals by mechanism apart from errors, and the error rate', () => {
    const refused = loadResult(
      {
        attempted: 10,
        succeeded: 4,
        full: 4,
        rejected: 5,
        rejectedAfterHandshake: 5,
        rejectedResumed: 0,
        rejections: { closed: 3, 'http:403': 2 },
        failed: 1,
        errors: { timeout: 1 },
      },
      {
        config: result.config,
        target: result.target,
        cpu: null,
        thresholds: { maxP99Ms: null, minRate: null, maxErrorRate: 0.5 },
      },
      { timeline: [{ second: 0, full: 4, resumed: 0, errors: 1, requests: 0, rejected: 5, latencySumUs: 4000 }] },
    );
    const text = formatLoadConsole(refused);
    expect(text).toMatch(/handshakes +4 ok of 10 \(full 4, resumed 0; rejected 5, failed 1\)/);
    expect(text).toMatch(
      /rejected +5 \(closed 3, http:403 2\) · 5 after the handshake completed · 0 on resumed sessions/,
    );
    expect(text).toMatch(/errors +1 \(timeout 1\)/);
    expect(text).toMatch(/error rate +60\.00 % \(errors \+ refusals\) · --max-error-rate 0\.5/);
    expect(text).toMatch(
      /FAIL error rate 60 % exceeds --max-error-rate 0\.5: 6 of 10 handshakes failed: 5 rejected \(closed 3, http:403 2\), 1 error \(timeout 1\)/,
    );
    const html = formatLoadHtml(refused);
    expect(html).toMatch(/<td><code>http:403<\/code><\/td><td class="num">2<\/td>/);
    expect(html).toMatch(/<b>60\.00 %<\/b><span>error rate<\/span>/);
    expect(html).toMatch(/fill="#9a6700"><title>second 0: 4 full, 0 resumed, 5 rejected, 1 errors/);
    expect(
      formatLoadTick({
        second: 1,
        full: 4,
        resumed: 0,
        requests: 0,
        errors: 1,
        rejected: 5,
        total: 4,
        errorsTotal: 1,
        rejectedTotal: 5,
        acceptances: 0,
        meanMs: 1,
        droppedTotal: 0,
        p99Ms: null,
        elapsedS: 1,
        totalS: 2,
      }),
    ).toBe('     1/2 s  4 hs/s (full 4, resumed 0)  p99 –  mean 1.00 ms  errors 1 (total 1)  rejected 5 (total 5)');
  });

  it('live line', () => {
    const line = formatLoadTick({
      second: 3,
      full: 10,
      resumed: 5,
      requests: 0,
      errors: 0,
      rejected: 0,
      total: 40,
      errorsTotal: 0,
      rejectedTotal: 0,
      acceptances: 0,
      meanMs: 1.5,
      droppedTotal: 0,
      p99Ms: 12.5,
      elapsedS: 3,
      totalS: null,
    });
    // Issue 14: elapsed (of the total when the run is bounded by time), the last second's rate, and the p99.
    expect(line).toBe('       3 s  15 hs/s (full 10, resumed 5)  p99 12.50 ms  mean 1.50 ms  errors 0 (total 0)');
  });

  it('json: valid against schemas/load-results.schema.json and round-trips', () => {
    const schema = JSON.parse(
      readFileSync(path.resolve(import.meta.dirname, '../../../schemas/load-results.schema.json'), 'utf8'),
    ) as Schema;
    const parsed = JSON.parse(formatLoadJson(result)) as unknown;
    expect(validate(schema, parsed)).toEqual([]);
    expect(parsed).toEqual(JSON.parse(JSON.stringify(result)));
  });

  it('html: self-contained, escaped, with both plots', () => {
    const html = formatLoadHtml(result);
    expect(html).toMatch(/Content-Security-Policy" content="default-src 'none'/);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).toContain('nginx &lt;test&gt;');
    expect(html).not.toContain('<b>alert');
    expect(html).toMatch(/aria-label="handshake latency distribution"/);
    expect(html).toMatch(/aria-label="Throughput per second"/);
    expect((html.match(/<rect [^>]*fill="#0969da"/g) ?? []).length).toBeGreaterThanOrEqual(2);
    expect(html).toMatch(/class="banner fail"/);
  });
});

describe('load plots for people', () => {
  it('mark a last second the measured phase did not fill as partial, and only that one', async () => {
    const { timelineSvg } = await import('../../../reports/load-html.js');
    const point = (second: number) => ({
      second,
      full: 10,
      resumed: 0,
      errors: 0,
      rejected: 0,
      requests: 0,
      latencySumUs: 10_000,
    });
    const timeline = [point(0), point(1), point(2)];
    const partial = timelineSvg(timeline, false, false, 2400);
    expect(partial.match(/class="partial"/g)).toHaveLength(1);
    expect(partial).toContain('second 2 (partial: 400 ms of it measured)');
    expect(timelineSvg(timeline, false, false, 3000)).not.toContain('partial');
  });
});
