import { EventEmitter } from 'node:events';
import { HarnessError, type ErrorCode } from '../core/errors.js';
import type {
  LoadConfig,
  LoadResult,
  LoadTick,
  LoadTimelinePoint,
  LoadTlsVersion,
  WorkerKind,
} from '../core/load-result.js';
import type { Observation } from '../core/result.js';
import { clientContext, probeNode } from '../engine/probe-node.js';
import { addMeasured, buildLoadResult } from './aggregate.js';
import { DEFAULT_MULTI_WORKER_KIND } from './default-options.js';
import type { LoadEvent, LoadPart, Progress, WorkerSpec } from './protocol.js';
import { constantSchedule, offeredInSecond, stagedSchedule } from './stages.js';
import { SecondsCollector } from './timeline.js';
import { validate, type LoadOptions, type ResolvedLoadOptions } from './validate.js';
import { wireProbe } from './wire-engine/loops.js';
import { nodeTlsOptions } from './wire-engine/names.js';
import { startWorker, type WorkerChannel } from './workers.js';

/** Events of a {@link LoadRun} (autocannon's shape). */
export interface LoadRunEvents {
  /** The measured phase started (after warm-up and session priming). */
  start: [info: { workers: number; workerKind: WorkerKind }];
  /** Once a second: the figures of the last second and totals. */
  tick: [tick: LoadTick];
  /**
   * A second of the measured phase, once every worker reported it: its counts, its latency percentiles (from the
   * workers' per-second histograms, added) and, in the open model, the arrivals due in it (`--timeline`).
   */
  second: [point: LoadTimelinePoint];
  /** One completed handshake, probe or request (only sent when someone listens when the run starts). */
  handshake: [event: LoadEvent];
  /** One failed handshake, probe or request (same condition; never emitted without a listener). */
  error: [event: LoadEvent];
  /** The final result (also what the run resolves to). */
  done: [result: LoadResult];
}

const TARGET_ERRORS: Record<string, ErrorCode> = {
  refused: 'MTLS_ERR_TARGET_UNREACHABLE',
  dns: 'MTLS_ERR_TARGET_UNREACHABLE',
  'not-tls': 'MTLS_ERR_TARGET_NOT_TLS',
  'server-untrusted': 'MTLS_ERR_TARGET_UNTRUSTED',
};

function describe(obs: Observation): string {
  if (obs.outcome === 'rejected-alert') return `rejected with alert ${obs.alert?.name ?? 'unknown'}`;
  if (obs.outcome === 'rejected-http') return `rejected with HTTP ${obs.httpStatus}`;
  if (obs.outcome === 'error') return `${obs.error?.kind}: ${obs.error?.message}`;
  return obs.outcome + (obs.detail ? ` (${obs.detail})` : '');
}

/**
 * A running load test: an EventEmitter (`start`, `tick`, `handshake`, `error`, `done`) that is also a promise of the
 * {@link LoadResult}. `stop()` ends it early (Ctrl-C): the result then covers what was measured.
 */
export class LoadRun extends EventEmitter<LoadRunEvents> implements PromiseLike<LoadResult> {
  private readonly result: Promise<LoadResult>;
  private channels: WorkerChannel[] = [];
  private stopped = false;
  private stoppedBy: 'SIGINT' | 'SIGTERM' | 'SIGHUP' | undefined;
  private measuring = false;

  constructor(options: LoadOptions) {
    super();
    // NOTE: the work starts on a later tick so listeners attached right after runLoad() see every event.
    this.result = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.execute(options));
    this.result.catch(() => {});
  }

  then<A = LoadResult, B = never>(
    onFulfilled?: ((value: LoadResult) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.result.then(onFulfilled, onRejected);
  }

  /**
   * Stops issuing handshakes; in-flight ones finish and the result covers what was measured, marked interrupted (with
   * `signal` when a signal was the reason).
   */
  stop(signal?: 'SIGINT' | 'SIGTERM' | 'SIGHUP'): void {
    if (this.stopped) return;
    this.stopped = true;
    this.stoppedBy = signal;
    if (this.measuring) for (const ch of this.channels) ch.send({ type: 'stop' });
  }

  /** The valid identity's probe over each version the run drives; the first that is not accepted, or an acceptance. */
  private async sanity(o: ResolvedLoadOptions): Promise<{ obs: Observation; version: LoadTlsVersion }> {
    const versions: LoadTlsVersion[] = o.tls === 'both' ? ['1.2', '1.3'] : [o.tls];
    let last: { obs: Observation; version: LoadTlsVersion } | undefined;
    for (const version of versions) {
      last = { obs: await this.probeOnce(o, version), version };
      if (last.obs.outcome !== 'accepted') return last;
    }
    return last!;
  }

  private async probeOnce(o: ResolvedLoadOptions, version: LoadTlsVersion): Promise<Observation> {
    const id = o.identities[0]!;
    const timeoutMs = Math.min(o.timeoutMs, 10_000);
    // The probe is made by the run's engine: a wire run's sanity is proven by the wire client itself.
    if (o.engine === 'wire' && !o.http)
      return wireProbe({ ...o, tls: version, identities: [id], timeoutMs, proof: o.probe });
    return probeNode({
      host: o.host,
      port: o.port,
      servername: o.servername,
      tls: version,
      secureContext: clientContext({
        tls: version,
        trustPem: o.trustPem,
        chainPem: id.chainPem,
        keyPem: id.keyPem,
        tlsOptions: nodeTlsOptions(o),
      }),
      mode: o.probe,
      timeoutMs,
      ...(o.http ? { path: o.http.path } : {}),
    });
  }

  private async execute(options: LoadOptions): Promise<LoadResult> {
    const o = validate(options);
    if (o instanceof Error) throw new HarnessError('MTLS_ERR_USAGE', o.message, { cause: o });
    const notes: string[] = [];
    if (o.sanity) {
      const { obs: before, version } = await this.sanity(o);
      if (before.outcome !== 'accepted') {
        const code = (before.error && TARGET_ERRORS[before.error.kind]) || 'MTLS_ERR_SANITY';
        throw new HarnessError(
          code,
          `sanity probe before the load: a valid client certificate was not accepted by ${o.target.name} over TLS ${version} (${describe(before)})`,
        );
      }
    }
    // NOTE: a target in this process (the built-in server) would be counted as generator CPU by a thread or inline
    // worker, so those runs use child processes.
    const workerKind: WorkerKind =
      o.workerKind !== 'auto'
        ? o.workerKind
        : o.targetInProcess
          ? 'process'
          : o.workers === 1
            ? 'inline'
            : DEFAULT_MULTI_WORKER_KIND;
    if (o.workerKind === 'auto' && o.workers > 1 && !o.targetInProcess)
      notes.push(
        `${o.workers} workers as ${workerKind === 'process' ? 'child processes' : 'worker threads'} (the faster kind as measured; see README)`,
      );
    if (o.targetInProcess && workerKind !== 'process')
      notes.push('generator CPU not measured: the target runs in the same process as the workers');
    if (o.targetInProcess && workerKind === 'process')
      notes.push('workers ran as child processes: the target runs in the harness process, and its CPU is not counted');
    const reportEvents = this.listenerCount('handshake') > 0 || this.listenerCount('error') > 0;
    const specs = this.split(o, workerKind, reportEvents);
    const parts: (LoadPart | undefined)[] = specs.map(() => undefined);
    const progress: Progress[] = specs.map(() => ({
      succeeded: 0,
      full: 0,
      resumed: 0,
      requests: 0,
      failed: 0,
      rejected: 0,
      acceptances: 0,
      latencySumUs: 0,
      latencyCount: 0,
      dropped: 0,
    }));

    // The schedule as a whole (every worker's share added): what each second offered.
    const schedule = o.stages ? stagedSchedule(o.stages) : o.rate !== null ? constantSchedule(o.rate) : undefined;
    const endMs = o.durationS !== null ? o.durationS * 1000 : null;
    const collector = new SecondsCollector(specs.length, (second) =>
      schedule
        ? endMs !== null && second * 1000 >= endMs
          ? 0
          : endMs !== null && (second + 1) * 1000 > endMs
            ? schedule.arrivals(endMs) - schedule.arrivals(second * 1000)
            : offeredInSecond(schedule, second)
        : null,
    );
    const emitSeconds = (points: readonly LoadTimelinePoint[]) => {
      for (const p of points) this.emit('second', p);
    };

    let ready = 0;
    let finished = 0;
    let onAllReady!: () => void;
    let onAllDone!: () => void;
    let onFailure!: (err: Error) => void;
    const allReady = new Promise<void>((res) => (onAllReady = res));
    const allDone = new Promise<void>((res) => (onAllDone = res));
    const failed = new Promise<never>((_, rej) => (onFailure = rej));
    failed.catch(() => {});
    this.channels = specs.map((spec, i) => {
      const ch = startWorker(workerKind);
      ch.onExit((reason) => onFailure(new HarnessError('MTLS_ERR_INTERNAL', `load worker ${i}: ${reason}`)));
      ch.onMessage((m) => {
        switch (m.type) {
          case 'ready':
            if (++ready === specs.length) onAllReady();
            return;
          case 'progress':
            progress[i] = m.progress;
            if (m.seconds) emitSeconds(collector.add(i, m.seconds));
            return;
          case 'events':
            for (const e of m.events) {
              // A refusal is a failure, except with --scenario, where it is a decided probe.
              if (e.kind === 'failed' || (e.kind === 'rejected' && !o.scenario)) {
                if (this.listenerCount('error') > 0) this.emit('error', e);
              } else this.emit('handshake', e);
            }
            return;
          case 'done':
            parts[i] = m.part;
            emitSeconds(collector.workerDone(i));
            if (++finished === specs.length) onAllDone();
            return;
          case 'failed':
            onFailure(new HarnessError('MTLS_ERR_INTERNAL', `load worker ${i} failed: ${m.message}`));
            return;
        }
      });
      ch.send({ type: 'init', spec });
      return ch;
    });

    let ticker: NodeJS.Timeout | undefined;
    try {
      await Promise.race([allReady, failed]);
      const cpu0 = process.cpuUsage();
      const startMs = Date.now();
      this.measuring = true;
      for (const ch of this.channels) ch.send({ type: 'go' });
      if (this.stopped) for (const ch of this.channels) ch.send({ type: 'stop' });
      this.emit('start', { workers: specs.length, workerKind });
      let last = progress.map((p) => ({ ...p }));
      let second = 0;
      ticker = setInterval(() => {
        second++;
        const now = progress.map((p) => ({ ...p }));
        const sum = (list: Progress[], k: keyof Progress) => list.reduce((a, p) => a + p[k], 0);
        const d = (k: keyof Progress) => sum(now, k) - sum(last, k);
        const count = d('latencyCount');
        this.emit('tick', {
          second,
          full: d('full'),
          resumed: d('resumed'),
          requests: d('requests'),
          errors: d('failed'),
          rejected: d('rejected'),
          total: sum(now, 'succeeded') + sum(now, 'requests'),
          errorsTotal: sum(now, 'failed'),
          rejectedTotal: sum(now, 'rejected'),
          acceptances: sum(now, 'acceptances'),
          meanMs: count > 0 ? Math.round(d('latencySumUs') / count) / 1000 : 0,
          droppedTotal: sum(now, 'dropped'),
          p99Ms: collector.lastP99(),
          elapsedS: second,
          totalS: o.durationS,
        });
        last = now;
      }, 1000);
      await Promise.race([allDone, failed]);
      clearInterval(ticker);
      emitSeconds(collector.finish());
      const endMs = Date.now();
      const parentCpu = process.cpuUsage(cpu0);
      const done = parts as LoadPart[];
      // Threads and inline share this process: its CPU covers them. Child processes measured themselves.
      // With a target in this process, only the children's own figures are the generator's.
      const own = o.targetInProcess ? { user: 0, system: 0 } : parentCpu;
      const cpu =
        workerKind === 'process'
          ? {
              userMs: own.user / 1000 + done.reduce((a, p) => a + (p.cpu?.userMs ?? 0), 0),
              systemMs: own.system / 1000 + done.reduce((a, p) => a + (p.cpu?.systemMs ?? 0), 0),
            }
          : o.targetInProcess
            ? null
            : { userMs: parentCpu.user / 1000, systemMs: parentCpu.system / 1000 };
      await Promise.all(this.channels.map((ch) => ch.close()));
      this.channels = [];

      const extraFailures: string[] = [];
      if (o.sanity && !this.stopped) {
        const { obs: after, version } = await this.sanity(o);
        if (after.outcome !== 'accepted')
          extraFailures.push(
            `sanity probe after the load: a valid client was not accepted${o.tls === 'both' ? ` over TLS ${version}` : ''} (${describe(after)})`,
          );
      }
      // NOTE: the seconds the workers streamed are their timelines, added, with each second's percentiles.
      const measured = {
        ...addMeasured(done.map((p) => ({ ...p, startMs: p.startMs }))),
        timeline: collector.points(),
      };
      const config: LoadConfig = {
        tls: o.tls,
        tlsShare: o.tlsShare ?? null,
        stages: o.stages ?? null,
        mode: o.mode,
        resumeRatio: o.resumeRatio,
        ticketPolicy: o.ticketPolicy,
        connections: o.connections,
        durationS: o.durationS,
        handshakes: o.handshakes,
        rate: o.rate,
        warmupS: o.warmupS,
        workers: specs.length,
        workerKind,
        identities: o.identities.length,
        scenario: o.scenario ? { id: o.scenario.id, fixture: o.scenario.fixture, expect: o.scenario.expect } : null,
        http: o.http,
        proof: o.probe,
        engine: o.engine,
        groups: o.groups,
        ciphers: o.ciphers,
        sigalgs: o.sigalgs,
      };
      if (
        o.http &&
        !o.http.newHandshakePerRequest &&
        measured.counters.connections >= measured.counters.requests &&
        measured.counters.requests > 1
      )
        notes.push('the server closed the connection after every response: each request paid a handshake');
      const result = buildLoadResult(measured, {
        config,
        target: {
          name: o.target.name,
          endpoint: `${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port}`,
          ...(o.target.version ? { version: o.target.version } : {}),
        },
        windows: [{ startMs, endMs }],
        cpu,
        agents: 1,
        interrupted: this.stopped,
        ...(this.stoppedBy ? { signal: this.stoppedBy } : {}),
        thresholds: { maxP99Ms: o.maxP99Ms, minRate: o.minRate, maxErrorRate: o.maxErrorRate },
        minResumeSuccess: o.minResumeSuccess,
        notes,
        extraFailures,
      });
      this.emit('done', result);
      return result;
    } finally {
      if (ticker) clearInterval(ticker);
      await Promise.all(this.channels.map((ch) => ch.close()));
    }
  }

  /** Splits connections, the handshake budget and the rate over the workers (remainders to the first ones). */
  private split(o: ResolvedLoadOptions, workerKind: WorkerKind, reportEvents: boolean): WorkerSpec[] {
    const k = o.workers;
    const share = (total: number, i: number) => Math.floor(total / k) + (i < total % k ? 1 : 0);
    const specs: WorkerSpec[] = [];
    let loopOffset = 0;
    for (let i = 0; i < k; i++) {
      const connections = share(o.connections, i);
      specs.push({
        index: i,
        host: o.host,
        port: o.port,
        servername: o.servername,
        tls: o.tls,
        tlsShare: o.tlsShare ?? null,
        mode: o.mode,
        resumeRatio: o.resumeRatio,
        ticketPolicy: o.ticketPolicy,
        connections,
        loopOffset,
        handshakes: o.handshakes === null ? null : share(o.handshakes, i),
        durationMs: o.durationS === null ? null : o.durationS * 1000,
        rate: o.rate === null ? null : o.rate / k,
        stages: o.stages ?? null,
        stageScale: 1 / k,
        warmupMs: o.warmupS * 1000,
        timeoutMs: o.timeoutMs,
        ticketTimeoutMs: o.ticketTimeoutMs,
        trustPem: o.trustPem,
        identities: o.identities,
        proof: o.probe,
        scenario: o.scenario ? { identity: o.scenario.identity } : null,
        http: o.http,
        reportEvents,
        measureCpu: workerKind === 'process',
        engine: o.engine,
        groups: o.groups,
        ciphers: o.ciphers,
        sigalgs: o.sigalgs,
      });
      loopOffset += connections;
    }
    return specs;
  }
}

/**
 * Runs a load test against a TLS server with client certificates (STYLE.md rule 12: autocannon's shape). Returns at
 * once; the run starts on the next tick. Rejects with a HarnessError for bad options (MTLS_ERR_USAGE) or a target
 * that does not accept a valid client before the load (MTLS_ERR_SANITY, MTLS_ERR_TARGET_*).
 */
export function runLoad(options: LoadOptions): LoadRun {
  return new LoadRun(options);
}
