import {
  LOAD_RESULTS_SCHEMA_VERSION,
  type LoadConfig,
  type LoadCounters,
  type LoadHistograms,
  type LoadResult,
  type LoadTimelinePoint,
  type ResumptionFailure,
} from '../core/load-result.js';
import { VERSION } from '../core/version.js';
import { zeroCounters } from './engine.js';
import { addEncoded, encodeHistogram, latencySummary, percentileCurve } from './histogram.js';

/** Measurements to add up: one worker's, or one whole results.json's. */
export interface Measured {
  readonly counters: LoadCounters;
  readonly histograms: LoadHistograms;
  readonly timeline: readonly LoadTimelinePoint[];
  /** Epoch ms when this part's measured phase started (aligns timelines). */
  readonly startMs: number;
}

const addRecord = (into: Record<string, number>, from: Readonly<Record<string, number>>) => {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
};

/** Sums counters exactly (numbers added, per-class records merged key by key). */
export function addCounters(list: readonly LoadCounters[]): LoadCounters {
  const sum = zeroCounters();
  for (const c of list) {
    for (const key of Object.keys(sum) as (keyof LoadCounters)[]) {
      const v = c[key];
      if (typeof v === 'number') (sum[key] as number) += v;
      else addRecord(sum[key] as Record<string, number>, v ?? {});
    }
  }
  return sum;
}

/** Adds timelines second by second, each shifted by its start relative to the earliest start. */
export function addTimelines(parts: readonly { timeline: readonly LoadTimelinePoint[]; startMs: number }[]) {
  const t0 = Math.min(...parts.map((p) => p.startMs));
  const out: { -readonly [K in keyof LoadTimelinePoint]: LoadTimelinePoint[K] }[] = [];
  for (const p of parts) {
    const shift = Math.max(0, Math.round((p.startMs - t0) / 1000));
    for (const point of p.timeline) {
      const i = point.second + shift;
      while (out.length <= i)
        out.push({ second: out.length, full: 0, resumed: 0, errors: 0, requests: 0, latencySumUs: 0 });
      const o = out[i]!;
      o.full += point.full;
      o.resumed += point.resumed;
      o.errors += point.errors;
      o.requests += point.requests;
      o.latencySumUs += point.latencySumUs;
    }
  }
  return out;
}

/** Adds parts: counters summed, histograms added exactly, timelines aligned. */
export function addMeasured(parts: readonly Measured[]): Measured {
  if (parts.length === 0) throw new Error('nothing to add up');
  const hist = (k: keyof Measured['histograms']) => encodeHistogram(addEncoded(parts.map((p) => p.histograms[k])));
  return {
    counters: addCounters(parts.map((p) => p.counters)),
    histograms: { handshake: hist('handshake'), full: hist('full'), resumed: hist('resumed'), http: hist('http') },
    timeline: addTimelines(parts),
    startMs: Math.min(...parts.map((p) => p.startMs)),
  };
}

/** What {@link buildLoadResult} needs beside the measurements. */
export interface ResultContext {
  readonly config: LoadConfig;
  readonly target: LoadResult['target'];
  readonly window: { readonly startMs: number; readonly endMs: number };
  readonly cpu: { readonly userMs: number; readonly systemMs: number } | null;
  readonly agents: number;
  readonly interrupted: boolean;
  readonly thresholds: { readonly maxP99Ms: number | null; readonly minRate: number | null };
  readonly minResumeSuccess: number;
  readonly notes: readonly string[];
  /** Failures found outside the figures (e.g. the sanity probe after the load). */
  readonly extraFailures?: readonly string[];
}

const round = (v: number, digits = 3) => Math.round(v * 10 ** digits) / 10 ** digits;

const REASON_TEXT: Record<ResumptionFailure, string> = {
  'no-ticket-received': 'no ticket received: the client had no session to offer (none arrived within the bound)',
  'ticket-refused': 'ticket refused: the server did a full handshake for an offered session ticket',
  'server-cache-off':
    'server cache off: the server did a full handshake for an offered session id / stateful ticket it did not keep',
};

/** Derives every headline figure, the verdict and its reasons from added-up measurements. */
export function buildLoadResult(m: Measured, ctx: ResultContext): LoadResult {
  const c = m.counters;
  const durationMs = Math.max(1, ctx.window.endMs - ctx.window.startMs);
  const perS = (n: number) => round(n / (durationMs / 1000), 2);
  const all = addEncoded([m.histograms.handshake]);
  const httpHist = addEncoded([m.histograms.http]);
  const latencyMs = latencySummary(all);
  const httpLatency = latencySummary(httpHist);
  const isHttp = ctx.config.http !== null;
  const isScenario = ctx.config.scenario !== null;
  const work = isHttp ? c.requests : c.succeeded;
  const cpuMs = ctx.cpu ? ctx.cpu.userMs + ctx.cpu.systemMs : null;

  const refusedBy: [ResumptionFailure, number][] = [
    ['no-ticket-received', c.noTicketReceived],
    ['ticket-refused', c.ticketRefused],
    ['server-cache-off', c.serverCacheOff],
  ];
  const notResumed = c.noTicketReceived + c.ticketRefused + c.serverCacheOff;
  const successRatio = c.resumeWanted > 0 ? round((c.resumeWanted - notResumed) / c.resumeWanted, 4) : null;
  let failure: LoadResult['resumption']['failure'] = null;
  if (successRatio !== null && successRatio < ctx.minResumeSuccess) {
    const [reason] = [...refusedBy].sort((a, b) => b[1] - a[1])[0]!;
    const detail = refusedBy
      .filter(([, n]) => n > 0)
      .map(([r, n]) => `${n} ${r}`)
      .join(', ');
    failure = {
      reason,
      message: `resumption asked for on ${c.resumeWanted} handshakes, ${c.resumeWanted - notResumed} resumed (${detail}); ${REASON_TEXT[reason]}`,
    };
  }

  const failures: string[] = [];
  const p99 = isHttp ? httpLatency.p99 : latencyMs.p99;
  if (ctx.thresholds.maxP99Ms !== null && p99 > ctx.thresholds.maxP99Ms)
    failures.push(`p99 latency ${p99} ms exceeds --max-p99 ${ctx.thresholds.maxP99Ms} ms`);
  const rate = perS(work);
  if (ctx.thresholds.minRate !== null && rate < ctx.thresholds.minRate)
    failures.push(`${rate} ${isHttp ? 'requests' : 'handshakes'}/s is below --min-rate ${ctx.thresholds.minRate}`);
  if (failure) failures.push(`resumption failed: ${failure.message}`);
  if (isScenario) {
    const rejected = Object.values(c.rejections).reduce((a, b) => a + b, 0);
    if (ctx.config.scenario!.expect === 'reject' && c.acceptances > 0)
      failures.push(
        `the server accepted the certificate of ${ctx.config.scenario!.id} ${c.acceptances} time(s) in ${c.acceptances + rejected} decided probes: a bad certificate accepted under load`,
      );
    if (ctx.config.scenario!.expect === 'accept' && rejected > 0)
      failures.push(`the server rejected the valid certificate of ${ctx.config.scenario!.id} ${rejected} time(s)`);
  } else if (work === 0 && !ctx.interrupted) {
    failures.push(`no ${isHttp ? 'request' : 'handshake'} succeeded`);
  }
  failures.push(...(ctx.extraFailures ?? []));

  const errorsTotal = Object.values(c.errors).reduce((a, b) => a + b, 0);
  return {
    schemaVersion: LOAD_RESULTS_SCHEMA_VERSION,
    kind: 'load',
    tool: { name: 'mtls-harness', version: VERSION },
    target: ctx.target,
    config: ctx.config,
    startedAt: new Date(ctx.window.startMs).toISOString(),
    window: ctx.window,
    durationMs,
    agents: ctx.agents,
    interrupted: ctx.interrupted,
    handshakes: { attempted: c.attempted, succeeded: c.succeeded, full: c.full, resumed: c.resumed, failed: c.failed },
    handshakesPerSecond: { total: perS(c.succeeded), full: perS(c.full), resumed: perS(c.resumed) },
    resumedRatio: c.succeeded > 0 && !isScenario ? round(c.resumed / c.succeeded, 4) : null,
    resumption: {
      wanted: c.resumeWanted,
      resumed: c.resumeWanted - notResumed,
      noTicketReceived: c.noTicketReceived,
      ticketRefused: c.ticketRefused,
      serverCacheOff: c.serverCacheOff,
      successRatio,
      failure,
    },
    latencyMs,
    latencyByKind: {
      full: latencySummary(addEncoded([m.histograms.full])),
      resumed: latencySummary(addEncoded([m.histograms.resumed])),
    },
    clientCpuMsPerHandshake: cpuMs !== null && work > 0 ? round(cpuMs / work, 4) : null,
    cpu: ctx.cpu
      ? { userMs: round(ctx.cpu.userMs, 1), systemMs: round(ctx.cpu.systemMs, 1), cores: round(cpuMs! / durationMs, 3) }
      : null,
    errors: c.errors,
    errorsTotal,
    acceptances: isScenario ? c.acceptances : null,
    rejections: isScenario ? c.rejections : null,
    http: isHttp
      ? {
          requests: c.requests,
          failed: c.requestsFailed,
          requestsPerSecond: perS(c.requests),
          latencyMs: httpLatency,
          statusCodes: c.statusCodes,
          connections: c.connections,
          resumedConnections: c.resumedConnections,
        }
      : null,
    timeline: m.timeline,
    distribution: { handshake: percentileCurve(all), http: percentileCurve(httpHist) },
    counters: c,
    histograms: m.histograms,
    thresholds: ctx.thresholds,
    passed: failures.length === 0,
    failures,
    notes: ctx.notes,
  };
}
