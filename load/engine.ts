import net from 'node:net';
import type tls from 'node:tls';
import type { LoadCounters, LoadTimelinePoint } from '../core/load-result.js';
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
import type { LoadEvent, LoadPart, Progress, WorkerSpec } from './protocol.js';
import { nodeTlsOptions } from './wire-engine/names.js';
import { wireLoops, type WireLoops } from './wire-engine/loops.js';

/** Mutable counters of one worker. */
export type MutableCounters = { -readonly [K in keyof LoadCounters]: LoadCounters[K] } & {
  rejections: Record<string, number>;
  errors: Record<string, number>;
  statusCodes: Record<string, number>;
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
  };
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

/** One per-second bucket of the timeline. */
interface Bucket {
  full: number;
  resumed: number;
  errors: number;
  requests: number;
  rejected: number;
  latencySumUs: number;
}

/** The recording side shared by the handshake and HTTP loops. */
export class Recorder {
  readonly counters = zeroCounters();
  readonly all: Histogram = createHistogram();
  readonly full: Histogram = createHistogram();
  readonly resumed: Histogram = createHistogram();
  readonly http: Histogram = createHistogram();
  private readonly buckets: Bucket[] = [];
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
      this.buckets.push({ full: 0, resumed: 0, errors: 0, requests: 0, rejected: 0, latencySumUs: 0 });
    return this.buckets[i]!;
  }

  latency(h: Histogram, ms: number, at: number): number {
    const us = Math.max(1, Math.round(ms * 1000));
    h.recordValue(us);
    if (h !== this.all && h !== this.http) this.all.recordValue(us);
    this.bucket(at).latencySumUs += us;
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
    const step = Math.max(1, Math.ceil(count / 4096));
    for (let i = 0; i < count; i += step) {
      const k = Math.min(step, count - i);
      const waitedMs = now - dueAt(i + (k - 1) / 2);
      this.all.recordValueWithCount(Math.max(1, Math.round(waitedMs * 1000)), k);
    }
  }

  timeline(): LoadTimelinePoint[] {
    return this.buckets.map((b, second) => ({ second, ...b }));
  }
}

/**
 * One worker's load generator: builds its SecureContexts once (one per identity it uses), warms up, primes sessions,
 * then runs the closed model (N connection loops back to back) or the open model (a constant arrival rate, latency
 * measured from each arrival's intended start, so a stalled server cannot hide its stall: coordinated omission).
 */
export class WorkerEngine {
  private readonly spec: WorkerSpec;
  private readonly contexts: tls.SecureContext[] = [];
  private readonly loopIdentity: number[] = [];
  private readonly sources: SessionSource[] = [];
  private readonly lingering = new Set<tls.TLSSocket>();
  private readonly params: HandshakeParams[] = [];
  private scenarioContext: tls.SecureContext | undefined;
  /** The wire engine's loops (spec.engine wire), or undefined for node:tls. */
  private wire: WireLoops | undefined;
  private stopping = false;
  private recorder: Recorder;
  private remaining: number | null = null;
  private deadline = Infinity;
  private stopHttp: (() => void) | undefined;
  /** Re-runs the open model's scheduler at once (after a stop). */
  private wake: (() => void) | undefined;

  constructor(spec: WorkerSpec) {
    this.spec = spec;
    this.recorder = new Recorder(spec.reportEvents);
  }

  private get tls13(): boolean {
    return this.spec.tls === '1.3';
  }

  /** Builds contexts, warms up and primes sessions; resolves when the measured phase can start. */
  async prepare(): Promise<void> {
    const s = this.spec;
    const ip = net.isIP(s.servername) !== 0;
    const byIdentity = new Map<number, number>();
    const request = proofRequest(s.proof, s.servername);
    for (let j = 0; j < s.connections; j++) {
      const id = (s.loopOffset + j) % s.identities.length;
      let ctxIndex = byIdentity.get(id);
      if (ctxIndex === undefined) {
        const identity = s.identities[id]!;
        this.contexts.push(
          clientContext({
            tls: s.tls,
            trustPem: s.trustPem,
            chainPem: identity.chainPem,
            keyPem: identity.keyPem,
            tlsOptions: nodeTlsOptions(s),
          }),
        );
        ctxIndex = this.contexts.length - 1;
        byIdentity.set(id, ctxIndex);
      }
      this.loopIdentity.push(ctxIndex);
      this.params.push({
        host: s.host,
        port: s.port,
        servername: ip ? undefined : s.servername,
        checkName: s.servername,
        context: this.contexts[ctxIndex]!,
        tls13: this.tls13,
        timeoutMs: s.timeoutMs,
        proof: s.proof,
        request,
        lingering: this.lingering,
      });
    }
    if (s.engine === 'wire' && !s.scenario && !s.http) this.wire = wireLoops(s, request);
    if (s.scenario) {
      const id = s.scenario.identity;
      this.scenarioContext = clientContext({
        tls: s.tls,
        trustPem: s.trustPem,
        ...(id ? { chainPem: id.chainPem, keyPem: id.keyPem } : {}),
        tlsOptions: nodeTlsOptions(s),
      });
    }
    // Session sources: reuse shares one per identity; fresh keeps one per loop (closed) or a pool per identity (open).
    const shared = new Map<number, SessionSource>();
    for (let j = 0; j < s.connections; j++) {
      const ctx = this.loopIdentity[j]!;
      if (s.ticketPolicy === 'reuse' || s.rate !== null) {
        let src = shared.get(ctx);
        if (!src) {
          src = s.ticketPolicy === 'reuse' ? new SharedSession() : new FreshSessions();
          shared.set(ctx, src);
        }
        this.sources.push(src);
      } else {
        this.sources.push(new FreshSessions());
      }
    }
    if (s.mode !== 'full' && !s.scenario && !s.http) await this.prime();
    if (s.warmupMs > 0 && !s.http) {
      // Warm-up: the same loops, unrecorded (JIT, server caches, TCP); fresh sessions it leaves behind are kept.
      this.deadline = performance.now() + s.warmupMs;
      this.recorder.t0 = performance.now();
      await this.runModel();
      this.recorder = new Recorder(s.reportEvents);
    }
  }

  /** One full handshake per session source (reuse: per identity; fresh: per loop), keeping the session it yields. */
  private async prime(): Promise<void> {
    const seen = new Set<SessionSource>();
    const wait = Math.max(this.spec.ticketTimeoutMs, 2000);
    const jobs: Promise<void>[] = [];
    for (let j = 0; j < this.spec.connections; j++) {
      const src = this.sources[j]!;
      if (this.spec.ticketPolicy === 'reuse' && seen.has(src)) continue;
      seen.add(src);
      jobs.push(
        new Promise<void>((resolve) =>
          this.handshake(j, undefined, wait, (o) => {
            if (o.result === 'accepted') src.give(o.session);
            resolve();
          }),
        ),
      );
    }
    await Promise.all(jobs);
  }

  /** Runs the measured phase; resolves with this worker's measurements. */
  async run(onProgress: (p: Progress) => void, onEvents: (e: readonly LoadEvent[]) => void): Promise<LoadPart> {
    const s = this.spec;
    const startMs = Date.now();
    const cpu0 = s.measureCpu ? process.cpuUsage() : undefined;
    this.recorder.t0 = performance.now();
    this.remaining = s.handshakes;
    this.deadline = s.durationMs === null ? Infinity : this.recorder.t0 + s.durationMs;
    const flush = () => {
      onProgress(this.recorder.progress());
      if (this.recorder.events.length) {
        onEvents(this.recorder.events);
        this.recorder.events = [];
      }
    };
    const ticker = setInterval(flush, s.reportEvents ? 100 : 250);
    try {
      if (s.http) {
        await runHttpLoops(s, this.contexts[0]!, this.recorder, this.deadline, (stop) => (this.stopHttp = stop));
      } else {
        await this.runModel();
      }
    } finally {
      clearInterval(ticker);
    }
    flush();
    const endMs = Date.now();
    const cpu = cpu0 ? process.cpuUsage(cpu0) : undefined;
    for (const socket of this.lingering) socket.destroy();
    this.lingering.clear();
    this.wire?.destroyLingering();
    const r = this.recorder;
    return {
      counters: r.counters,
      histograms: {
        handshake: encodeHistogram(r.all),
        full: encodeHistogram(r.full),
        resumed: encodeHistogram(r.resumed),
        http: encodeHistogram(r.http),
      },
      timeline: r.timeline(),
      cpu: cpu ? { userMs: cpu.user / 1000, systemMs: cpu.system / 1000 } : null,
      startMs,
      endMs,
    };
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

  private runModel(): Promise<void> {
    return this.spec.rate !== null ? this.runOpen(this.spec.rate) : this.runClosed();
  }

  private async runClosed(): Promise<void> {
    const loops: Promise<void>[] = [];
    for (let j = 0; j < this.spec.connections; j++) {
      const state = { credit: 0 };
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

  /**
   * Open model: arrival i is due at t0 + i/rate, whatever the server does. A due arrival starts at once while fewer
   * than `connections` are in flight; otherwise it waits for a slot (first come, first served), and its latency still
   * counts from when it was due. It is dropped — counted, and its wait recorded — when it has waited longer than the
   * handshake timeout, or is still waiting when the run ends (the duration, a stop). The backlog is a range of
   * arrival numbers, not a queue: memory stays constant at any rate, and arrivals are admitted in bulk per timer turn,
   * so even `--rate 1000000` never blocks the event loop (a stop message is always read).
   */
  private runOpen(rate: number): Promise<void> {
    const t0 = this.recorder.t0 || performance.now();
    const dueAt = (i: number) => t0 + (i * 1000) / rate;
    const cap = this.spec.connections;
    const maxWaitMs = this.spec.timeoutMs;
    /** Arrivals [0, admitted) came due in the run; [next, admitted) wait for a slot. */
    let admitted = 0;
    let next = 0;
    let inFlight = 0;
    let slot = 0;
    let closed = false;
    const state = Array.from({ length: cap }, () => ({ credit: 0 }));
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const drop = (until: number, now: number) => {
        if (until <= next) return;
        const first = next;
        this.recorder.recordDropped(until - first, (k) => dueAt(first + k), now);
        next = until;
      };
      const launch = () => {
        while (inFlight < cap && next < admitted) {
          const due = dueAt(next++);
          inFlight++;
          const j = slot++ % cap;
          this.recorder.counters.attempted++;
          void this.one(j, due, state[j]!).then(() => {
            inFlight--;
            pump();
          });
        }
      };
      const pump = () => {
        const now = performance.now();
        if (!closed) {
          // NOTE: arrivals due before the end of the run are admitted even when this turn comes after it.
          const horizon = Math.min(now, this.deadline);
          const due = horizon < t0 ? 0 : Math.floor(((horizon - t0) * rate) / 1000 + 1e-9) + 1;
          const dueBeforeEnd = horizon >= this.deadline ? Math.ceil(((this.deadline - t0) * rate) / 1000 - 1e-9) : due;
          admitted += this.takeUpTo(Math.max(0, Math.min(due, dueBeforeEnd) - admitted));
          if (this.stopping || now >= this.deadline || (this.remaining !== null && this.remaining <= 0)) closed = true;
        }
        // Waited longer than a handshake may take: it would have timed out.
        const stale = Math.ceil(((now - maxWaitMs - t0) * rate) / 1000 - 1e-9);
        drop(Math.min(admitted, stale), now);
        launch();
        // The run is over (duration, stop): whoever still waits is dropped.
        if (closed && (this.stopping || now >= this.deadline)) drop(admitted, now);
        if (timer) clearTimeout(timer);
        timer = undefined;
        if (closed && inFlight === 0 && next === admitted) {
          this.wake = undefined;
          resolve();
          return;
        }
        // Wake for the next arrival, or (when closed) for the next one to go stale.
        const wake = closed ? dueAt(next) + maxWaitMs : Math.min(dueAt(admitted), this.deadline);
        if (!closed || next < admitted) timer = setTimeout(pump, Math.max(1, wake - performance.now()));
      };
      this.wake = pump;
      pump();
    });
  }

  /** One handshake of loop `j` with the worker's engine: wire, or node:tls (load/handshake.ts). */
  private handshake(
    j: number,
    offered: HeldSession | undefined,
    wantSessionMs: number,
    done: (o: HandshakeOutcome) => void,
  ): void {
    if (this.wire) this.wire.handshake(j, offered, wantSessionMs, done);
    else handshake(this.params[j]!, offered?.data, wantSessionMs, done);
  }

  /** One handshake (or probe) of loop `j`, started (or due) at `start`; the caller counts the attempt. */
  private one(j: number, start: number, state: { credit: number }): Promise<void> {
    if (this.spec.scenario) return this.probe(start);
    const s = this.spec;
    // NOTE: error diffusion gives the exact resumption ratio over any stretch of a loop, with no randomness.
    let wantResume = s.mode === 'resumed';
    if (s.mode === 'mixed') {
      state.credit += s.resumeRatio;
      wantResume = state.credit >= 1 - 1e-9;
      if (wantResume) state.credit -= 1;
    }
    const src = this.sources[j]!;
    const offered = wantResume ? src.take() : undefined;
    const keepSession = s.mode !== 'full' && s.ticketPolicy === 'fresh';
    return new Promise<void>((resolve) => {
      this.handshake(j, offered, keepSession ? s.ticketTimeoutMs : 0, (o: HandshakeOutcome) => {
        this.record(o, start, wantResume, offered);
        if (o.result === 'accepted' && keepSession)
          src.give(o.session ?? (offered && !this.tls13 && o.reused ? offered : undefined));
        resolve();
      });
    });
  }

  private record(o: HandshakeOutcome, start: number, wantResume: boolean, offered: HeldSession | undefined): void {
    const r = this.recorder;
    const c = r.counters;
    const ms = o.doneAt - start;
    if (o.result === 'error') return r.error(o.cls ?? 'other:error', o.doneAt, ms);
    // NOTE: a refused handshake counts for nothing else: not as full or resumed, and not in the resumption figures
    // (resumedRatio is over accepted handshakes; a resumed session the server then refuses is no resumption).
    if (o.result === 'rejected')
      return r.rejection(o.cls ?? 'closed', o.doneAt, ms, { afterHandshake: o.handshakeCompleted, resumed: o.reused });
    // Accepted: the server proved it, so the latency runs to the proof.
    c.succeeded++;
    const b = r.bucket(o.doneAt);
    if (o.reused) {
      c.resumed++;
      b.resumed++;
      r.latency(r.resumed, ms, o.doneAt);
    } else {
      c.full++;
      b.full++;
      r.latency(r.full, ms, o.doneAt);
    }
    if (wantResume) {
      c.resumeWanted++;
      if (!o.reused) {
        if (!offered) c.noTicketReceived++;
        else if (offered.kind === 'ticket') c.ticketRefused++;
        else c.serverCacheOff++;
      }
    }
    if (r.reportEvents) r.events.push({ kind: o.reused ? 'resumed' : 'full', ms });
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
      tls: s.tls,
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
