import type { RunResult, ScenarioResult, Verdict } from '../core/result.js';
import {
  CHANGE_LABEL,
  describeExpected,
  describeObserved,
  formatDuration,
  isProblem,
  notVerifiedHeadline,
  warningsOf,
  findingsOf,
  describeClients,
  oneLine,
  policiesOf,
  runStatus,
  interruptedHeadline,
  scenarioRows,
  STATUS_LABEL,
  summaryText,
  targetText,
  tlsLabel,
  tlsVersionsOf,
  VERDICT_ORDER,
  verdictCell,
  type RunStatus,
} from './common.js';

const STATUS_ICON: Readonly<Record<RunStatus, string>> = {
  conformant: '✅',
  'not-conformant': '❌',
  error: '⚠️',
  interrupted: '⏹️',
};

/** The icon each verdict gets in Markdown tables (summary.md and matrix.md). */
export const VERDICT_ICON: Readonly<Record<Verdict, string>> = {
  pass: '✅',
  fail: '❌',
  xpass: '❗',
  error: '⚠️',
  xfail: '➖',
  skip: '⏭️',
};

/**
 * Escapes text for a GitHub-flavoured Markdown table cell or paragraph: HTML-significant characters become entities
 * (GitHub renders inline HTML), the punctuation of emphasis, code spans and links is backslash-escaped, pipes cannot
 * split a cell, and control characters and line breaks cannot break the table.
 */
export function mdText(text: string): string {
  return oneLine(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_[\]|~]/g, (c) => `\\${c}`);
}

/** An inline code span for identifiers, falling back to escaped text when the value could escape the span. */
function mdCode(text: string): string {
  return /^[\w.:@/ -]+$/.test(text) ? `\`${text}\`` : mdText(text);
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function table(header: readonly string[], body: readonly (readonly string[])[]): string[] {
  return [row(header), row(header.map(() => '---')), ...body.map(row)];
}

function changeBadge(result: ScenarioResult): string {
  return result.change ? CHANGE_LABEL[result.change] : '';
}

/**
 * A Markdown summary for a CI job page (`$GITHUB_STEP_SUMMARY`): the headline verdict, the run's context, a totals
 * table, a table of every failure, unexpected pass and error with its reason, and the full results table collapsed
 * in a `<details>` block.
 */
export function formatMarkdown(run: RunResult): string {
  const status = runStatus(run);
  const out: string[] = [];
  out.push(
    `## ${STATUS_ICON[status]} ${STATUS_LABEL[status]}: ${mdText(run.tool.name)} against ${mdText(run.target.name)}`,
  );
  out.push('');
  const unverified = notVerifiedHeadline(run);
  const interrupted = interruptedHeadline(run);
  if (unverified || interrupted || run.summary.warnings > 0) {
    const parts = [
      interrupted,
      run.summary.warnings > 0 ? `${run.summary.warnings} warning(s)` : '',
      unverified,
    ].filter(Boolean);
    out.push(`**${mdText(parts.join(' · '))}**`, '');
  }
  if (run.error) {
    out.push(`> **${mdCode(run.error.code)}**: ${mdText(run.error.message)}`, '');
  }
  out.push(
    `Target ${mdText(targetText(run))} · policy ${mdCode(run.policy)} · strictness ${mdCode(run.strictness)} · ` +
      `clock ${mdCode(run.clock)} · ${mdText(run.tool.name)} ${mdText(run.tool.version)} · ` +
      `catalogue v${run.catalogue.version} (${run.catalogue.scenarios} scenarios) · took ${formatDuration(run.duration)}`,
  );
  out.push('');
  if (run.baseline) {
    out.push(
      `Against baseline ${mdCode(run.baseline.file)}: **${run.baseline.newFailures} new failure(s)**, ` +
        `${run.baseline.fixed} fixed.`,
      '',
    );
  }

  out.push(
    ...table(
      [...VERDICT_ORDER.map((v) => `${VERDICT_ICON[v]} ${v}`), 'total'],
      [[...VERDICT_ORDER.map((v) => String(run.summary[v])), `**${run.summary.total}**`]],
    ),
  );
  out.push('');

  const problems = run.results.filter((r) => isProblem(r, run));
  const withBaseline = run.baseline !== undefined;
  if (problems.length > 0) {
    out.push(`### Failures and errors (${problems.length})`, '');
    out.push(
      ...table(
        ['Scenario', 'TLS', 'Verdict', 'Expected', 'Observed', 'Reason', ...(withBaseline ? ['Change'] : [])],
        problems.map((r) => [
          `${mdCode(r.id)}<br>${mdText(r.title)}`,
          r.tls,
          `${VERDICT_ICON[r.verdict]} ${r.verdict}`,
          mdText(describeExpected(r.expected)),
          mdText(describeObserved(r.observed)),
          mdText(r.reason),
          ...(withBaseline ? [changeBadge(r) === 'new failure' ? '**new failure**' : changeBadge(r)] : []),
        ]),
      ),
    );
    out.push('');
  } else if (run.results.length > 0) {
    out.push('No failures, unexpected passes or errors.', '');
  }

  const warnings = warningsOf(run);
  if (warnings.length > 0) {
    out.push(`### Warnings (${warnings.length})`, '');
    out.push('Protocol-severity failures (no authentication impact): they fail the gate only under `--strict`.', '');
    out.push(
      ...table(
        ['Scenario', 'TLS', 'Expected', 'Observed', 'Reason'],
        warnings.map((r) => [
          `${mdCode(r.id)}<br>${mdText(r.title)}`,
          r.tls,
          mdText(describeExpected(r.expected)),
          mdText(r.observations.length > 1 ? describeClients(r.observations) : describeObserved(r.observed)),
          mdText(r.reason),
        ]),
      ),
    );
    out.push('');
  }
  const findings = findingsOf(run);
  if (findings.length > 0) {
    out.push(`### Sessions and identity (${findings.length})`, '');
    out.push(
      ...table(
        ['Scenario', 'TLS', 'Verdict', 'Severity', 'What was seen'],
        findings.map((r) => [
          mdCode(r.id),
          r.tls,
          `${VERDICT_ICON[r.verdict]} ${r.verdict}`,
          r.severity,
          mdText(r.finding ?? ''),
        ]),
      ),
    );
    out.push('');
  }
  if (run.coverage.notVerified.length > 0 || run.coverage.missing.length > 0) {
    out.push('### Not verified', '');
    for (const line of run.coverage.notVerified) out.push(`- ${mdText(line)}`);
    for (const line of run.coverage.missing) out.push(`- **required:** ${mdText(line)}`);
    out.push('');
  }

  const fixed = run.results.filter((r) => r.change === 'fixed');
  if (fixed.length > 0) {
    out.push(`### Fixed since baseline (${fixed.length})`, '');
    for (const r of fixed) out.push(`- ${mdCode(r.id)} (${tlsLabel(r.tls)})`);
    out.push('');
  }

  const tlsVersions = tlsVersionsOf(run.results);
  const showPolicy = policiesOf(run.results).length > 1;
  const rows = scenarioRows(run.results);
  if (rows.length > 0) {
    out.push(`<details><summary>All results (${run.results.length})</summary>`, '');
    out.push(
      ...table(
        ['Scenario', ...(showPolicy ? ['Policy'] : []), ...tlsVersions.map(tlsLabel)],
        rows.map((r) => [
          mdCode(r.id),
          ...(showPolicy ? [r.policy] : []),
          ...tlsVersions.map((tls) => {
            const cell = r.cells[tls];
            if (!cell) return '–';
            const badge = cell.change === 'new-failure' || cell.change === 'fixed' ? ` **${changeBadge(cell)}**` : '';
            return `${VERDICT_ICON[cell.verdict]} ${mdText(verdictCell(cell))}${badge}`;
          }),
        ]),
      ),
    );
    out.push('', '</details>', '');
  }
  out.push(`${run.summary.total} results: ${summaryText(run.summary)}.`);
  return out.join('\n') + '\n';
}
