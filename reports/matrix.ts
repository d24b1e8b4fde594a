import type { RunResult, ScenarioResult, Verdict } from '../core/result.js';
import type { ServerPolicy, TlsVersion } from '../core/scenario.js';
import { describeOutcome, formatDuration, oneLine, runStatus, summaryText, tlsLabel } from './common.js';
import { htmlEscape, htmlPage } from './html-page.js';
import { mdText, VERDICT_ICON } from './markdown.js';
import type { FormatterOptions } from './types.js';

/** The version of the matrix.json contract. */
export const MATRIX_SCHEMA_VERSION = 1;

/**
 * How one target fared in a matrix run; `interrupted`: the matrix was stopped (SIGINT, SIGTERM) during its run or
 * before it, which says nothing about the target.
 */
export type MatrixTargetStatus = 'conformant' | 'not-conformant' | 'error' | 'unavailable' | 'interrupted';

/** One column of the matrix: a target and its run (absent when it was unavailable or failed to start). */
export interface MatrixTarget {
  readonly name: string;
  readonly status: MatrixTargetStatus;
  readonly version?: string;
  /** Why it is unavailable or errored. */
  readonly reason?: string;
  readonly run?: RunResult;
}

/** Input of the matrix writers: every target's run, in column order. */
export interface MatrixInput {
  readonly tool: { readonly name: 'mtls-harness'; readonly version: string };
  readonly catalogueVersion: number;
  readonly clock: string;
  readonly startedAt: string;
  readonly duration: number;
  readonly policies: readonly ServerPolicy[];
  readonly tls: readonly TlsVersion[];
  readonly targets: readonly MatrixTarget[];
}

/** One cell: what a target did with one scenario over one TLS version, and the verdict. */
export interface MatrixCell {
  /** `accepted (200)`, `alert certificate_expired`, `http 400`, `closed`, `reset`, `not run`… */
  readonly observed: string;
  readonly verdict: Verdict;
  readonly reason: string;
}

/** One row: a scenario over one TLS version, with a cell per target (null: the target did not run it). */
export interface MatrixRow {
  readonly id: string;
  readonly title: string;
  readonly policy: ServerPolicy;
  readonly tls: TlsVersion;
  /** `accept` or `reject`. */
  readonly expected: string;
  readonly cells: Readonly<Record<string, MatrixCell | null>>;
  /** True when the targets that ran it disagree on the verdict or the outcome class. */
  readonly differs: boolean;
}

/** matrix.json. */
export interface MatrixJson {
  readonly schemaVersion: typeof MATRIX_SCHEMA_VERSION;
  readonly tool: MatrixInput['tool'];
  readonly catalogue: { readonly version: number };
  readonly clock: string;
  readonly startedAt: string;
  readonly duration: number;
  readonly policies: readonly ServerPolicy[];
  readonly tls: readonly TlsVersion[];
  readonly targets: readonly {
    readonly name: string;
    readonly status: MatrixTargetStatus;
    readonly version?: string;
    readonly reason?: string;
    readonly endpoint?: string;
    readonly summary?: RunResult['summary'];
  }[];
  readonly rows: readonly MatrixRow[];
  /** True when every target is conformant. */
  readonly conformant: boolean;
}

/** A cell's observed outcome in a few words (`accepted (200)` shows the HTTP status of an accepted client). */
export function cellText(result: ScenarioResult): string {
  const o = result.observed;
  if (o.outcome === 'accepted' && o.httpStatus !== undefined) return `accepted (${o.httpStatus})`;
  return describeOutcome(o);
}

/** The status of one run as a matrix column. */
export function matrixStatusOf(run: RunResult): MatrixTargetStatus {
  const s = runStatus(run);
  return s === 'error' || run.summary.error > 0 ? 'error' : s;
}

/** Rows in catalogue order (the order of the first run that has each scenario), one per scenario × TLS version. */
export function matrixRows(input: MatrixInput): MatrixRow[] {
  const order: { key: string; result: ScenarioResult }[] = [];
  const seen = new Set<string>();
  const byTarget = new Map<string, Map<string, ScenarioResult>>();
  for (const t of input.targets) {
    const map = new Map<string, ScenarioResult>();
    byTarget.set(t.name, map);
    for (const r of t.run?.results ?? []) {
      const key = `${r.id}|${r.tls}`;
      // NOTE: the sanity scenario runs first and last; the first result stands for the row.
      if (!map.has(key)) map.set(key, r);
      if (!seen.has(key)) {
        seen.add(key);
        order.push({ key, result: r });
      }
    }
  }
  return order.map(({ key, result }) => {
    const cells: Record<string, MatrixCell | null> = {};
    for (const t of input.targets) {
      const r = byTarget.get(t.name)?.get(key);
      cells[t.name] = r ? { observed: cellText(r), verdict: r.verdict, reason: oneLine(r.reason) } : null;
    }
    const ran = Object.values(cells).filter((c): c is MatrixCell => c !== null && c.verdict !== 'skip');
    const cls = (c: MatrixCell) => `${c.verdict}|${c.observed.startsWith('accepted') ? 'accepted' : 'rejected'}`;
    return {
      id: result.id,
      title: result.title,
      policy: result.policy,
      tls: result.tls,
      expected: result.expected.decision,
      cells,
      differs: new Set(ran.map(cls)).size > 1,
    };
  });
}

/** matrix.json: the targets with their summaries and every row. Pure: the same input gives the same bytes. */
export function formatMatrixJson(input: MatrixInput): string {
  const out: MatrixJson = {
    schemaVersion: MATRIX_SCHEMA_VERSION,
    tool: input.tool,
    catalogue: { version: input.catalogueVersion },
    clock: input.clock,
    startedAt: input.startedAt,
    duration: input.duration,
    policies: input.policies,
    tls: input.tls,
    targets: input.targets.map((t) => ({
      name: t.name,
      status: t.status,
      ...(t.version ? { version: t.version } : {}),
      ...(t.reason ? { reason: t.reason } : {}),
      ...(t.run ? { endpoint: t.run.target.endpoint, summary: t.run.summary } : {}),
    })),
    rows: matrixRows(input),
    conformant: input.targets.every((t) => t.status === 'conformant'),
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}

const STATUS_WORD: Readonly<Record<MatrixTargetStatus, string>> = {
  conformant: 'conformant',
  'not-conformant': 'NOT CONFORMANT',
  error: 'ERROR',
  unavailable: 'unavailable',
  interrupted: 'interrupted',
};

const ESC = '\u001b[';
const paint = (on: boolean, code: string) => (text: string) => (on ? `${ESC}${code}m${text}${ESC}0m` : text);

/** Options of the matrix console: colour, `--verbose`, and whether an unavailable target is allowed. */
export interface MatrixConsoleOptions extends FormatterOptions {
  /** `--allow-unavailable`: an unavailable target does not make the matrix an error. */
  readonly allowUnavailable?: boolean;
}

/**
 * The matrix's verdict in one line, as its exit status reads it: `INTERRUPTED` (130/143), `ERROR` (2: a target
 * errored, or is unavailable without --allow-unavailable), `NOT CONFORMANT` (1), `CONFORMANT` (0); the targets named.
 */
export function matrixStatusLine(input: MatrixInput, opts: MatrixConsoleOptions = {}): string {
  const on = opts.color === true;
  const names = (status: MatrixTargetStatus) =>
    input.targets.filter((t) => t.status === status).map((t) => oneLine(t.name));
  const total = input.targets.length;
  const interrupted = names('interrupted');
  if (interrupted.length > 0)
    return `${paint(on, '1;31')('INTERRUPTED')}: ${total - interrupted.length} of ${total} target(s) finished, no verdict on ${interrupted.join(', ')}`;
  const errored = [...names('error'), ...(opts.allowUnavailable ? [] : names('unavailable'))];
  const failing = names('not-conformant');
  if (errored.length > 0)
    return `${paint(on, '1;31')('ERROR')}: ${errored.join(', ')}${failing.length > 0 ? `; not conformant: ${failing.join(', ')}` : ''}`;
  if (failing.length > 0)
    return `${paint(on, '1;31')('NOT CONFORMANT')}: ${failing.join(', ')} (${failing.length} of ${total} target(s))`;
  const unavailable = names('unavailable');
  return `${paint(on, '1;32')('CONFORMANT')}: ${total - unavailable.length} target(s)${unavailable.length > 0 ? `; unavailable: ${unavailable.join(', ')}` : ''}`;
}

/**
 * The matrix on a terminal: one line per target (status, version, summary or reason), how many rows the targets
 * disagree on (with `verbose`, each such row and what every target did), and the verdict line last.
 */
export function formatMatrixConsole(input: MatrixInput, opts: MatrixConsoleOptions = {}): string {
  const on = opts.color === true;
  const rows = matrixRows(input);
  const differs = rows.filter((r) => r.differs);
  const width = Math.max(8, ...input.targets.map((t) => oneLine(t.name).length));
  const lines = [
    paint(
      on,
      '1',
    )(
      `mtls-harness matrix: ${input.targets.length} target(s) · policies ${input.policies.join(', ')} · ${input.tls.map(tlsLabel).join(', ')} · took ${formatDuration(input.duration)}`,
    ),
    ...input.targets.map((t) => {
      const word = STATUS_WORD[t.status];
      const painted =
        t.status === 'conformant' ? paint(on, '32')(word) : /[A-Z]/.test(word) ? paint(on, '1;31')(word) : word;
      const detail = t.run ? summaryText(t.run.summary) : t.reason ? oneLine(t.reason) : '';
      return `  ${oneLine(t.name).padEnd(width)}  ${painted}${' '.repeat(Math.max(1, 15 - word.length))}${t.version ? `${oneLine(t.version)} · ` : ''}${detail}`;
    }),
    `  ${differs.length} of ${rows.length} row(s) differ between targets${differs.length > 0 && !opts.verbose ? ' (--verbose lists them; matrix.md and matrix.html show them in bold)' : ''}`,
  ];
  if (opts.verbose) {
    for (const r of differs) {
      const cells = Object.entries(r.cells)
        .map(([name, c]) => `${oneLine(name)} ${c ? `${c.verdict} (${c.observed})` : 'not run'}`)
        .join(' · ');
      lines.push(`    ${r.id} [${tlsLabel(r.tls)}]: ${cells}`);
    }
  }
  lines.push(matrixStatusLine(input, opts));
  return `${lines.join('\n')}\n`;
}

/** The file formats of a matrix and their file names inside `--out`: a public contract. */
export const MATRIX_FILES = {
  json: 'matrix.json',
  markdown: 'matrix.md',
  html: 'matrix.html',
} as const;

/** The formats `matrix --format` takes: the console summary and the three files. */
export type MatrixFormat = 'console' | keyof typeof MATRIX_FILES;

/** Every matrix format, in the order help texts list them. */
export const MATRIX_FORMATS: readonly MatrixFormat[] = ['console', 'json', 'markdown', 'html'];

/** matrix.md: a targets table, then the matrix (scenario × TLS rows, a column per target). */
export function formatMatrixMarkdown(input: MatrixInput): string {
  const rows = matrixRows(input);
  const names = input.targets.map((t) => t.name);
  const lines = [
    '# mTLS differential matrix',
    '',
    `${mdText(input.tool.name)} ${mdText(input.tool.version)} · catalogue v${input.catalogueVersion} · fixture clock ${mdText(input.clock)} · ` +
      `policies ${input.policies.join(', ')} · ${input.tls.map(tlsLabel).join(', ')} · took ${formatDuration(input.duration)}`,
    '',
    '| target | version | status | summary |',
    '| --- | --- | --- | --- |',
    ...input.targets.map(
      (t) =>
        `| ${mdText(t.name)} | ${mdText(t.version ?? '')} | ${STATUS_WORD[t.status]}${t.reason ? `: ${mdText(t.reason)}` : ''} | ${t.run ? mdText(summaryText(t.run.summary)) : ''} |`,
    ),
    '',
    `Legend: ${(Object.keys(VERDICT_ICON) as Verdict[]).map((v) => `${VERDICT_ICON[v]} ${v}`).join(' · ')}; ` +
      '**bold** rows: the targets disagree.',
    '',
    `| scenario | TLS | expected | ${names.map(mdText).join(' | ')} |`,
    `| --- | --- | --- | ${names.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => {
      const id = r.differs ? `**${mdText(r.id)}**` : mdText(r.id);
      const cells = names.map((n) => {
        const c = r.cells[n];
        return c ? `${VERDICT_ICON[c.verdict]} ${mdText(c.verdict === 'skip' ? 'skip' : c.observed)}` : '';
      });
      return `| ${id} | ${r.tls} | ${r.expected} | ${cells.join(' | ')} |`;
    }),
    '',
  ];
  return lines.join('\n');
}

const h = htmlEscape;

const CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1f2328}
table{border-collapse:collapse;margin:1rem 0}
th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa;position:sticky;top:0}
td.v-pass{background:#dafbe1}td.v-fail{background:#ffebe9}td.v-xpass{background:#fff1e5}
td.v-error{background:#fbefff}td.v-xfail{background:#ddf4ff}td.v-skip{color:#6e7781}
tr.differs td:first-child{font-weight:bold}
.s-conformant{color:#1a7f37}.s-not-conformant{color:#cf222e}.s-error{color:#8250df}.s-unavailable{color:#6e7781}.s-interrupted{color:#9a6700}
small{color:#6e7781}
`;

// Plain ES5-level script: hides the rows where every target agrees. It reads the DOM only.
const MATRIX_SCRIPT = `
(function () {
  var box = document.getElementById('only-differs');
  var count = document.getElementById('matrix-count');
  var table = document.getElementById('matrix');
  if (!box || !count || !table) return;
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  function apply() {
    var shown = 0;
    rows.forEach(function (row) {
      var ok = !box.checked || row.classList.contains('differs');
      row.hidden = !ok;
      if (ok) shown += 1;
    });
    count.textContent = shown + ' of ' + rows.length + ' rows';
  }
  box.addEventListener('change', apply);
  apply();
})();
`;

/** matrix.html: one self-contained page (no external resources, a CSP forbids fetches), every string escaped. */
export function formatMatrixHtml(input: MatrixInput): string {
  const rows = matrixRows(input);
  const names = input.targets.map((t) => t.name);
  const targetRows = input.targets
    .map(
      (t) =>
        `<tr><td>${h(t.name)}</td><td>${h(t.version ?? '')}</td><td class="s-${t.status}">${h(STATUS_WORD[t.status])}` +
        `${t.reason ? `<br><small>${h(t.reason)}</small>` : ''}</td><td>${t.run ? h(summaryText(t.run.summary)) : ''}</td></tr>`,
    )
    .join('\n');
  const rowHtml = rows
    .map((r) => {
      const cells = names
        .map((n) => {
          const c = r.cells[n];
          if (!c) return '<td></td>';
          return `<td class="v-${c.verdict}" title="${h(c.reason)}">${h(c.verdict)}<br><small>${h(c.verdict === 'skip' ? 'not run' : c.observed)}</small></td>`;
        })
        .join('');
      return `<tr${r.differs ? ' class="differs"' : ''}><td>${h(r.id)}</td><td>${h(tlsLabel(r.tls))}</td><td>${h(r.expected)}</td>${cells}</tr>`;
    })
    .join('\n');
  const body = `<h1>mTLS differential matrix</h1>
<p>${h(input.tool.name)} ${h(input.tool.version)} · catalogue v${input.catalogueVersion} · fixture clock <code>${h(input.clock)}</code> · policies ${h(input.policies.join(', '))} · ${h(input.tls.map(tlsLabel).join(', '))} · started ${h(input.startedAt)} · took ${h(formatDuration(input.duration))}</p>
<table id="targets">
<thead><tr><th>target</th><th>version</th><th>status</th><th>summary</th></tr></thead>
<tbody>
${targetRows}
</tbody>
</table>
<p><small>Each cell: the verdict and what the client observed (hover for the reason). Bold rows: the targets disagree.</small></p>
<p><label><input type="checkbox" id="only-differs"> only the rows where the targets disagree</label> <span id="matrix-count"></span></p>
<table id="matrix">
<thead><tr><th>scenario</th><th>TLS</th><th>expected</th>${names.map((n) => `<th>${h(n)}</th>`).join('')}</tr></thead>
<tbody>
${rowHtml}
</tbody>
</table>
`;
  return htmlPage({ title: 'mTLS differential matrix', css: CSS, body, script: MATRIX_SCRIPT });
}

/** The matrix file writers, by format name. */
export const MATRIX_FORMATTERS: Readonly<Record<keyof typeof MATRIX_FILES, (input: MatrixInput) => string>> = {
  json: formatMatrixJson,
  markdown: formatMatrixMarkdown,
  html: formatMatrixHtml,
};
