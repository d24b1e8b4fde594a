import { describe, expect, it } from 'vitest';
import {
  formatMatrixConsole,
  MATRIX_FILES,
  MATRIX_FORMATTERS,
  formatMatrixJson,
  matrixStatusLine,
  type MatrixInput,
  type MatrixTarget,
} from '../../../reports/matrix.js';
import { result, sampleRun } from './sample.js';

/** `matrix --format console`: a line per target and the verdict line, which reads as the exit status does. */
const expired = (verdict: 'pass' | 'fail') =>
  sampleRun({
    results: [
      result({
        id: 'require::validity::expired',
        tls: '1.3',
        verdict,
        observed:
          verdict === 'pass'
            ? {
                outcome: 'rejected-alert',
                alert: { name: 'certificate_expired', code: 45 },
                step: 'client-certificate',
                handshakeCompleted: true,
              }
            : { outcome: 'accepted', httpStatus: 200, step: null, handshakeCompleted: true },
      }),
    ],
  });

const input = (targets: MatrixTarget[]): MatrixInput => ({
  tool: { name: 'mtls-harness', version: '0.0.0' },
  catalogueVersion: 1,
  clock: '2026-01-01T00:00:00Z',
  startedAt: '2026-01-01T00:00:00.000Z',
  duration: 1234,
  policies: ['require'],
  tls: ['1.3'],
  targets,
});

const nginx: MatrixTarget = { name: 'nginx', status: 'conformant', version: 'nginx/1.22.1', run: expired('pass') };
const caddy: MatrixTarget = { name: 'caddy', status: 'not-conformant', run: expired('fail') };
const apache: MatrixTarget = { name: 'apache', status: 'unavailable', reason: 'apache2 not found' };

describe('matrix verdict line', () => {
  it('CONFORMANT (exit 0), NOT CONFORMANT (1), ERROR (2), INTERRUPTED (130/143), naming the targets', () => {
    expect(matrixStatusLine(input([nginx]))).toBe('CONFORMANT: 1 target(s)');
    expect(matrixStatusLine(input([nginx, caddy]))).toBe('NOT CONFORMANT: caddy (1 of 2 target(s))');
    expect(matrixStatusLine(input([nginx, apache]))).toBe('ERROR: apache');
    expect(matrixStatusLine(input([nginx, apache]), { allowUnavailable: true })).toBe(
      'CONFORMANT: 1 target(s); unavailable: apache',
    );
    expect(matrixStatusLine(input([nginx, caddy, apache]))).toBe('ERROR: apache; not conformant: caddy');
    expect(
      matrixStatusLine(input([nginx, { name: 'caddy', status: 'interrupted', reason: 'not run: interrupted' }])),
    ).toBe('INTERRUPTED: 1 of 2 target(s) finished, no verdict on caddy');
  });
});

describe('matrix console', () => {
  const text = formatMatrixConsole(input([nginx, caddy, apache]));
  it('a line per target with its status and summary or reason, the verdict last, no colour unless asked', () => {
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('mtls-harness matrix: 3 target(s) · policies require · TLS 1.3 · took 1.23 s');
    expect(lines[1]).toMatch(/^ {2}nginx +conformant +nginx\/1\.22\.1 · 1 pass$/);
    expect(lines[2]).toMatch(/^ {2}caddy +NOT CONFORMANT +1 fail$/);
    expect(lines[3]).toMatch(/^ {2}apache +unavailable +apache2 not found$/);
    expect(lines[4]).toMatch(/^ {2}1 of 1 row\(s\) differ between targets \(--verbose lists them/);
    expect(lines.at(-1)).toBe('ERROR: apache; not conformant: caddy');
    expect(text).not.toMatch(/\u001b\[/);
    expect(formatMatrixConsole(input([nginx, caddy]), { color: true })).toMatch(/\u001b\[1;31mNOT CONFORMANT/);
  });

  it('--verbose lists each row the targets disagree on, with what each did', () => {
    const verbose = formatMatrixConsole(input([nginx, caddy]), { verbose: true });
    expect(verbose).toMatch(
      /^ {4}require::validity::expired \[TLS 1\.3\]: nginx pass \(alert certificate_expired.*\) · caddy fail \(accepted \(200\)\)$/m,
    );
  });
});

describe('matrix files', () => {
  it('each file format has its public file name and writer', () => {
    expect(MATRIX_FILES).toEqual({ json: 'matrix.json', markdown: 'matrix.md', html: 'matrix.html' });
    const i = input([nginx]);
    expect(MATRIX_FORMATTERS.json(i)).toBe(formatMatrixJson(i));
  });
});
