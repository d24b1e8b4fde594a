import type { LatencyMs, LoadResult } from '../core/load-result.js';
import { describeLoad, formatMs, formatRate, kneeLine } from './load-figures.js';
import { LOAD_STATUS_LABEL, loadGates, loadStatus, type LoadStatus } from './load-gates.js';
import { mdText } from './markdown.js';

const STATUS_ICON: Readonly<Record<LoadStatus, string>> = {
  pass: '✅',
  fail: '❌',
  undecided: '⚠️',
  interrupted: '⏹️',
};

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function table(header: readonly string[], body: readonly (readonly string[])[]): string[] {
  return [row(header), row(header.map(() => '---')), ...body.map(row)];
}

/** Counts by kind, largest first, as table rows with each kind's share of `of`. */
function kindRows(record: Readonly<Record<string, number>>, of: number): string[][] {
  return Object.entries(record)
    .sort((a, b) => b[1] - a[1])
    .map(([kind, n]) => [mdText(kind), String(n), of > 0 ? `${((n / of) * 100).toFixed(2)} %` : '–']);
}

/** The latency columns every table shares: p50, p90, p95, p99, p99.9, max, mean and standard deviation. */
const LATENCY_HEADERS = ['p50', 'p90', 'p95', 'p99', 'p99.9', 'max', 'mean', 'stdev'] as const;
const latencyCells = (l: LatencyMs): string[] =>
  // NOTE: p95 and stdev are absent from results.json written before issue 14.
  [l.p50, l.p90, l.p95, l.p99, l.p999, l.max, l.mean, l.stdev].map((v) =>
    v === undefined ? '–' : `${formatMs(v)} ms`,
  );

/**
 * A short Markdown summary of a load run (or a merge) for a CI job page (`$GITHUB_STEP_SUMMARY`, summary.md): the
 * verdict, what was run, the headline figures, the failures, each gate that was checked with its limit and what
 * was measured, and refusals and errors by kind. Target-controlled text (target name, error kinds, notes) is escaped.
 */
export function formatLoadMarkdown(r: LoadResult): string {
  const status = loadStatus(r);
  const out: string[] = [];
  const interrupted = status === 'interrupted' ? ` by ${r.signal ?? 'a stop'}: no verdict, partial figures` : '';
  out.push(
    `## ${STATUS_ICON[status]} ${LOAD_STATUS_LABEL[status]}${interrupted}: mtls-harness load against ${mdText(r.target.name)} (${mdText(r.target.endpoint)})`,
    '',
  );
  out.push(
    `${mdText(describeLoad(r))} · measured ${(r.durationMs / 1000).toFixed(2)} s from ${mdText(r.startedAt)}` +
      `${r.agents > 1 ? ` · ${r.agents} agents merged` : ''} · ${mdText(r.tool.name)} ${mdText(r.tool.version)}`,
    '',
  );

  const attempts = r.http ? r.http.succeeded + r.http.rejected + r.http.failed : r.handshakes.attempted;
  const errorRate = r.errorRate === null ? '–' : `${(r.errorRate * 100).toFixed(2)} %`;
  if (r.http) {
    out.push(
      ...table(
        ['requests/s', 'accepted', 'refused', 'failed', ...LATENCY_HEADERS, 'error rate'],
        [
          [
            `**${formatRate(r.http.requestsPerSecond)}**`,
            String(r.http.succeeded),
            String(r.http.rejected),
            String(r.http.failed),
            ...latencyCells(r.http.latencyMs),
            errorRate,
          ],
        ],
      ),
    );
  } else {
    out.push(
      ...table(
        ['handshakes/s', 'full/s', 'resumed/s', 'accepted', 'refused', 'failed', ...LATENCY_HEADERS, 'error rate'],
        [
          [
            `**${formatRate(r.handshakesPerSecond.total)}**`,
            formatRate(r.handshakesPerSecond.full),
            formatRate(r.handshakesPerSecond.resumed),
            `${r.handshakes.succeeded} of ${r.handshakes.attempted}`,
            String(r.handshakes.rejected),
            String(r.handshakes.failed),
            ...latencyCells(r.latencyMs),
            errorRate,
          ],
        ],
      ),
    );
  }
  out.push('');
  const extra = [
    r.resumedRatio !== null ? `resumed ratio ${(r.resumedRatio * 100).toFixed(2)} %` : '',
    r.acceptances !== null ? `acceptances **${r.acceptances}**` : '',
    r.config.rate !== null || !!r.config.stages ? `dropped arrivals ${r.dropped}` : '',
    r.clientCpuMsPerHandshake !== null
      ? `generator CPU ${formatMs(r.clientCpuMsPerHandshake)} ms per ${r.http ? 'request' : 'handshake'}`
      : '',
  ].filter(Boolean);
  if (extra.length > 0) out.push(extra.join(' · '), '');
  if (r.byVersion) {
    out.push('### By TLS version', '');
    out.push(
      ...table(
        ['version', 'share asked', 'handshakes/s', 'accepted', 'refused', 'failed', ...LATENCY_HEADERS],
        (['1.2', '1.3'] as const).map((v) => {
          const f = r.byVersion![v];
          return [
            `TLS ${v}`,
            `${(f.share * 100).toFixed(1)} %`,
            formatRate(f.handshakesPerSecond),
            `${f.succeeded} of ${f.attempted}`,
            String(f.rejected),
            String(f.failed),
            ...latencyCells(f.latencyMs),
          ];
        }),
      ),
      '',
    );
  }
  const knee = kneeLine(r);
  if (knee) out.push('### Knee (--stages)', '', mdText(knee), '');
  if (r.ticketsReceived !== null && r.ticketsReceived !== undefined)
    out.push(
      `Tickets (advertise): ${r.ticketsReceived} of ${r.handshakes.succeeded} accepted handshakes received one`,
      '',
    );
  if (r.chainCache)
    out.push(
      `Server chain (wire engine): ${r.chainCache.verifications} full verifications, ${r.chainCache.hits} cache hits, ${r.chainCache.invalidations} invalidations, ${r.chainCache.failures} failures`,
      '',
    );

  if (r.failures.length > 0) {
    out.push(`### Failures (${r.failures.length})`, '');
    for (const f of r.failures) out.push(`- ${mdText(f)}`);
    out.push('');
  }

  const gates = loadGates(r);
  out.push('### Gates', '');
  out.push(
    ...table(
      ['gate', 'limit', 'measured', 'result'],
      gates.map((g) => [
        mdText(g.name),
        mdText(g.limit),
        mdText(g.measured),
        g.errors.length > 0 ? '⚠️ no verdict' : g.failures.length > 0 ? '❌ breached' : '✅ held',
      ]),
    ),
    '',
  );

  if (r.rejectionsTotal > 0) {
    out.push(`### Refusals by kind (${r.rejectionsTotal})`, '');
    out.push(...table(['kind', 'count', 'share of attempts'], kindRows(r.rejections, attempts)), '');
  }
  if (r.errorsTotal > 0) {
    out.push(`### Errors by kind (${r.errorsTotal})`, '');
    out.push(...table(['kind', 'count', 'share of attempts'], kindRows(r.errors, attempts)), '');
  }
  for (const note of r.notes) out.push(`> ${mdText(note)}`, '');
  return out.join('\n').replace(/\n+$/, '') + '\n';
}
