import type { LoadResult, LoadTick } from '../core/load-result.js';
import { visible } from './common.js';
import { describeLoad, describeStages, formatMs, formatRate, kneeLine, latencyLine } from './load-figures.js';
import { LOAD_STATUS_LABEL, loadStatus } from './load-gates.js';
import type { FormatterOptions } from './types.js';

export { describeLoad, formatMs, formatRate, latencyLine } from './load-figures.js';

const ESC = '\u001b[';

const paint = (on: boolean, code: string) => (text: string) => (on ? `${ESC}${code}m${text}${ESC}0m` : text);

/**
 * The live line printed once a second: elapsed of total seconds, the last second's rate, the p99 of the last whole
 * second every worker reported, its mean, and errors, e.g.
 * `    3/10 s  812 hs/s (full 812, resumed 0)  p99 12.5 ms  mean 9.81 ms  errors 0 (total 0)`.
 */
export function formatLoadTick(
  t: LoadTick,
  opts: FormatterOptions & { http?: boolean; scenario?: boolean } = {},
): string {
  const red = paint(opts.color === true, '1;31');
  const rate = opts.http ? `${t.requests} req/s` : `${t.full + t.resumed} hs/s (full ${t.full}, resumed ${t.resumed})`;
  const acc = opts.scenario ? `  acceptances ${t.acceptances > 0 ? red(String(t.acceptances)) : '0'}` : '';
  const errors = t.errors > 0 ? red(String(t.errors)) : '0';
  const refused =
    t.rejectedTotal > 0 && !opts.scenario
      ? `  rejected ${t.rejected > 0 ? red(String(t.rejected)) : '0'} (total ${t.rejectedTotal})`
      : '';
  const dropped = t.droppedTotal > 0 ? `  dropped ${red(String(t.droppedTotal))}` : '';
  const elapsed = `${t.elapsedS}${t.totalS !== null ? `/${t.totalS}` : ''} s`;
  const p99 = t.p99Ms === null ? 'p99 –' : `p99 ${formatMs(t.p99Ms)} ms`;
  return `  ${elapsed.padStart(8)}  ${rate}  ${p99}  mean ${formatMs(t.meanMs)} ms  errors ${errors} (total ${t.errorsTotal})${refused}${acc}${dropped}`;
}

const counts = (record: Readonly<Record<string, number>>): string =>
  Object.entries(record)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${visible(k)} ${v}`)
    .join(', ') || 'none';

/** The console summary of a load run (plain text; ANSI colour with `color`). */
export function formatLoadConsole(r: LoadResult, opts: FormatterOptions = {}): string {
  const on = opts.color === true;
  const bold = paint(on, '1');
  const green = paint(on, '1;32');
  const red = paint(on, '1;31');
  const lines: string[] = [];
  lines.push(bold(`mtls-harness load: ${visible(r.target.name)} (${visible(r.target.endpoint)})`));
  lines.push(`  ${describeLoad(r)}`);
  lines.push(
    `  measured ${(r.durationMs / 1000).toFixed(2)} s from ${r.startedAt}${r.agents > 1 ? ` · ${r.agents} agents merged` : ''}${r.interrupted ? ` · INTERRUPTED${r.signal ? ` (${r.signal})` : ''}: partial figures` : ''}`,
  );
  const h = r.handshakes;
  if (r.http) {
    lines.push(
      `  requests/s      ${bold(formatRate(r.http.requestsPerSecond))}  (${r.http.succeeded} ok of ${r.http.succeeded + r.http.rejected + r.http.failed}: ${r.http.rejected} rejected, ${r.http.failed} failed; ${r.http.connections} TLS connections, ${r.http.resumedConnections} resumed)`,
    );
    lines.push(`  latency         ${latencyLine(r.http.latencyMs)}`);
    lines.push(`  status codes    ${counts(r.http.statusCodes)}`);
    if (r.resumption.wanted > 0) {
      const rs = r.resumption;
      lines.push(
        `  resumption      ${rs.resumed} of ${rs.wanted} asked for (no ticket ${rs.noTicketReceived}, ticket refused ${rs.ticketRefused}, server cache off ${rs.serverCacheOff})`,
      );
    }
  } else {
    lines.push(
      `  handshakes/s    ${bold(formatRate(r.handshakesPerSecond.total))}  (full ${formatRate(r.handshakesPerSecond.full)}, resumed ${formatRate(r.handshakesPerSecond.resumed)})`,
    );
    lines.push(
      `  handshakes      ${h.succeeded} ${r.config.scenario ? 'accepted' : 'ok'} of ${h.attempted} (full ${h.full}, resumed ${h.resumed}; rejected ${h.rejected}, failed ${h.failed})`,
    );
    if (r.resumedRatio !== null)
      lines.push(
        `  resumed ratio   ${(r.resumedRatio * 100).toFixed(2)} % of accepted handshakes (${r.config.engine === 'wire' ? 'the ServerHello: session id echoed or PSK selected' : 'isSessionReused'})`,
      );
    if (r.resumption.wanted > 0) {
      const rs = r.resumption;
      lines.push(
        `  resumption      ${rs.resumed} of ${rs.wanted} asked for (no ticket ${rs.noTicketReceived}, ticket refused ${rs.ticketRefused}, server cache off ${rs.serverCacheOff})`,
      );
    }
    lines.push(`  latency         ${latencyLine(r.latencyMs)}`);
    // NOTE: --verbose shows each kind that has a measurement; by default only when both kinds do (else it repeats).
    if (opts.verbose) {
      for (const kind of ['full', 'resumed'] as const)
        if (r.latencyByKind[kind].count > 0)
          lines.push(`    ${kind.padEnd(14)}${latencyLine(r.latencyByKind[kind])} (${r.latencyByKind[kind].count})`);
    } else if (r.latencyByKind.full.count > 0 && r.latencyByKind.resumed.count > 0) {
      lines.push(`    full          ${latencyLine(r.latencyByKind.full)}`);
      lines.push(`    resumed       ${latencyLine(r.latencyByKind.resumed)}`);
    }
  }
  if (r.byVersion) {
    for (const v of ['1.2', '1.3'] as const) {
      const f = r.byVersion[v];
      lines.push(
        `  TLS ${v}         ${formatRate(f.handshakesPerSecond)} hs/s · ${f.succeeded} ok of ${f.attempted} (${(f.share * 100).toFixed(1)} % asked; full ${f.full}, resumed ${f.resumed}; rejected ${f.rejected}, failed ${f.failed})`,
      );
      lines.push(`    latency       ${latencyLine(f.latencyMs)}`);
    }
  }
  if (r.ticketsReceived !== null && r.ticketsReceived !== undefined)
    lines.push(
      `  tickets         ${r.ticketsReceived} of ${r.handshakes.succeeded} accepted handshakes received a ticket (asked for, never used)`,
    );
  if (r.chainCache) {
    const cc = r.chainCache;
    lines.push(
      `  server chain    verified ${cc.verifications}× in full, ${cc.hits} cache hits (same bytes; signature checked every time), ${cc.invalidations} invalidated (chain changed)${cc.failures ? `, ${cc.failures} failed` : ''}`,
    );
  }
  const knee = kneeLine(r);
  if (knee) lines.push(`  knee            ${visible(knee)}`);
  if (r.acceptances !== null) {
    const bad = r.config.scenario?.expect === 'reject' && r.acceptances > 0;
    lines.push(
      `  acceptances     ${bad ? red(String(r.acceptances)) : String(r.acceptances)}  (rejections: ${counts(r.rejections)})`,
    );
  } else if (r.rejectionsTotal > 0) {
    const where = r.http
      ? ''
      : ` · ${h.rejectedAfterHandshake} after the handshake completed · ${h.rejectedResumed} on resumed sessions`;
    lines.push(`  rejected        ${red(String(r.rejectionsTotal))} (${counts(r.rejections)})${where}`);
  }
  lines.push(`  errors          ${r.errorsTotal}${r.errorsTotal ? ` (${counts(r.errors)})` : ''}`);
  if (opts.verbose) lines.push(...verboseDetails(r));
  if (r.config.rate !== null || !!r.config.stages)
    lines.push(
      `  dropped         ${r.dropped > 0 ? red(String(r.dropped)) : '0'} arrivals never issued (${r.config.connections} in flight at ${r.config.stages ? `--stages ${describeStages(r.config.stages)}` : `--rate ${r.config.rate}`}; their wait is in the latency)`,
    );
  if (r.errorRate !== null)
    lines.push(
      `  error rate      ${(r.errorRate * 100).toFixed(2)} %${r.config.scenario ? ' (errors only: refusals are decisions)' : ' (errors + refusals)'}${r.dropped > 0 ? ' + dropped arrivals' : ''} · --max-error-rate ${r.thresholds.maxErrorRate}`,
    );
  if (r.cpu && r.clientCpuMsPerHandshake !== null) {
    const busy = r.cpu.cores >= 0.9 * r.config.workers ? ' (near saturation: the generator may be the limit)' : '';
    lines.push(
      `  generator CPU   ${formatMs(r.clientCpuMsPerHandshake)} ms per ${r.http ? 'request' : 'handshake'} · ${r.cpu.cores.toFixed(2)} cores busy${busy}`,
    );
  } else {
    lines.push('  generator CPU   not measured');
  }
  if (opts.verbose && r.cpu)
    lines.push(
      `    user / system ${formatMs(r.cpu.userMs)} / ${formatMs(r.cpu.systemMs)} ms over ${r.config.workers} worker(s)`,
    );
  for (const note of r.notes) lines.push(`  note: ${visible(note)}`);
  if (r.passed) lines.push(green('  PASS'));
  else for (const f of r.failures) lines.push(red(`  FAIL ${visible(f)}`));
  // NOTE: an interrupted run is never a pass, even when nothing measured so far failed.
  if (r.interrupted)
    lines.push(
      red(`  INTERRUPTED${r.signal ? ` by ${r.signal}` : ''}: no verdict on what was asked; the figures are partial`),
    );
  return lines.join('\n') + '\n';
}

/**
 * What `--verbose` adds: every kind of refusal and error on its own line with its share of the attempts, the
 * thresholds as given, and the per-second timeline.
 */
function verboseDetails(r: LoadResult): string[] {
  const lines: string[] = [];
  const attempts = r.http ? r.http.succeeded + r.http.rejected + r.http.failed : r.handshakes.attempted;
  const share = (n: number) => (attempts > 0 ? ` (${((n / attempts) * 100).toFixed(2)} %)` : '');
  const byKind = (title: string, record: Readonly<Record<string, number>>) => {
    const entries = Object.entries(record).sort((a, b) => b[1] - a[1]);
    if (entries.length === 0) return;
    lines.push(`  ${title} by kind`);
    for (const [kind, n] of entries) lines.push(`    ${visible(kind).padEnd(22)} ${String(n).padStart(8)}${share(n)}`);
  };
  byKind('refusals', r.rejections);
  byKind('errors', r.errors);
  const t = r.thresholds;
  lines.push(
    `  thresholds      --max-p99 ${t.maxP99Ms ?? 'none'} · --min-rate ${t.minRate ?? 'none'} · --max-error-rate ${t.maxErrorRate}`,
  );
  if (r.timeline.length > 0) {
    lines.push(
      `  timeline        second: ${r.http ? 'requests' : 'full + resumed'} accepted, refused, errors (, dropped, offered), p99`,
    );
    for (const p of r.timeline) {
      const open = p.offered !== undefined ? `, ${p.dropped ?? 0} dropped, ${formatRate(p.offered)} offered` : '';
      const p99 = p.p99Ms !== undefined ? `, p99 ${formatMs(p.p99Ms)} ms` : '';
      lines.push(
        `    ${String(p.second).padStart(4)} s  ${r.http ? p.requests : `${p.full} + ${p.resumed}`}, ${p.rejected} refused, ${p.errors} errors${open}${p99}`,
      );
    }
  }
  return lines;
}

/**
 * The one line `--quiet` prints: the verdict and the headline figures, or the failures, e.g.
 * `PASS · 812 handshakes/s · p99 1.23 ms · error rate 0.00 %`.
 */
export function loadStatusLine(r: LoadResult, opts: FormatterOptions = {}): string {
  const status = loadStatus(r);
  const paintStatus = paint(opts.color === true, status === 'pass' ? '1;32' : '1;31');
  const rate = r.http
    ? `${formatRate(r.http.requestsPerSecond)} requests/s`
    : `${formatRate(r.handshakesPerSecond.total)} handshakes/s`;
  const p99 = `p99 ${formatMs(r.http ? r.http.latencyMs.p99 : r.latencyMs.p99)} ms`;
  const errorRate = r.errorRate === null ? '' : ` · error rate ${(r.errorRate * 100).toFixed(2)} %`;
  const acceptances = r.acceptances === null ? '' : ` · acceptances ${r.acceptances}`;
  const knee = r.knee ? ` · knee ${r.knee.heldRate === null ? 'none held' : `${formatRate(r.knee.heldRate)}/s`}` : '';
  const figures = `${rate} · ${p99}${errorRate}${acceptances}${knee}`;
  const label = LOAD_STATUS_LABEL[status];
  switch (status) {
    case 'pass':
      return `${paintStatus(label)} · ${figures}`;
    case 'interrupted':
      return `${paintStatus(`${label}${r.signal ? ` by ${r.signal}` : ''}`)}: no verdict on what was asked; partial figures · ${figures}`;
    default:
      return `${paintStatus(label)}: ${r.failures.map(visible).join('; ')} · ${figures}`;
  }
}
