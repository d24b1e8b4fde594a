import diagnostics from 'node:diagnostics_channel';
import net from 'node:net';
import type tls from 'node:tls';
import { Pool } from 'undici';
import { REJECTING_HTTP_STATUSES } from '../core/http.js';
import { classifyError } from './handshake.js';
import type { Recorder } from './engine.js';
import { runOpenModel } from './open-model.js';
import type { WorkerSpec } from './protocol.js';
import type { ArrivalSchedule } from './stages.js';

/**
 * Options of the undici Pool that carries HTTP over mTLS: the client certificate and key (inside the prebuilt
 * SecureContext, which also holds the CA), the server name, and server verification ON.
 *
 * NOTE: autocannon is not used for measurements: its lib/httpClient.js spreads `tlsOptions` and then sets
 * `rejectUnauthorized: false` after them, so server verification cannot be turned back on, and it never resumes
 * sessions. undici verifies the server (Node's default) and keeps a TLS session cache per connector.
 */
export function poolOptions(spec: Pick<WorkerSpec, 'connections' | 'servername' | 'http'>, context: tls.SecureContext) {
  const ip = net.isIP(spec.servername) !== 0;
  return {
    connections: spec.connections,
    pipelining: spec.http?.pipelining ?? 1,
    connect: {
      secureContext: context,
      rejectUnauthorized: true,
      ...(ip ? {} : { servername: spec.servername }),
    },
  };
}

interface ConnectedMessage {
  readonly socket?: { isSessionReused?: () => boolean };
}

/** `--http` with `--rate` or `--stages`: the arrival schedule, and where the worker's stop wakes the scheduler. */
export interface HttpOpenModel {
  readonly schedule: ArrivalSchedule;
  readonly setWake: (wake: (() => void) | undefined) => void;
}

/**
 * `--http`: connections × pipelining request loops over one undici Pool (closed model), or requests issued by the
 * arrival schedule with at most connections × pipelining in flight (open model, `open`: latency from each arrival's
 * intended start, arrivals dropped as in the handshake open model), until the deadline or a stop. Records
 * requests, statuses and the latency of successful ones, refusals (a rejecting status, a TLS alert) by mechanism,
 * errors by class, and counts the TLS connections the pool opened and how many resumed (from undici's
 * `undici:client:connected` diagnostics channel).
 */
export async function runHttpLoops(
  spec: WorkerSpec,
  context: tls.SecureContext,
  r: Recorder,
  deadline: number,
  onStop: (stop: () => void) => void,
  open?: HttpOpenModel,
): Promise<void> {
  const origin = `https://${spec.host.includes(':') ? `[${spec.host}]` : spec.host}:${spec.port}`;
  const pool = new Pool(origin, poolOptions(spec, context));
  const channel = diagnostics.channel('undici:client:connected');
  const onConnected = (message: unknown) => {
    const socket = (message as ConnectedMessage).socket;
    r.counters.connections++;
    if (socket?.isSessionReused?.()) r.counters.resumedConnections++;
  };
  channel.subscribe(onConnected);
  let stopped = false;
  onStop(() => (stopped = true));
  const path = spec.http?.path ?? '/';
  const host = spec.servername;
  /** One request, started (or due, in the open model) at `start`; true when it failed (the loop backs off). */
  const one = async (start: number): Promise<boolean> => {
    try {
      const res = await pool.request({ path, method: 'GET', headers: { host } });
      await res.body.dump();
      const at = performance.now();
      r.counters.requests++;
      const code = String(res.statusCode);
      r.counters.statusCodes[code] = (r.counters.statusCodes[code] ?? 0) + 1;
      // NOTE: an answer is not a success: a server that refuses a client certificate at the HTTP layer (nginx's
      // 400/495/496, a 403 from an authorisation rule) answers too (issue 9). Latency counts successes only.
      if (REJECTING_HTTP_STATUSES.has(res.statusCode)) {
        r.rejection(`http:${code}`, at, at - start, { afterHandshake: true, resumed: false });
        return false;
      }
      r.requestsOk++;
      r.bucket(at).requests++;
      r.latency(r.http, at - start, at);
      if (r.reportEvents) r.events.push({ kind: 'request', ms: at - start });
      return false;
    } catch (err) {
      const at = performance.now();
      const cls = classifyError(err);
      if (cls.startsWith('alert:') && cls !== 'alert:protocol_version') {
        // A TLS alert is the server refusing the client, not a transport error.
        r.rejection(cls, at, at - start, { afterHandshake: false, resumed: false });
      } else {
        r.counters.requestsFailed++;
        r.counters.errors[cls] = (r.counters.errors[cls] ?? 0) + 1;
        r.bucket(at).errors++;
        if (r.reportEvents) r.events.push({ kind: 'failed', ms: at - start, error: cls });
      }
      return true;
    }
  };
  const loop = async () => {
    while (!stopped && performance.now() < deadline) {
      // A refusing or dead server fails at once: do not spin.
      if (await one(performance.now())) await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  const inFlight = spec.connections * (spec.http?.pipelining ?? 1);
  try {
    if (open) {
      await runOpenModel({
        schedule: open.schedule,
        t0: r.t0,
        deadline,
        cap: inFlight,
        maxWaitMs: spec.timeoutMs,
        takeUpTo: (n) => (stopped ? 0 : n),
        stopping: () => stopped,
        exhausted: () => false,
        issue: async (_slot, due) => {
          await one(due);
        },
        drop: (count, dueAt, now) => r.recordDropped(count, dueAt, now),
        setWake: open.setWake,
      });
    } else {
      await Promise.all(Array.from({ length: inFlight }, loop));
    }
  } finally {
    channel.unsubscribe(onConnected);
    await pool.destroy();
  }
}
