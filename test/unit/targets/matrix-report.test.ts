import { describe, expect, it } from 'vitest';
import {
  formatMatrixHtml,
  formatMatrixJson,
  formatMatrixMarkdown,
  matrixRows,
  type MatrixInput,
} from '../../../reports/matrix.js';
import { NASTY, result, sampleRun } from '../reports/sample.js';

const a = sampleRun({
  results: [
    result({
      id: 'require::validity::expired',
      tls: '1.3',
      verdict: 'pass',
      observed: {
        outcome: 'rejected-alert',
        alert: { name: 'certificate_expired', code: 45 },
        step: 'client-certificate',
        handshakeCompleted: true,
      },
    }),
    result({
      id: 'require::sanity::valid',
      tls: '1.3',
      verdict: 'pass',
      observed: { outcome: 'accepted', httpStatus: 200, step: null, handshakeCompleted: true },
    }),
  ],
});
const b = sampleRun({
  results: [
    result({
      id: 'require::validity::expired',
      tls: '1.3',
      verdict: 'fail',
      reason: NASTY,
      observed: { outcome: 'accepted', httpStatus: 200, step: null, handshakeCompleted: true },
    }),
  ],
});
const input: MatrixInput = {
  tool: { name: 'mtls-harness', version: '0.0.0' },
  catalogueVersion: 1,
  clock: '2026-01-01T00:00:00Z',
  startedAt: '2026-01-01T00:00:00.000Z',
  duration: 1234,
  policies: ['require'],
  tls: ['1.3'],
  targets: [
    { name: 'nginx', status: 'conformant', version: 'nginx/1.22.1', run: a },
    { name: NASTY, status: 'not-conformant', run: b },
    { name: 'caddy', status: 'unavailable', reason: 'caddy not found' },
  ],
};

describe('matrix writers', () => {
  it('rows are scenario × TLS with a cell per target, and flag disagreement', () => {
    const rows = matrixRows(input);
    expect(rows.map((r) => `${r.id} ${r.tls}`)).toEqual([
      'require::validity::expired 1.3',
      'require::sanity::valid 1.3',
    ]);
    const expired = rows[0]!;
    expect(expired.cells.nginx).toMatchObject({ observed: 'alert certificate_expired', verdict: 'pass' });
    expect(expired.cells[NASTY]).toMatchObject({ observed: 'accepted (200)', verdict: 'fail' });
    expect(expired.cells.caddy).toBeNull();
    expect(expired.differs).toBe(true);
    expect(rows[1]!.differs).toBe(false);
  });

  it('are pure and round-trip to JSON', () => {
    expect(formatMatrixJson(input)).toBe(formatMatrixJson(input));
    const json = JSON.parse(formatMatrixJson(input));
    expect(json.schemaVersion).toBe(1);
    expect(json.conformant).toBe(false);
    expect(json.targets.map((t: { status: string }) => t.status)).toEqual([
      'conformant',
      'not-conformant',
      'unavailable',
    ]);
  });

  it('html is self-contained and escapes everything', () => {
    const html = formatMatrixHtml(input);
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)="(https?:)?\/\//);
    expect(html).toContain("default-src 'none'");
    expect(html).not.toContain('<b>"Tom');
    expect(html).toContain('&lt;b&gt;');
  });

  it('markdown keeps one row per line and escapes pipes', () => {
    const md = formatMatrixMarkdown(input);
    const rows = md.split('\n').filter((l) => l.startsWith('| **require::validity::expired'));
    expect(rows).toHaveLength(1);
    expect(md).not.toContain('| *x*');
    expect(md).toContain('caddy not found');
  });
});

describe('matrix.html filters', () => {
  it('offers to show only the rows where the targets disagree', async () => {
    const { formatMatrixHtml } = await import('../../../reports/matrix.js');
    const html = formatMatrixHtml(input);
    expect(html).toContain('<input type="checkbox" id="only-differs">');
    expect(html).toMatch(/row\.classList\.contains\('differs'\)/);
  });
});
