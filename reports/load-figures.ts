import type { LatencyMs, LoadResult } from '../core/load-result.js';

/** A rate with a fixed number of decimals that stays short: 1234.5 → "1234.5", 0.12 → "0.12". */
export function formatRate(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

/** Milliseconds with up to three decimals. */
export function formatMs(value: number): string {
  return value >= 100 ? value.toFixed(1) : value >= 1 ? value.toFixed(2) : value.toFixed(3);
}

/** `p50 1.23 · p90 … · p95 … · p99 … · p99.9 … · max … ms · mean … ± … ms` (the ± is the standard deviation). */
export function latencyLine(l: LatencyMs): string {
  // NOTE: results.json written before issue 14 have no p95 or stdev (merge recomputes them from the histograms).
  const p95 = l.p95 === undefined ? '' : ` · p95 ${formatMs(l.p95)}`;
  const stdev = l.stdev === undefined ? '' : ` ± ${formatMs(l.stdev)}`;
  return `p50 ${formatMs(l.p50)} · p90 ${formatMs(l.p90)}${p95} · p99 ${formatMs(l.p99)} · p99.9 ${formatMs(l.p999)} · max ${formatMs(l.max)} ms · mean ${formatMs(l.mean)}${stdev} ms`;
}

/** `TLS 1.3`, or `TLS 1.2 30 % + 1.3 70 %` for `--tls both`. */
export function describeTls(r: LoadResult): string {
  const c = r.config;
  if (c.tls !== 'both') return `TLS ${c.tls}`;
  const share = c.tlsShare ?? { '1.2': 0.5, '1.3': 0.5 };
  return `TLS 1.2 ${Math.round(share['1.2'] * 1000) / 10} % + 1.3 ${Math.round(share['1.3'] * 1000) / 10} %`;
}

/** `10s:100,30s:500,10s:0` */
export function describeStages(stages: readonly { durationS: number; target: number }[]): string {
  return stages.map((s) => `${s.durationS}s:${s.target}`).join(',');
}

/** The knee of a `--stages` run in words, or undefined without stages. */
export function kneeLine(r: LoadResult): string | undefined {
  const k = r.knee;
  if (!k) return undefined;
  const unit = r.http ? 'requests' : 'handshakes';
  const held =
    k.heldRate === null
      ? `no second held (${k.secondsJudged} judged)`
      : `${formatRate(k.heldRate)} ${unit}/s offered held at second ${k.heldSecond} (${k.heldAchieved} accepted, p99 ${formatMs(k.heldP99Ms ?? 0)} ms; ${k.secondsJudged} seconds judged)`;
  const breach = k.firstBreach
    ? `; first breach at second ${k.firstBreach.second}, ${formatRate(k.firstBreach.offered)}/s offered: ${k.firstBreach.reasons.join(', ')}`
    : '; no second breached';
  return `${held}${breach}`;
}

/** What a run measured, in words: the kind of handshakes and the model. */
export function describeLoad(r: LoadResult): string {
  const c = r.config;
  const what = c.http
    ? c.http.newHandshakePerRequest
      ? `HTTP GET ${c.http.path} (a new ${c.mode === 'full' ? 'full' : c.mode === 'resumed' ? 'resumed' : `${Math.round(c.resumeRatio * 100)} % resumed`} handshake per request${c.mode !== 'full' ? `, ticket policy ${c.ticketPolicy}` : ''})`
      : `HTTP GET ${c.http.path} (pipelining ${c.http.pipelining})`
    : c.scenario
      ? `scenario ${c.scenario.id} (full handshakes + app-data probe)`
      : c.mode === 'mixed'
        ? `mixed handshakes (${Math.round(c.resumeRatio * 100)} % resumption, ticket policy ${c.ticketPolicy})`
        : c.mode === 'resumed'
          ? `resumed handshakes (ticket policy ${c.ticketPolicy})`
          : c.ticketPolicy === 'advertise'
            ? 'full handshakes (ticket policy advertise: each waits for its ticket, none used)'
            : 'full handshakes';
  const model = c.stages
    ? `open model, stages ${describeStages(c.stages)}, ≤ ${c.connections} in flight`
    : c.rate !== null
      ? `open model at ${c.rate}/s, ≤ ${c.connections} in flight`
      : `${c.connections} connections`;
  const bound = c.handshakes !== null ? `${c.handshakes} handshakes` : `${c.durationS} s`;
  return `${describeTls(r)} · ${what} · ${model} · ${bound} · ${c.workers} ${c.workerKind} worker(s) · ${c.identities} identit${c.identities === 1 ? 'y' : 'ies'}${engineTerm(c)}`;
}

/** ` · engine wire (groups …, ciphers …, sigalgs …)`: the client that made the handshakes and what it offered. */
function engineTerm(c: LoadResult['config']): string {
  if (!c.engine) return '';
  const asked = [
    c.groups ? `groups ${c.groups.join(',')}` : '',
    c.ciphers ? `ciphers ${c.ciphers.join(',')}` : '',
    c.sigalgs ? `sigalgs ${c.sigalgs.join(',')}` : '',
  ].filter(Boolean);
  return ` · engine ${c.engine === 'wire' ? 'wire (ours)' : 'node (node:tls)'}${asked.length ? ` (${asked.join('; ')})` : ''}`;
}
