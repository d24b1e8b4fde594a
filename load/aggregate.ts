import {
  LOAD_RESULTS_SCHEMA_VERSION,
  type LatencyMs,
  type LoadConfig,
  type LoadCounters,
  type LoadHistograms,
  type LoadResult,
  type LoadTimelinePoint,
  type LoadTlsVersion,
  type LoadVersionFigures,
  type LoadWindow,
  type ResumptionFailure,
} from '../core/load-result.js';
import { REJECTING_HTTP_STATUSES } from '../core/http.js';
import { VERSION } from '../core/version.js';
import { zeroCounters } from './engine.js';
import { addEncoded, encodeHistogram, latencySummary, percentileCurve } from './histogram.js';
import { findKnee } from './timeline.js';

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
      else if (typeof sum[key] === 'object') addRecord(sum[key] as Record<string, number>, v ?? {});
    }
  }
  return sum;
}

/**
 * Adds timelines second by second, each shifted by its start relative to the earliest start: counts (and arrivals
 * offered) summed; a second's p50/p99/max is the highest of the parts' (an upper bound: the per-second histograms are
 * not kept in results.json). Fields no part has stay absent.
 */
export function addTimelines(parts: readonly { timeline: readonly LoadTimelinePoint[]; startMs: number }[]) {
  const t0 = Math.min(...parts.map((p) => p.startMs));
  const out: { -readonly [K in keyof LoadTimelinePoint]: LoadTimelinePoint[K] }[] = [];
  const add = (a: number | undefined, b: number | undefined) => (b === undefined ? a : (a ?? 0) + b);
  const max = (a: number | undefined, b: number | undefined) => (b === undefined ? a : Math.max(a ?? 0, b));
  for (const p of parts) {
    const shift = Math.max(0, Math.round((p.startMs - t0) / 1000));
    for (const point of p.timeline) {
      const i = point.second + shift;
      while (out.length <= i)
        out.push({ second: out.length, full: 0, resumed: 0, errors: 0, requests: 0, rejected: 0, latencySumUs: 0 });
      const o = out[i]!;
      o.full += point.full;
      o.resumed += point.resumed;
      o.errors += point.errors;
      o.requests += point.requests;
      o.rejected += point.rejected;
      o.latencySumUs += point.latencySumUs;
      const optional = {
        dropped: add(o.dropped, point.dropped),
        offered: add(o.offered, point.offered),
        p50Ms: max(o.p50Ms, point.p50Ms),
        p99Ms: max(o.p99Ms, point.p99Ms),
        maxMs: max(o.maxMs, point.maxMs),
      };
      for (const [k, v] of Object.entries(optional)) if (v !== undefined) o[k as keyof typeof optional] = v;
    }
  }
  return out;
}

/** Adds parts: counters summed, histograms added exactly, timelines aligned. */
export function addMeasured(parts: readonly Measured[]): Measured {
  if (parts.length === 0) throw new Error('nothing to add up');
  const hist = (k: keyof Measured['histograms']) =>
    encodeHistogram(addEncoded(parts.flatMap((p) => (p.histograms[k] ? [p.histograms[k]] : []))));
  const byVersion = parts.some((p) => p.histograms.tls12 || p.histograms.tls13);
  return {
    counters: addCounters(parts.map((p) => p.counters)),
    histograms: {
      handshake: hist('handshake'),
      full: hist('full'),
      resumed: hist('resumed'),
      http: hist('http'),
      ...(byVersion ? { tls12: hist('tls12'), tls13: hist('tls13') } : {}),
    },
    timeline: addTimelines(parts),
    startMs: Math.min(...parts.map((p) => p.startMs)),
  };
}

/**
 * The union of time windows as sorted, disjoint windows: overlapping (or touching) windows become one, so time that
 * several agents measured together counts once, and a gap between agents is not measured time.
 */
export function unionWindows(windows: readonly LoadWindow[]): LoadWindow[] {
  const sorted = [...windows].filter((w) => w.endMs > w.startMs).sort((a, b) => a.startMs - b.startMs);
  const out: { startMs: number; endMs: number }[] = [];
  for (const w of sorted) {
    const last = out[out.length - 1];
    if (last && w.startMs <= last.endMs) last.endMs = Math.max(last.endMs, w.endMs);
    else out.push({ startMs: w.startMs, endMs: w.endMs });
  }
  return out;
}

/** The summed length of windows in milliseconds, each instant counted once (the length of their union). */
export function windowsLengthMs(windows: readonly LoadWindow[]): number {
  return unionWindows(windows).reduce((a, w) => a + (w.endMs - w.startMs), 0);
}

/** What {@link buildLoadResult} needs beside the measurements. */
export interface ResultContext {
  readonly config: LoadConfig;
  readonly target: LoadResult['target'];
  /**
   * When the measured phase ran: one window for a run, the agents' windows for a merge (rates are per second of
   * their union).
   */
  readonly windows: readonly LoadWindow[];
  readonly cpu: { readonly userMs: number; readonly systemMs: number } | null;
  readonly agents: number;
  readonly interrupted: boolean;
  /** The signal that stopped the run, if one did. */
  readonly signal?: 'SIGINT' | 'SIGTERM' | 'SIGHUP';
  readonly thresholds: LoadResult['thresholds'];
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

const sumOf = (record: Readonly<Record<string, number>>): number => Object.values(record).reduce((a, b) => a + b, 0);

/** `closed 3, http:403 2` (largest first). */
export function describeCounts(record: Readonly<Record<string, number>>): string {
  return Object.entries(record)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
}

/**
 * With --scenario, the reason no verdict can be drawn when not a single probe was decided (every probe an error or
 * a timeout: nothing accepted, nothing conclusively rejected); undefined otherwise. The CLI turns it into exit 2.
 */
export function undecidedReason(r: LoadResult): string | undefined {
  if (r.config.scenario === null || (r.acceptances ?? 0) + r.rejectionsTotal > 0) return undefined;
  const errors = describeCounts(r.errors);
  return `no probe of ${r.config.scenario.id} was decided: ${r.handshakes.attempted} probe(s), none accepted or rejected by ${r.target.name}${errors ? ` (errors: ${errors})` : ''}; no verdict can be drawn`;
}

/** `--tls both`: each version's counts, rate and latency (from its own histogram); null for one version. */
function versionFigures(
  m: Measured,
  config: LoadConfig,
  durationMs: number,
): Record<LoadTlsVersion, LoadVersionFigures> | null {
  if (config.tls !== 'both' || !config.tlsShare) return null;
  const c = m.counters;
  const of = (record: Readonly<Record<string, number>> | undefined, v: LoadTlsVersion) => record?.[v] ?? 0;
  const figures = (v: LoadTlsVersion, h: LoadHistograms['tls12']): LoadVersionFigures => {
    const latencyMs: LatencyMs = latencySummary(addEncoded(h ? [h] : []));
    return {
      share: config.tlsShare![v],
      attempted: of(c.versionAttempted, v),
      succeeded: of(c.versionSucceeded, v),
      full: of(c.versionFull, v),
      resumed: of(c.versionResumed, v),
      rejected: of(c.versionRejected, v),
      failed: of(c.versionFailed, v),
      handshakesPerSecond: round(of(c.versionSucceeded, v) / (durationMs / 1000), 2),
      latencyMs,
    };
  };
  return { '1.2': figures('1.2', m.histograms.tls12), '1.3': figures('1.3', m.histograms.tls13) };
}

/** Derives every headline figure, the verdict and its reasons from added-up measurements. */
export function buildLoadResult(m: Measured, ctx: ResultContext): LoadResult {
  const c = m.counters;
  const windows = unionWindows(ctx.windows);
  const window = {
    startMs: Math.min(...ctx.windows.map((w) => w.startMs)),
    endMs: Math.max(...ctx.windows.map((w) => w.endMs)),
  };
  const durationMs = Math.max(1, windowsLengthMs(windows));
  const perS = (n: number) => round(n / (durationMs / 1000), 2);
  const all = addEncoded([m.histograms.handshake]);
  const httpHist = addEncoded([m.histograms.http]);
  const latencyMs = latencySummary(all);
  const httpLatency = latencySummary(httpHist);
  const isHttp = ctx.config.http !== null;
  const isScenario = ctx.config.scenario !== null;
  const rejectionsTotal = sumOf(c.rejections);
  const errorsTotal = sumOf(c.errors);
  // HTTP: refusals are answers with a rejecting status (counted in `requests`) or TLS alerts (never answered).
  const answeredRejected = Object.entries(c.statusCodes)
    .filter(([code]) => REJECTING_HTTP_STATUSES.has(Number(code)))
    .reduce((a, [, n]) => a + n, 0);
  const httpSucceeded = c.requests - answeredRejected;
  const httpAttempted = c.requests + c.requestsFailed + (rejectionsTotal - answeredRejected);
  const decided = c.acceptances + rejectionsTotal;
  // The work a rate is counted in: proven requests or handshakes; with --scenario, decided probes.
  const work = isHttp ? httpSucceeded : isScenario ? decided : c.succeeded;
  // NOTE: results.json written before issue 10 have no `dropped`.
  const dropped = c.dropped ?? 0;
  // An open-model arrival dropped at the --connections cap is a request the server could not take at the asked rate.
  const attempted = (isHttp ? httpAttempted : c.attempted) + dropped;
  // NOTE: with --scenario a refusal is the decision being measured, not a failure; only errors count against it.
  const bad = (isScenario ? errorsTotal : errorsTotal + rejectionsTotal) + dropped;
  const errorRate = attempted > 0 ? round(bad / attempted, 4) : null;
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
      message: `resumption asked for on ${c.resumeWanted} accepted handshakes, ${c.resumeWanted - notResumed} resumed (${detail}); ${REASON_TEXT[reason]}`,
    };
  }

  const failures: string[] = [];
  const unit = isHttp ? 'requests' : isScenario ? 'probes' : 'handshakes';
  const p99 = isHttp ? httpLatency.p99 : latencyMs.p99;
  if (ctx.thresholds.maxP99Ms !== null && p99 > ctx.thresholds.maxP99Ms)
    failures.push(`p99 latency ${p99} ms exceeds --max-p99 ${ctx.thresholds.maxP99Ms} ms`);
  const rate = perS(work);
  if (ctx.thresholds.minRate !== null && rate < ctx.thresholds.minRate)
    failures.push(`${rate} ${isScenario ? 'decided probes' : unit}/s is below --min-rate ${ctx.thresholds.minRate}`);
  if (errorRate !== null && errorRate > ctx.thresholds.maxErrorRate) {
    const parts = [
      ...(isScenario
        ? []
        : [`${rejectionsTotal} rejected${rejectionsTotal ? ` (${describeCounts(c.rejections)})` : ''}`]),
      `${errorsTotal} error${errorsTotal === 1 ? '' : 's'}${errorsTotal ? ` (${describeCounts(c.errors)})` : ''}`,
      ...(dropped > 0
        ? [
            `${dropped} dropped (never issued: ${ctx.config.connections} in flight at ${ctx.config.stages ? '--stages' : `--rate ${ctx.config.rate}`}, the server did not keep up)`,
          ]
        : []),
    ];
    failures.push(
      `error rate ${round(errorRate * 100, 2)} % exceeds --max-error-rate ${ctx.thresholds.maxErrorRate}: ${bad} of ${attempted} ${unit}${dropped > 0 ? ' (arrivals)' : ''} failed: ${parts.join(', ')}`,
    );
  }
  if (failure) failures.push(`resumption failed: ${failure.message}`);
  if (isScenario) {
    const id = ctx.config.scenario!.id;
    if (ctx.config.scenario!.expect === 'reject' && c.acceptances > 0)
      failures.push(
        `the server accepted the certificate of ${id} ${c.acceptances} time(s) in ${decided} decided probes: a bad certificate accepted under load`,
      );
    if (ctx.config.scenario!.expect === 'accept' && rejectionsTotal > 0)
      failures.push(`the server rejected the valid certificate of ${id} ${rejectionsTotal} time(s)`);
    if (decided === 0)
      failures.push(`no probe was decided (every probe an error: ${describeCounts(c.errors) || 'none made'})`);
  } else if (work === 0 && !ctx.interrupted) {
    failures.push(`no ${isHttp ? 'request' : 'handshake'} was accepted (proven by an answer after the handshake)`);
  }
  failures.push(...(ctx.extraFailures ?? []));

  const byVersion = versionFigures(m, ctx.config, durationMs);
  const knee = ctx.config.stages
    ? findKnee(m.timeline, {
        maxP99Ms: ctx.thresholds.maxP99Ms,
        maxErrorRate: ctx.thresholds.maxErrorRate,
        http: isHttp,
        durationMs,
      })
    : null;
  return {
    schemaVersion: LOAD_RESULTS_SCHEMA_VERSION,
    kind: 'load',
    tool: { name: 'mtls-harness', version: VERSION },
    target: ctx.target,
    config: ctx.config,
    startedAt: new Date(window.startMs).toISOString(),
    window,
    windows,
    durationMs,
    agents: ctx.agents,
    interrupted: ctx.interrupted,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    dropped,
    handshakes: {
      attempted: c.attempted,
      succeeded: c.succeeded,
      full: c.full,
      resumed: c.resumed,
      rejected: c.rejected,
      rejectedAfterHandshake: c.rejectedAfterHandshake,
      rejectedResumed: c.rejectedResumed,
      failed: c.failed,
    },
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
    rejections: c.rejections,
    rejectionsTotal,
    errorRate,
    http: isHttp
      ? {
          requests: c.requests,
          succeeded: httpSucceeded,
          rejected: rejectionsTotal,
          failed: c.requestsFailed,
          requestsPerSecond: perS(httpSucceeded),
          latencyMs: httpLatency,
          statusCodes: c.statusCodes,
          connections: c.connections,
          resumedConnections: c.resumedConnections,
        }
      : null,
    timeline: m.timeline,
    byVersion,
    knee,
    ticketsReceived: ctx.config.ticketPolicy === 'advertise' ? (c.ticketsReceived ?? 0) : null,
    chainCache:
      ctx.config.engine === 'wire'
        ? {
            hits: c.chainCacheHits ?? 0,
            verifications: c.chainVerifications ?? 0,
            invalidations: c.chainCacheInvalidations ?? 0,
            failures: c.chainVerifyFailures ?? 0,
          }
        : null,
    distribution: { handshake: percentileCurve(all), http: percentileCurve(httpHist) },
    counters: c,
    histograms: m.histograms,
    thresholds: ctx.thresholds,
    // NOTE: an interrupted run never passes: its figures cover part of what was asked (the CLI exits 130/143).
    passed: failures.length === 0 && !ctx.interrupted,
    failures,
    notes: ctx.notes,
  };
}
