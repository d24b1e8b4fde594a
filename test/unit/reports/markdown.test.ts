import { describe, expect, it } from 'vitest';
import { formatMarkdown, mdText } from '../../../reports/markdown.js';
import { baselineRun, conformantRun, erroredRun, failing, sampleRun } from './sample.js';

/** The lines of the first Markdown table after `heading`. */
function tableAfter(text: string, heading: string): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith(heading));
  expect(start, heading).toBeGreaterThanOrEqual(0);
  const from = lines.findIndex((l, i) => i > start && l.startsWith('|'));
  const to = lines.findIndex((l, i) => i > from && !l.startsWith('|'));
  return lines.slice(from, to);
}

/** Splits a GFM table row into cells, honouring `\|` escapes. */
function cells(row: string): string[] {
  return row
    .slice(2, -2)
    .split(/(?<!\\) \| /)
    .map((c) => c.trim());
}

describe('formatMarkdown', () => {
  const run = sampleRun();
  const text = formatMarkdown(run);

  it('headlines the verdict', () => {
    expect(text.split('\n')[0]).toBe('## ❌ NOT CONFORMANT: mtls-harness against nginx');
    expect(formatMarkdown(conformantRun()).split('\n')[0]).toBe('## ✅ CONFORMANT: mtls-harness against nginx');
    const errored = formatMarkdown(erroredRun());
    expect(errored.split('\n')[0]).toBe('## ⚠️ ERROR: mtls-harness against nginx');
    expect(errored).toContain('> **`MTLS_ERR_SANITY`**: sanity scenario failed: &lt;b&gt;');
  });

  it('has a totals table matching the summary', () => {
    const table = tableAfter(text, '## ');
    expect(table).toHaveLength(3);
    expect(cells(table[0] ?? '')).toEqual([
      '✅ pass',
      '❌ fail',
      '❗ xpass',
      '⚠️ error',
      '➖ xfail',
      '⏭️ skip',
      'total',
    ]);
    expect(cells(table[2] ?? '')).toEqual(['7', '1', '1', '1', '1', '2', '**13**']);
  });

  it('lists each failing result with its reason in a well-formed table', () => {
    const table = tableAfter(text, '### Failures and errors (3)');
    expect(table).toHaveLength(2 + failing(run).length);
    const header = cells(table[0] ?? '');
    for (const [i, r] of failing(run).entries()) {
      const row = cells(table[i + 2] ?? '');
      // Pipes in the reason are escaped, so the row has exactly as many cells as the header.
      expect(row, r.id).toHaveLength(header.length);
      expect(row[0]).toContain(`\`${r.id}\``);
      expect(row[1]).toBe(r.tls);
      expect(row[2]).toContain(r.verdict);
    }
    expect(table[2]).toContain('server accepted an expired client certificate');
  });

  it('escapes HTML, Markdown punctuation and control characters from the run', () => {
    expect(text).not.toContain('<b>');
    expect(text).not.toContain('\u0007');
    expect(text).toContain('&lt;b&gt;"Tom &amp; Jerry\'s"&lt;/b&gt;\\\\x07 \\| \\*x\\* \\[y\\](z)');
    expect(mdText('a|b\nc')).toBe('a\\|b c');
  });

  it('collapses the full table in <details>, with blank lines so GitHub renders it', () => {
    const details = text.slice(text.indexOf('<details>'), text.indexOf('</details>'));
    expect(details).toMatch(
      /^<details><summary>All results \(13\)<\/summary>\n\n\| Scenario \| Policy \| TLS 1\.2 \| TLS 1\.3 \|/,
    );
    expect(details.endsWith('\n\n')).toBe(true);
    for (const r of run.results) expect(details).toContain(`\`${r.id}\``);
    expect(details).toContain('| ❌ fail (accepted) |');
  });

  it('says so when nothing failed', () => {
    const clean = formatMarkdown(conformantRun());
    expect(clean).not.toContain('### Failures');
    expect(clean).toContain('No failures, unexpected passes or errors.');
  });

  it('shows baseline changes', () => {
    const withBaseline = formatMarkdown(baselineRun());
    expect(withBaseline).toContain('Against baseline `baseline/results.json`: **1 new failure(s)**, 1 fixed.');
    expect(withBaseline).toContain('| **new failure** |');
    expect(withBaseline).toContain('### Fixed since baseline (1)\n\n- `rfc5280::validity::expired-leaf` (TLS 1.2)');
  });
});
