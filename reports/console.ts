import type { RunResult, ScenarioResult, Verdict } from '../core/result.js';
import {
  CHANGE_LABEL,
  describeExpected,
  describeObserved,
  describeOutcome,
  formatDuration,
  isProblem,
  notVerifiedHeadline,
  warningsOf,
  disagreementsOf,
  findingsOf,
  describeClients,
  oneLine,
  policiesOf,
  runStatus,
  interruptedDetail,
  interruptedHeadline,
  scenarioRows,
  STATUS_LABEL,
  summaryText,
  targetText,
  tlsLabel,
  tlsVersionsOf,
  verdictCell,
  type RunStatus,
} from './common.js';
import type { FormatterOptions } from './types.js';

type Paint = (text: string) => string;

const ESC = '\u001b[';
const sgr =
  (open: string): Paint =>
  (text) =>
    `${ESC}${open}m${text}${ESC}0m`;

const PAINT_VERDICT: Readonly<Record<Verdict, Paint>> = {
  pass: sgr('32'),
  fail: sgr('1;31'),
  xpass: sgr('1;31'),
  error: sgr('1;35'),
  xfail: sgr('36'),
  skip: sgr('33'),
};
const PAINT_STATUS: Readonly<Record<RunStatus, Paint>> = {
  conformant: sgr('1;32'),
  'not-conformant': sgr('1;31'),
  error: sgr('1;35'),
  interrupted: sgr('1;33'),
};
const bold = sgr('1');
const dim = sgr('2');
const plain: Paint = (text) => text;

/** Pads to a width counted in code points (every string we pad is colour-free at that point). */
function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - [...text].length));
}

/**
 * One short line for live progress, e.g. `  pass  rfc5280::validity::expired-leaf [TLS 1.3] alert certificate_expired (12 ms)`.
 * The verdict column is padded so successive lines align.
 */
export function formatProgressLine(result: ScenarioResult, opts: FormatterOptions = {}): string {
  const paint = opts.color ? PAINT_VERDICT[result.verdict] : plain;
  const tail = result.observed.outcome === 'not-run' ? oneLine(result.reason) : describeOutcome(result.observed);
  const time = result.observed.outcome === 'not-run' ? '' : ` (${formatDuration(result.duration)})`;
  return `  ${paint(pad(result.verdict, 5))} ${oneLine(result.id)} [${tlsLabel(result.tls)}] ${tail}${time}`;
}

/**
 * The terminal report, for people: a header, every failing result with its reason, the warnings, what procedures
 * saw (Sessions and identity: the findings that are not passes and the advisory ones, the passes counted in one
 * line), the results the clients disagreed on, what was not verified and why (with how to enable it), the totals, and
 * a final line reading `CONFORMANT`, `NOT CONFORMANT: …` or `ERROR <code>: <message>` — an all-pass run fits on one
 * screen. With `opts.verbose`, also the table of every scenario × TLS version (`pass (alert certificate_expired)`,
 * `fail (accepted)`, `skip`) and every finding. ANSI colour only when `opts.color` is true. Text from the target has
 * its control characters made visible, so it cannot drive the terminal.
 */
export function formatConsole(run: RunResult, opts: FormatterOptions = {}): string {
  const color = opts.color === true;
  const paintVerdict = (verdict: Verdict): Paint => (color ? PAINT_VERDICT[verdict] : plain);
  const b = color ? bold : plain;
  const d = color ? dim : plain;
  const lines: string[] = [];

  lines.push(
    b(`${run.tool.name} ${run.tool.version}`) +
      ` · catalogue v${run.catalogue.version} (${run.catalogue.scenarios} scenarios)`,
  );
  lines.push(`target      ${oneLine(targetText(run))}`);
  lines.push(`policy      ${run.policy} · strictness ${run.strictness} · clock ${oneLine(run.clock)}`);
  lines.push(`started     ${oneLine(run.startedAt)} · took ${formatDuration(run.duration)}`);
  if (run.baseline) {
    lines.push(
      `baseline    ${oneLine(run.baseline.file)}: ${run.baseline.newFailures} new failure(s), ${run.baseline.fixed} fixed`,
    );
  }
  lines.push('');

  // Summary table (--verbose): one row per scenario, one column per TLS version.
  const tlsVersions = tlsVersionsOf(run.results);
  const showPolicy = policiesOf(run.results).length > 1;
  const rows = opts.verbose ? scenarioRows(run.results) : [];
  if (rows.length > 0) {
    const header = ['Scenario', ...(showPolicy ? ['Policy'] : []), ...tlsVersions.map(tlsLabel)];
    const body = rows.map((row) => ({
      texts: [
        oneLine(row.id),
        ...(showPolicy ? [row.policy] : []),
        ...tlsVersions.map((tls) => {
          const cell = row.cells[tls];
          return cell ? oneLine(verdictCell(cell)) : '-';
        }),
      ],
      verdicts: [undefined, ...(showPolicy ? [undefined] : []), ...tlsVersions.map((tls) => row.cells[tls]?.verdict)],
    }));
    const widths = header.map((h, i) => Math.max([...h].length, ...body.map((r) => [...(r.texts[i] ?? '')].length)));
    const render = (cells: readonly string[], paints: readonly (Paint | undefined)[]): string =>
      cells
        .map((text, i) => {
          const last = i === cells.length - 1;
          const padded = last ? text : pad(text, widths[i] ?? 0);
          const paint = paints[i];
          if (!paint) return padded;
          // Colour only the text, not the padding, so that widths stay right.
          return paint(text) + padded.slice(text.length);
        })
        .join('  ')
        .trimEnd();
    lines.push(
      render(
        header,
        header.map(() => b),
      ),
    );
    lines.push(d(widths.map((w) => '-'.repeat(w)).join('  ')));
    for (const row of body) {
      lines.push(
        render(
          row.texts,
          row.verdicts.map((v) => (v ? paintVerdict(v) : undefined)),
        ),
      );
    }
    lines.push('');
  } else if (run.results.length === 0) {
    lines.push('No scenario results.', '');
  }

  // Failing results with their reasons: gating failures and errors, then the warnings the gate lets through.
  const detail = (r: ScenarioResult, label: string) => {
    const change = r.change === 'new-failure' ? ` [${CHANGE_LABEL[r.change]}]` : '';
    lines.push(`  ${paintVerdict(r.verdict)(label)}  ${oneLine(r.id)} [${tlsLabel(r.tls)}]${change}`);
    lines.push(`         ${d('title:')}    ${oneLine(r.title)} (${r.severity})`);
    lines.push(`         ${d('expected:')} ${oneLine(describeExpected(r.expected))}`);
    lines.push(`         ${d('observed:')} ${oneLine(describeObserved(r.observed))}`);
    if (r.observations.length > 1) lines.push(`         ${d('clients:')}  ${oneLine(describeClients(r.observations))}`);
    lines.push(`         ${d('reason:')}   ${oneLine(r.reason)}`);
  };
  const problems = run.results.filter((r) => isProblem(r, run));
  if (problems.length > 0) {
    lines.push(b(`Failures (${problems.length})`));
    for (const r of problems) detail(r, r.verdict);
    lines.push('');
  }
  const warnings = warningsOf(run);
  if (warnings.length > 0) {
    lines.push(b(`Warnings (${warnings.length}): protocol-severity failures, not gating (--strict makes them fail)`));
    for (const r of warnings) detail(r, 'warn');
    lines.push('');
  }
  const findings = findingsOf(run);
  if (findings.length > 0) {
    lines.push(b(`Sessions and identity (${findings.length})`));
    // By default only what needs reading: findings that are not passes (an advisory one that did not pass is the only
    // place a soft-fail or a resumption that ignores revocation shows); the passes, advisory ones included, are counted
    // per topic. --verbose lists every finding.
    const needsReading = (r: ScenarioResult) => r.verdict !== 'pass';
    const listed = opts.verbose ? findings : findings.filter(needsReading);
    const folded = opts.verbose ? [] : findings.filter((r) => !needsReading(r));
    for (const r of listed) {
      const label = r.severity === 'advisory' ? `${r.verdict}, advisory` : r.verdict;
      lines.push(
        `  ${paintVerdict(r.verdict)(pad(label, 5))} ${oneLine(r.id)} [${tlsLabel(r.tls)}]: ${oneLine(r.finding ?? '')}`,
      );
    }
    if (folded.length > 0) {
      const topics = new Map<string, number>();
      for (const r of folded) {
        const topic = r.id.split('::')[1] ?? r.id;
        topics.set(topic, (topics.get(topic) ?? 0) + 1);
      }
      const perTopic = [...topics].map(([topic, n]) => `${oneLine(topic)} ${n}`).join(', ');
      const advisory = folded.filter((r) => r.severity === 'advisory').length;
      const among = advisory > 0 ? ` (${advisory} advisory)` : '';
      lines.push(`  ${d(`${folded.length} more passed${among}: ${perTopic}; see --verbose`)}`);
    }
    lines.push('');
  }
  const disagreements = disagreementsOf(run);
  if (disagreements.length > 0) {
    lines.push(b(`Clients disagree (${disagreements.length})`));
    for (const r of disagreements) {
      lines.push(`  ${oneLine(r.id)} [${tlsLabel(r.tls)}]: ${oneLine(describeClients(r.observations))}`);
    }
    lines.push('');
  }
  if (run.coverage.notVerified.length > 0) {
    lines.push(b('Not verified'));
    for (const line of run.coverage.notVerified) lines.push(`  ${oneLine(line)}`);
    for (const line of run.coverage.missing) lines.push(`  ${paintVerdict('fail')('required:')} ${oneLine(line)}`);
    lines.push('');
  }
  const fixed = run.results.filter((r) => r.change === 'fixed');
  if (fixed.length > 0) {
    lines.push(b(`Fixed since baseline (${fixed.length})`));
    for (const r of fixed) lines.push(`  ${oneLine(r.id)} [${tlsLabel(r.tls)}]`);
    lines.push('');
  }

  lines.push(`${run.summary.total} results: ${summaryText(run.summary)} in ${formatDuration(run.duration)}`);
  lines.push(runStatusLine(run, opts));
  return lines.join('\n') + '\n';
}

/**
 * The final line of the console report, alone: `CONFORMANT (…)`, `NOT CONFORMANT: …` or `ERROR <code>: <message>`
 * (what `--quiet` prints).
 */
export function runStatusLine(run: RunResult, opts: FormatterOptions = {}): string {
  const color = opts.color === true;
  const status = runStatus(run);
  const paintStatus = color ? PAINT_STATUS[status] : plain;
  const lines: string[] = [];
  const unverified = notVerifiedHeadline(run);
  const tail = [
    status === 'interrupted' ? '' : interruptedHeadline(run),
    run.summary.warnings > 0 ? `${run.summary.warnings} warning(s)` : '',
    unverified,
  ].filter(Boolean);
  const suffix = tail.length > 0 ? ` (${tail.join('; ')})` : '';
  if (status === 'error' && run.error) {
    lines.push(paintStatus(`${STATUS_LABEL.error} ${run.error.code}: ${oneLine(run.error.message)}${suffix}`));
  } else if (status === 'error') {
    lines.push(paintStatus(`${STATUS_LABEL.error}: ${run.summary.error} result(s) could not be judged${suffix}`));
  } else if (status === 'not-conformant') {
    const why = [
      run.summary.gating > 0 ? `${run.summary.gating} gating failure(s)` : '',
      run.coverage.missing.length > 0 ? `required coverage missing` : '',
      run.summary.error > 0 ? `${run.summary.error} error(s)` : '',
    ].filter(Boolean);
    lines.push(paintStatus(`${STATUS_LABEL[status]}: ${why.join(', ')}${suffix}`));
  } else if (status === 'interrupted') {
    lines.push(paintStatus(`${STATUS_LABEL[status]} ${interruptedDetail(run)}${suffix}`));
  } else {
    lines.push(paintStatus(`${STATUS_LABEL[status]}${suffix}`));
  }
  return lines.join('');
}
