import type { LatencyMs, LoadResult } from '../core/load-result.js';

/** A rate with a fixed number of decimals that stays short: 1234.5 → "1234.5", 0.12 → "0.12". */
export function formatRate(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

/** Milliseconds with up to three decimals. */
export function formatMs(value: number): string {
  return value >= 100 ? value.toFixed(1) : value >= 1 ? value.toFixed(2) : value.toFixed(3);
}

/** `p50 1.23 · p90 … · max …` */
export function latencyLine(l: LatencyMs): string {
  return `p50 ${formatMs(l.p50)} · p90 ${formatMs(l.p90)} · p99 ${formatMs(l.p99)} · p99.9 ${formatMs(l.p999)} · max ${formatMs(l.max)} ms`;
}

/** What a run measured, in words: the kind of handshakes and the model. */
export function describeLoad(r: LoadResult): string {
  const c = r.config;
  const what = c.http
    ? `HTTP GET ${c.http.path} (pipelining ${c.http.pipelining})`
    : c.scenario
      ? `scenario ${c.scenario.id} (full handshakes + app-data probe)`
      : c.mode === 'mixed'
        ? `mixed handshakes (${Math.round(c.resumeRatio * 100)} % resumption, ticket policy ${c.ticketPolicy})`
        : c.mode === 'resumed'
          ? `resumed handshakes (ticket policy ${c.ticketPolicy})`
          : 'full handshakes';
  const model =
    c.rate !== null ? `open model at ${c.rate}/s, ≤ ${c.connections} in flight` : `${c.connections} connections`;
  const bound = c.handshakes !== null ? `${c.handshakes} handshakes` : `${c.durationS} s`;
  return `TLS ${c.tls} · ${what} · ${model} · ${bound} · ${c.workers} ${c.workerKind} worker(s) · ${c.identities} identit${c.identities === 1 ? 'y' : 'ies'}${engineTerm(c)}`;
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
