import net from 'node:net';
import type tls from 'node:tls';
import type { LoadCounters, LoadTimelinePoint, LoadTlsVersion } from '../core/load-result.js';
import type { Observation } from '../core/result.js';
import { clientContext, probeNode } from '../engine/probe-node.js';
import {
  classifyError,
  handshake,
  type HandshakeOutcome,
  type HandshakeParams,
  type HeldSession,
  proofRequest,
} from './handshake.js';
import { createHistogram, encodeHistogram, type Histogram } from './histogram.js';
import { runHttpLoops } from './http.js';
import { runOpenModel } from './open-model.js';
import type { LoadEvent, LoadPart, Progress, SecondReport, WorkerSpec } from './protocol.js';
import { constantSchedule, stagedSchedule, type ArrivalSchedule } from './stages.js';
import { VersionPicker } from './versions.js';
import { nodeTlsOptions } from './wire-engine/names.js';
import { wireLoops, type WireLoops } from './wire-engine/loops.js';
import type { ChainCacheCounts } from './wire-engine/prepared.js';

/** Mutable counters of one worker. */
export type MutableCounters = { -readonly [K in keyof LoadCounters]-?: LoadCounters[K] } & {
  rejections: Record<string, number>;
  errors: Record<string, number>;
  statusCodes: Record<string, number>;
  versionAttempted: Record<string, number>;
  versionSucceeded: Record<string, number>;
  versionFull: Record<string, number>;
  versionResumed: Record<string, number>;
  versionRejected: Record<string, number>;
  versionFailed: Record<string, number>;
};

/** All-zero counters. */
export function zeroCounters(): MutableCounters {
  return {
    attempted: 0,
    succeeded: 0,
    full: 0,
    resumed: 0,
    rejected: 0,
    rejectedAfterHandshake: 0,
    rejectedResumed: 0,
    failed: 0,
    resumeWanted: 0,
    noTicketReceived: 0,
    ticketRefused: 0,
    serverCacheOff: 0,
    acceptances: 0,
    rejections: {},
    errors: {},
    requests: 0,
    requestsFailed: 0,
    statusCodes: {},
    connections: 0,
    resumedConnections: 0,
    dropped: 0,
    versionAttempted: {},
    versionSucceeded: {},
    versionFull: {},
    versionResumed: {},
    versionRejected: {},
    versionFailed: {},
    ticketsReceived: 0,
    chainCacheHits: 0,
    chainVerifications: 0,
    chainCacheInvalidations: 0,
    chainVerifyFailures: 0,
  };
}

/** Adds one to a per-version counter. */
function bump(record: Record<string, number>, version: string): void {
  record[version] = (record[version] ?? 0) + 1;
}

/** Where a connection loop gets the session it offers, and where it leaves the one it receives. */
interface SessionSource {
  take(): HeldSession | undefined;
  give(session: HeldSession | undefined): void;
}

/** `reuse`: one session, offered again and again; only priming sets it. */
class SharedSession implements SessionSource {
  session: HeldSession | undefined;
  take(): HeldSession | undefined {
    return this.session;
  }
  give(session: HeldSession | undefined): void {
    if (!this.session && session) this.session = session;
  }
}

/**
 * `fresh`: a session from this loop's previous connection, offered once. (TLS 1.2 hands the same session back after
 * resumption; a TLS 1.3 ticket is never offered twice.)
 */
class FreshSessions implements SessionSource {
  private readonly stack: HeldSession[] = [];
  take(): HeldSession | undefined {
    return this.stack.pop();
  }
  give(session: HeldSession | undefined): void {
    if (session) this.stack.push(session);
    // Keep only the newest few: an open-model pool per identity must not grow without bound.
    if (this.stack.length > 64) this.stack.shift();
  }
}

/** One per-second bucket of the timeline, with the latencies of that second (for its percentiles). */
interface Bucket {
  full: number;
  resumed: number;
  errors: number;
  requests: number;
  rejected: number;
  latencySumUs: number;
  dropped: number;
  hist: Histogram | undefined;
}

/** The recording side shared by the handshake and HTTP loops. */
export class Recorder {
  readonly counters = zeroCounters();
  readonly all: Histogram = createHistogram();
  readonly full: Histogram = createHistogram();
  readonly resumed: Histogram = createHistogram();
  readonly http: Histogram = createHistogram();
  /** `--tls both`: accepted handshakes of each version. */
  readonly byVersion: Record<LoadTlsVersion, Histogram> = { '1.2': createHistogram(), '1.3': createHistogram() };
  private readonly buckets: Bucket[] = [];
  /** Seconds [0, sent) were handed to the parent already (their buckets are complete). */
  private sent = 0;
  latencySumUs = 0;
  latencyCount = 0;
  /** HTTP requests answered with a status that is not a refusal (the live line's requests). */
  requestsOk = 0;
  events: LoadEvent[] = [];
  /** `performance.now()` at the start of the measured phase. */
  t0 = 0;

  constructor(readonly reportEvents: boolean) {}

  bucket(at: number): Bucket {
    const i = Math.max(0, Math.floor((at - this.t0) / 1000));
    while (this.buckets.length <= i)
      this.buckets.push({
        full: 0,
        resumed: 0,
        errors: 0,
        requests: 0,
        rejected: 0,
        latencySumUs: 0,
        dropped: 0,
        hist: undefined,
      });
    return this.buckets[i]!;
  }

  /** Records a latency in this second's histogram (made when first needed). */
  private perSecond(b: Bucket, us: number, count = 1): void {
    b.hist ??= createHistogram();
    b.hist.recordValueWithCount(us, count);
  }

  latency(h: Histogram, ms: number, at: number): number {
    const us = Math.max(1, Math.round(ms * 1000));
    h.recordValue(us);
    if (h !== this.all && h !== this.http) this.all.recordValue(us);
    const b = this.bucket(at);
    b.latencySumUs += us;
    this.perSecond(b, us);
    this.latencySumUs += us;
    this.latencyCount++;
    return us;
  }

  /** An error that is not a refusal (a timeout, a refused TCP connection, …). */
  error(cls: string, at: number, ms: number): void {
    this.counters.failed++;
    this.counters.errors[cls] = (this.counters.errors[cls] ?? 0) + 1;
    this.bucket(at).errors++;
    if (this.reportEvents) this.events.push({ kind: 'failed', ms, error: cls });
  }

  /** A refusal by the server, by mechanism (`alert:<name>`, `http:<status>`, `closed`, `reset`). */
  rejection(cls: string, at: number, ms: number, how: { afterHandshake: boolean; resumed: boolean }): void {
    const c = this.counters;
    c.rejected++;
    c.rejections[cls] = (c.rejections[cls] ?? 0) + 1;
    if (how.afterHandshake) c.rejectedAfterHandshake++;
    if (how.resumed) c.rejectedResumed++;
    this.bucket(at).rejected++;
    if (this.reportEvents) this.events.push({ kind: 'rejected', ms, error: cls });
  }

  progress(): Progress {
    const c = this.counters;
    return {
      succeeded: c.succeeded,
      full: c.full,
      resumed: c.resumed,
      requests: this.requestsOk,
      failed: c.failed + c.requestsFailed,
      rejected: c.rejected,
      acceptances: c.acceptances,
      latencySumUs: this.latencySumUs,
      latencyCount: this.latencyCount,
      dropped: c.dropped,
    };
  }

  /**
   * Open model: `count` arrivals, due at `dueAt(0)`, `dueAt(1)`… (intended starts), dropped at `now` without being
   * issued. Each one's wait from its intended start goes into the overall latency histogram: coordinated omission
   * corrected, as a lower bound of the latency it would have had.
   * NOTE: at a million arrivals a second a run drops millions; past 4096 the waits are recorded in 4096 groups of
   * consecutive arrivals at each group's middle wait (the spread inside a group is below 1/4096 of the total spread).
   */
  recordDropped(count: number, dueAt: (i: number) => number, now: number): void {
    if (count <= 0) return;
    this.counters.dropped += count;
    const b = this.bucket(now);
    b.dropped += count;
    const step = Math.max(1, Math.ceil(count / 4096));
    for (let i = 0; i < count; i += step) {
      const k = Math.min(step, count - i);
      const waitedMs = now - dueAt(i + (k - 1) / 2);
      const us = Math.max(1, Math.round(waitedMs * 1000));
      this.all.recordValueWithCount(us, k);
      this.perSecond(b, us, k);
    }
  }

  timeline(): LoadTimelinePoint[] {
    return this.buckets.map((b, second) => ({
      second,
      full: b.full,
      resumed: b.resumed,
      errors: b.errors,
      requests: b.requests,
      rejected: b.rejected,
      latencySumUs: b.latencySumUs,
      dropped: b.dropped,
    }));
  }

  /**
   * The seconds not handed over yet that are complete at `now` (everything is bucketed when it happens, so a second is
   * complete once it is over), or every remaining one with `all` (the run ended), each with its latency histogram.
   */
  takeSeconds(now: number, all = false): SecondReport[] {
    const over = Math.floor((now - this.t0) / 1000);
    // A second in which nothing happened is complete too (a stalled server): it is reported empty.
    if (over > 0) this.bucket(this.t0 + (over - 1) * 1000 + 1);
    const upTo = all ? this.buckets.length : over;
    const out: SecondReport[] = [];
    for (; this.sent < upTo; this.sent++) {
      const b = this.buckets[this.sent]!;
      out.push({
        second: this.sent,
        full: b.full,
        resumed: b.resumed,
        errors: b.errors,
        requests: b.requests,
        rejected: b.rejected,
        latencySumUs: b.latencySumUs,
        dropped: b.dropped,
        hdr: b.hist ? encodeHistogram(b.hist).data : null,
      });
      b.hist = undefined;
    }
    return out;
  }
}

/** One TLS version's handshake parameters and session sources, per connection loop. */
interface Lane {
  readonly params: HandshakeParams[];
  readonly sources: SessionSource[];
  /** The wire engine's loops for this version (spec.engine wire), or undefined for node:tls. */
  readonly wire: WireLoops | undefined;
}

/** Per loop (closed model) or per slot (open model): the resumption credit and the version picker. */
interface LoopState {
  credit: number;
  readonly picker: VersionPicker | undefined;
}

/**
 * One worker's load generator: builds its SecureContexts once (one per identity and TLS version it uses), warms up,
 * primes sessions, then runs the closed model (N connection loops back to back) or the open model (arrivals by a
 * constant rate or a stage plan, latency measured from each arrival's intended start, so a stalled server cannot hide
 * its stall: coordinated omission).
 */
export class WorkerEngine {
  private readonly spec: WorkerSpec;
  private readonly versions: LoadTlsVersion[];
  private readonly lanes = new Map<LoadTlsVersion, Lane>();
  /** The first context of the first version: the keep-alive HTTP pool's. */
  private firstContext: tls.SecureContext | undefined;
  private readonly lingering = new Set<tls.TLSSocket>();
  private scenarioContext: tls.SecureContext | undefined;
  private stopping = false;
  private recorder: Recorder;
  private remaining: number | null = null;
  private deadline = Infinity;
  private stopHttp: (() => void) | undefined;
  /** Re-runs the open model's scheduler at once (after a stop). */
  private wake: (() => void) | undefined;

  constructor(spec: WorkerSpec) {
    this.spec = spec;
    this.versions = spec.tls === 'both' ? ['1.2', '1.3'] : [spec.tls];
    this.recorder = new Recorder(spec.reportEvents);
  }

  /** HTTP over kept-alive connections (an undici Pool), rather than one handshake (and request) per connection. */
  private get keepAliveHttp(): boolean {
    return this.spec.http !== null && this.spec.http.newHandshakePerRequest !== true;
  }

  private loopState(): LoopState {
    const share = this.spec.tlsShare;
    return { credit: 0, picker: this.versions.length > 1 && share ? new VersionPicker(share['1.3']) : undefined };
  }

  /** Builds contexts, warms up and primes sessions; resolves when the measured phase can start. */
  async prepare(): Promise<void> {
    const s = this.spec;
    const ip = net.isIP(s.servername) !== 0;
    const perRequest = s.http?.newHandshakePerRequest === true;
    const request = proofRequest(s.proof, s.servername, perRequest ? s.http!.path : '/');
    for (const version of this.versions) {
      const contexts = new Map<number, tls.SecureContext>();
      const params: HandshakeParams[] = [];
      for (let j = 0; j < s.connections; j++) {
        const id = (s.loopOffset + j) % s.identities.length;
        let context = contexts.get(id);
        if (!context) {
          const identity = s.identities[id]!;
          context = clientContext({
            tls: version,
            trustPem: s.trustPem,
            chainPem: identity.chainPem,
            keyPem: identity.keyPem,
            tlsOptions: nodeTlsOptions(s),
          });
          contexts.set(id, context);
        }
        this.firstContext ??= context;
        params.push({
          host: s.host,
          port: s.port,
          servername: ip ? undefined : s.servername,
          checkName: s.servername,
          context,
          tls13: version === '1.3',
          timeoutMs: s.timeoutMs,
          proof: s.proof,
          request,
          lingering: this.lingering,
          wholeResponse: perRequest,
        });
      }
      // Session sources: reuse shares one per identity; fresh keeps one per loop (closed) or a pool per identity
      // (open). A TLS 1.2 session never resumes TLS 1.3: each version has its own.
      const sources: SessionSource[] = [];
      const shared = new Map<tls.SecureContext, SessionSource>();
      const open = s.rate !== null || s.stages !== null;
      for (let j = 0; j < s.connections; j++) {
        const ctx = params[j]!.context;
        if (s.ticketPolicy === 'reuse' || open) {
          let src = shared.get(ctx);
          if (!src) {
            src = s.ticketPolicy === 'reuse' ? new SharedSession() : new FreshSessions();
            shared.set(ctx, src);
          }
          sources.push(src);
        } else {
          sources.push(new FreshSessions());
        }
      }
      const wire =
        s.engine === 'wire' && !s.scenario && !s.http ? wireLoops({ ...s, tls: version }, request) : undefined;
      this.lanes.set(version, { params, sources, wire });
    }
    if (s.scenario) {
      const id = s.scenario.identity;
      this.scenarioContext = clientContext({
        tls: this.versions[0]!,
        trustPem: s.trustPem,
        ...(id ? { chainPem: id.chainPem, keyPem: id.keyPem } : {}),
        tlsOptions: nodeTlsOptions(s),
      });
    }
    if (s.mode !== 'full' && !s.scenario && !this.keepAliveHttp) await this.prime();
    if (s.warmupMs > 0 && !this.keepAliveHttp) {
      // Warm-up: the same loops, unrecorded (JIT, server caches, TCP); fresh sessions it leaves behind are kept.
      this.deadline = performance.now() + s.warmupMs;
      this.recorder.t0 = performance.now();
      await this.runModel(false);
      this.recorder = new Recorder(s.reportEvents);
    }
  }

  /**
   * One full handshake per session source (reuse: per identity; fresh: per loop) and version, keeping the session it
   * yields.
   */
  private async prime(): Promise<void> {
    const wait = Math.max(this.spec.ticketTimeoutMs, 2000);
    const jobs: Promise<void>[] = [];
    for (const lane of this.lanes.values()) {
      const seen = new Set<SessionSource>();
      for (let j = 0; j < this.spec.connections; j++) {
        const src = lane.sources[j]!;
        if (this.spec.ticketPolicy === 'reuse' && seen.has(src)) continue;
        seen.add(src);
        jobs.push(
          new Promise<void>((resolve) =>
            this.handshake(lane, j, undefined, wait, (o) => {
              if (o.result === 'accepted') src.give(o.session);
              resolve();
            }),
          ),
        );
      }
    }
    await Promise.all(jobs);
  }

  /** Runs the measured phase; resolves with this worker's measurements. */
  async run(
    onProgress: (p: Progress, seconds: readonly SecondReport[]) => void,
    onEvents: (e: readonly LoadEvent[]) => void,
  ): Promise<LoadPart> {
    const s = this.spec;
    const startMs = Date.now();
    const cpu0 = s.measureCpu ? process.cpuUsage() : undefined;
    const chain0 = this.chainCounts();
    this.recorder.t0 = performance.now();
    this.remaining = s.handshakes;
    this.deadline = s.durationMs === null ? Infinity : this.recorder.t0 + s.durationMs;
    const flush = (all = false) => {
      onProgress(this.recorder.progress(), this.recorder.takeSeconds(performance.now(), all));
      if (this.recorder.events.length) {
        onEvents(this.recorder.events);
        this.recorder.events = [];
      }
    };
    const ticker = setInterval(flush, s.reportEvents ? 100 : 250);
    try {
      if (this.keepAliveHttp) {
        const open = this.schedule();
        await runHttpLoops(
          s,
          this.firstContext!,
          this.recorder,
          this.deadline,
          (stop) => (this.stopHttp = stop),
          open ? { schedule: open, setWake: (w) => (this.wake = w) } : undefined,
        );
      } else {
        await this.runModel(true);
      }
    } finally {
      clearInterval(ticker);
    }
    flush(true);
    const endMs = Date.now();
    const cpu = cpu0 ? process.cpuUsage(cpu0) : undefined;
    // The wire engine's chain caches over the measured phase (the warm-up's verifications are not the run's).
    const chain = this.chainCounts();
    const c = this.recorder.counters;
    c.chainCacheHits += chain.hits - chain0.hits;
    c.chainVerifications += chain.verifications - chain0.verifications;
    c.chainCacheInvalidations += chain.invalidations - chain0.invalidations;
    c.chainVerifyFailures += chain.failures - chain0.failures;
    for (const socket of this.lingering) socket.destroy();
    this.lingering.clear();
    for (const lane of this.lanes.values()) lane.wire?.destroyLingering();
    const r = this.recorder;
    return {
      counters: r.counters,
      histograms: {
        handshake: encodeHistogram(r.all),
        full: encodeHistogram(r.full),
        resumed: encodeHistogram(r.resumed),
        http: encodeHistogram(r.http),
        ...(s.tls === 'both'
          ? { tls12: encodeHistogram(r.byVersion['1.2']), tls13: encodeHistogram(r.byVersion['1.3']) }
          : {}),
      },
      timeline: r.timeline(),
      cpu: cpu ? { userMs: cpu.user / 1000, systemMs: cpu.system / 1000 } : null,
      startMs,
      endMs,
    };
  }

  /** The wire engine's chain cache counters, summed over the lanes (zero for node:tls). */
  private chainCounts(): ChainCacheCounts {
    const sum = { hits: 0, verifications: 0, invalidations: 0, failures: 0 };
    for (const lane of this.lanes.values()) {
      if (!lane.wire) continue;
      const n = lane.wire.cache.counts();
      sum.hits += n.hits;
      sum.verifications += n.verifications;
      sum.invalidations += n.invalidations;
      sum.failures += n.failures;
    }
    return sum;
  }

  /**
   * Stops issuing new handshakes; those in flight complete (each is bounded by the handshake timeout), and open-model
   * arrivals still waiting for a slot are dropped at once.
   */
  stop(): void {
    this.stopping = true;
    this.stopHttp?.();
    this.wake?.();
  }

  /** Open model: up to `n` units of the budget (fewer once the count runs out; 0 after a stop or the deadline). */
  private takeUpTo(n: number): number {
    if (n <= 0 || this.stopping) return 0;
    if (this.remaining === null) return n;
    const k = Math.min(n, this.remaining);
    this.remaining -= k;
    return k;
  }

  /** Takes one unit of the budget: false once the count, the duration or a stop ends the run. */
  private take(): boolean {
    if (this.stopping) return false;
    if (performance.now() >= this.deadline) return false;
    if (this.remaining !== null) {
      if (this.remaining <= 0) return false;
      this.remaining--;
    }
    return true;
  }

  /** This worker's arrival schedule (its share of `--rate` or of `--stages`), or undefined for the closed model. */
  private schedule(): ArrivalSchedule | undefined {
    const s = this.spec;
    if (s.stages) return stagedSchedule(s.stages, s.stageScale);
    if (s.rate !== null) return constantSchedule(s.rate);
    return undefined;
  }

  private runModel(measured: boolean): Promise<void> {
    const schedule = this.schedule();
    // NOTE: the warm-up runs the stage plan's opening rate (or --rate) as a constant rate: its length is --warmup.
    if (schedule && !measured && this.spec.stages) {
      const first = this.spec.stages.find((st) => st.target > 0)?.target ?? 1;
      return this.runOpen(constantSchedule(first * this.spec.stageScale));
    }
    return schedule ? this.runOpen(schedule) : this.runClosed();
  }

  private async runClosed(): Promise<void> {
    const loops: Promise<void>[] = [];
    for (let j = 0; j < this.spec.connections; j++) {
      const state = this.loopState();
      loops.push(
        (async () => {
          while (this.take()) {
            this.recorder.counters.attempted++;
            await this.one(j, performance.now(), state);
          }
        })(),
      );
    }
    await Promise.all(loops);
  }

  /** Open model over the handshake loops (see {@link runOpenModel}). */
  private runOpen(schedule: ArrivalSchedule): Promise<void> {
    const cap = this.spec.connections;
    const states = Array.from({ length: cap }, () => this.loopState());
    // NOTE: one picker for the whole worker keeps the version share exact over the arrivals, whichever slot they get.
    const shared = this.loopState();
    return runOpenModel({
      schedule,
      t0: this.recorder.t0 || performance.now(),
      deadline: this.deadline,
      cap,
      maxWaitMs: this.spec.timeoutMs,
      takeUpTo: (n) => this.takeUpTo(n),
      stopping: () => this.stopping,
      exhausted: () => this.remaining !== null && this.remaining <= 0,
      issue: (slot, due) => {
        this.recorder.counters.attempted++;
        const state = states[slot]!;
        return this.one(slot, due, { credit: state.credit, picker: shared.picker }, state);
      },
      drop: (count, dueAt, now) => this.recorder.recordDropped(count, dueAt, now),
      setWake: (w) => (this.wake = w),
    });
  }

  /** One handshake of loop `j` on one version's lane with the worker's engine: wire, or node:tls (load/handshake.ts). */
  private handshake(
    lane: Lane,
    j: number,
    offered: HeldSession | undefined,
    wantSessionMs: number,
    done: (o: HandshakeOutcome) => void,
  ): void {
    if (lane.wire) lane.wire.handshake(j, offered, wantSessionMs, done);
    else handshake(lane.params[j]!, offered?.data, wantSessionMs, done);
  }

  /**
   * One handshake (or probe) of loop `j`, started (or due) at `start`; the caller counts the attempt. `keep` receives
   * the resumption credit back (the open model shares the picker but keeps a credit per slot).
   */
  private one(j: number, start: number, state: LoopState, keep: { credit: number } = state): Promise<void> {
    if (this.spec.scenario) return this.probe(start);
    const s = this.spec;
    const version = state.picker ? state.picker.next() : this.versions[0]!;
    bump(this.recorder.counters.versionAttempted, version);
    const lane = this.lanes.get(version)!;
    // NOTE: error diffusion gives the exact resumption ratio over any stretch of a loop, with no randomness.
    let wantResume = s.mode === 'resumed';
    if (s.mode === 'mixed') {
      keep.credit += s.resumeRatio;
      wantResume = keep.credit >= 1 - 1e-9;
      if (wantResume) keep.credit -= 1;
    }
    const src = lane.sources[j]!;
    const offered = wantResume ? src.take() : undefined;
    const keepSession = s.mode !== 'full' && s.ticketPolicy === 'fresh';
    const advertise = s.ticketPolicy === 'advertise';
    const tls13 = version === '1.3';
    return new Promise<void>((resolve) => {
      this.handshake(lane, j, offered, keepSession || advertise ? s.ticketTimeoutMs : 0, (o: HandshakeOutcome) => {
        this.record(o, start, wantResume, offered, version);
        if (o.result === 'accepted' && keepSession)
          src.give(o.session ?? (offered && !tls13 && o.reused ? offered : undefined));
        // NOTE: advertise counts tickets only (a TLS 1.2 session id is no ticket); none is ever offered.
        if (o.result === 'accepted' && advertise && o.session && o.session.kind !== 'id')
          this.recorder.counters.ticketsReceived++;
        resolve();
      });
    });
  }

  private record(
    o: HandshakeOutcome,
    start: number,
    wantResume: boolean,
    offered: HeldSession | undefined,
    version: LoadTlsVersion,
  ): void {
    const r = this.recorder;
    const c = r.counters;
    const ms = o.doneAt - start;
    const perRequest = this.spec.http?.newHandshakePerRequest === true;
    if (o.result === 'error') {
      bump(c.versionFailed, version);
      if (perRequest) c.requestsFailed++;
      return r.error(o.cls ?? 'other:error', o.doneAt, ms);
    }
    // NOTE: a refused handshake counts for nothing else: not as full or resumed, and not in the resumption figures
    // (resumedRatio is over accepted handshakes; a resumed session the server then refuses is no resumption).
    if (o.result === 'rejected') {
      bump(c.versionRejected, version);
      if (perRequest) {
        c.connections++;
        const status = /^http:(\d+)$/.exec(o.cls ?? '')?.[1];
        if (status) {
          c.requests++;
          c.statusCodes[status] = (c.statusCodes[status] ?? 0) + 1;
        }
      }
      return r.rejection(o.cls ?? 'closed', o.doneAt, ms, { afterHandshake: o.handshakeCompleted, resumed: o.reused });
    }
    // Accepted: the server proved it, so the latency runs to the proof.
    c.succeeded++;
    bump(c.versionSucceeded, version);
    const b = r.bucket(o.doneAt);
    if (o.reused) {
      c.resumed++;
      b.resumed++;
      bump(c.versionResumed, version);
      r.latency(r.resumed, ms, o.doneAt);
    } else {
      c.full++;
      b.full++;
      bump(c.versionFull, version);
      r.latency(r.full, ms, o.doneAt);
    }
    if (this.spec.tls === 'both') r.byVersion[version].recordValue(Math.max(1, Math.round(ms * 1000)));
    if (perRequest) {
      // --new-handshake-per-request: the request is the unit of work; its connection is counted as undici's are.
      c.requests++;
      c.connections++;
      if (o.reused) c.resumedConnections++;
      const status = String(o.status ?? 200);
      c.statusCodes[status] = (c.statusCodes[status] ?? 0) + 1;
      r.requestsOk++;
      b.requests++;
      r.http.recordValue(Math.max(1, Math.round(ms * 1000)));
    }
    if (wantResume) {
      c.resumeWanted++;
      if (!o.reused) {
        if (!offered) c.noTicketReceived++;
        else if (offered.kind === 'ticket') c.ticketRefused++;
        else c.serverCacheOff++;
      }
    }
    if (r.reportEvents) r.events.push({ kind: perRequest ? 'request' : o.reused ? 'resumed' : 'full', ms });
  }

  /**
   * --scenario: one full engine probe with the scenario's certificate; acceptance needs an app-data round trip. The
   * latency of a decided probe (accepted or rejected) runs to the server's decision.
   */
  private async probe(start: number): Promise<void> {
    const s = this.spec;
    const obs: Observation = await probeNode({
      host: s.host,
      port: s.port,
      servername: s.servername,
      tls: this.versions[0]!,
      secureContext: this.scenarioContext!,
      mode: s.proof,
      timeoutMs: s.timeoutMs,
      ...(s.http ? { path: s.http.path } : {}),
    });
    const at = performance.now();
    const ms = at - start;
    const r = this.recorder;
    const c = r.counters;
    // NOTE: only `outcome` decides (engine/probe-node.ts's Observation is growing; the other fields only name the
    // mechanism of a refusal).
    const decided = (kind: 'accepted' | 'rejected', cls?: string) => {
      r.latency(r.full, ms, at);
      if (kind === 'rejected')
        return r.rejection(cls!, at, ms, { afterHandshake: obs.handshakeCompleted, resumed: false });
      c.succeeded++;
      c.full++;
      c.acceptances++;
      r.bucket(at).full++;
      if (r.reportEvents) r.events.push({ kind, ms });
    };
    switch (obs.outcome) {
      case 'accepted':
        return decided('accepted');
      case 'rejected-alert':
        return decided('rejected', `alert:${obs.alert?.name ?? 'unknown'}`);
      case 'rejected-http':
        return decided('rejected', `http:${obs.httpStatus ?? 0}`);
      case 'closed':
      case 'reset':
        return decided('rejected', obs.outcome);
      case 'timeout':
        return r.error('timeout', at, ms);
      default:
        return r.error(obs.error?.kind ?? classifyError(undefined), at, ms);
    }
  }
}
