import { describe, expect, it } from 'vitest';
import { formatHtml, htmlEscape } from '../../../reports/html.js';
import { baselineRun, conformantRun, erroredRun, failing, NASTY, sampleRun } from './sample.js';

/** The text between the start tag of the element with `id` and the next `</section>`. */
function section(html: string, id: string): string {
  const start = html.indexOf(`<section id="${id}"`);
  expect(start, id).toBeGreaterThanOrEqual(0);
  return html.slice(start, html.indexOf('</section>', start));
}

describe('formatHtml', () => {
  const run = sampleRun();
  const html = formatHtml(run);

  it('is one complete HTML document', () => {
    expect(html.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    expect(html.match(/<script>/g)).toHaveLength(1);
    expect(html.match(/<style>/g)).toHaveLength(1);
  });

  it('references no remote resource and forbids loading any', () => {
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/\b(src|href|action|srcset|poster|data)\s*=\s*(?!["']?(?:data:|#))/i);
    expect(html).not.toMatch(
      /url\(|@import|@font-face|<link(?![^>]*rel="icon" href="data:,")|<iframe|<object|<embed|<img/i,
    );
    expect(html).toContain(
      `content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"`,
    );
  });

  it('keeps a remote-looking endpoint as text, never as a link', () => {
    const page = formatHtml(
      sampleRun({ target: { name: 'api', endpoint: 'https://api.example/health', probe: 'http' } }),
    );
    expect(page).toContain('<code>https://api.example/health</code>');
    expect(page).not.toMatch(/(src|href)\s*=\s*["']?https?:/i);
  });

  it('shows the run context in the header', () => {
    const header = html.slice(html.indexOf('<header'), html.indexOf('</header>'));
    for (const text of [
      'nginx',
      '1.25.3',
      '127.0.0.1:8443',
      'require',
      '2025-01-01T00:00:00.000Z',
      'mtls-harness 0.1.0',
      'v3 (7 scenarios)',
    ]) {
      expect(header).toContain(text);
    }
  });

  it('has a verdict banner for each run status', () => {
    expect(section(html, 'verdict')).toContain('class="banner not-conformant"');
    expect(section(html, 'verdict')).toContain(
      'NOT CONFORMANT<small>3 failing result(s): 1 fail, 1 xpass, 1 error</small>',
    );
    expect(section(formatHtml(conformantRun()), 'verdict')).toContain(
      'class="banner conformant" role="status">CONFORMANT<small>',
    );
    const errored = section(formatHtml(erroredRun()), 'verdict');
    expect(errored).toContain('class="banner error"');
    expect(errored).toContain('MTLS_ERR_SANITY: sanity scenario failed: &lt;b&gt;');
  });

  it('shows the summary counts', () => {
    const summary = section(html, 'summary');
    expect(summary).toContain('<b>13</b><span>total</span>');
    expect(summary).toContain('<b>7</b><span>pass</span>');
    expect(summary).toContain('<b>1</b><span>unexpected pass</span>');
    expect(summary).toContain('<b>2</b><span>skipped</span>');
  });

  it('draws both plots as inline SVG', () => {
    const charts = section(html, 'charts');
    expect(charts.match(/<svg /g)).toHaveLength(3);
    expect(charts).toContain('aria-label="Verdicts per TLS version"');
    expect(charts).toContain('<title>TLS 1.3: 1 fail</title>');
    // Every result that ran is in the histogram; the ten slowest are named with their TLS version.
    const histogram = charts.slice(charts.indexOf('aria-label="Handshake duration distribution"'));
    const ran = run.results.filter((r) => r.verdict !== 'skip');
    const counts = [...histogram.matchAll(/ms: (\d+) result\(s\)/g)].map((m) => Number(m[1]));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(ran.length);
    const slow = charts.slice(charts.indexOf('aria-label="The ten slowest results"'));
    expect(slow.match(/<rect /g)).toHaveLength(Math.min(10, ran.length));
    expect(slow).toContain('rfc5280::validity::expired-leaf · TLS 1.3: 21 ms, fail (accepted)');
    expect(charts).not.toMatch(/NaN|Infinity|undefined/);
  });

  it('lists every failing result with expected, observed and reason', () => {
    const failingSection = section(html, 'failing');
    expect(failingSection).toContain('Failing scenarios (3)');
    expect(failingSection.match(/<article /g)).toHaveLength(failing(run).length);
    for (const r of failing(run)) expect(failingSection).toContain(`<code>${r.id}</code>`);
    expect(failingSection).toContain(
      '<dt>Expected</dt><dd>reject (alert certificate_expired | bad_certificate, at client-certificate)</dd>',
    );
    expect(failingSection).toContain(
      '<dt>Observed</dt><dd>accepted (at application-data, handshake completed, TLSv1.3, node probe)</dd>',
    );
    expect(section(formatHtml(conformantRun()), 'failing')).toContain('No failures, unexpected passes or errors.');
  });

  it('has a filterable table with one row per result', () => {
    const all = section(html, 'all');
    expect(all).toContain('id="filter-text"');
    expect(all).toContain('<option value="problems">');
    expect(all.match(/<tr data-verdict="/g)).toHaveLength(run.results.length);
    for (const verdict of ['pass', 'fail', 'skip', 'error', 'xfail', 'xpass']) {
      expect(all).toContain(`<tr data-verdict="${verdict}">`);
    }
  });

  it('escapes everything that comes from the run', () => {
    expect(html).not.toContain('<b>"Tom');
    expect(html).not.toContain('\u0007');
    expect(html).toContain('&lt;b&gt;&quot;Tom &amp; Jerry&#39;s&quot;&lt;/b&gt;\\x07');
    expect(htmlEscape(NASTY)).toBe('&lt;b&gt;&quot;Tom &amp; Jerry&#39;s&quot;&lt;/b&gt;\\x07 | *x* [y](z)');
    const page = formatHtml(
      sampleRun({ target: { name: '</title><script>alert(1)</script>', endpoint: 'x', probe: 'raw' } }),
    );
    expect(page.match(/<script>/g)).toHaveLength(1);
  });

  it('shows new-failure and fixed badges against a baseline', () => {
    const page = formatHtml(baselineRun());
    expect(section(page, 'failing')).toContain('<span class="chg chg-new-failure">new failure</span>');
    expect(section(page, 'all')).toContain('<span class="chg chg-fixed">fixed</span>');
    expect(page).toContain('baseline/results.json');
    expect(html).not.toContain('chg chg-');
  });

  it('is deterministic', () => {
    expect(formatHtml(sampleRun())).toBe(html);
  });
});
