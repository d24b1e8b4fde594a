/**
 * The `proxy-identity` procedure (issue 12): a request through a reverse proxy to the echo backend, and the backend's
 * record of it, fetched by the request's nonce. What the backend received is the evidence — a forged identity
 * header that reached it as sent, a failed verification passed on as a success, an ambiguous subject — not what the
 * proxy answered. Each client (node:tls and the wire client) sends the scenario's request and, first, a control: the
 * valid client on the same path, whose identity must reach the backend (else the path proves nothing).
 */
import { randomBytes, X509Certificate } from 'node:crypto';
import type { Backend, ClientObservation, ControlResult, Observation } from '../../core/result.js';
import { fetchEchoRecord, type EchoRecord } from '../../services/echo-backend.js';
import { rfc4514Subject } from '../../targets/proxy.js';
import { mechanism } from '../classify.js';
import { assess } from '../evidence.js';
import { registerProcedure, type ProcedureContext, type ProcedureOutcome, type ProcedureSkip } from './index.js';
import {
  carriersOf,
  judgeDnInjection,
  judgeFailedVerification,
  judgeSpoofedNoCertificate,
  judgeSpoofedOtherCertificate,
  markersOf,
  received,
  type BackendView,
  type HeaderLine,
  type IdentityMarkers,
} from './proxy-evidence.js';

/** The procedure's name, for scenarios. */
export const PROXY_IDENTITY = 'proxy-identity';

/** What a proxy-identity scenario checks (`procedure.params.check`). */
export const PROXY_CHECKS = [
  'spoofed-no-certificate',
  'spoofed-other-certificate',
  'failed-verification',
  'dn-injection',
] as const;
/** One of {@link PROXY_CHECKS}. */
export type ProxyCheck = (typeof PROXY_CHECKS)[number];

/** The identity forged headers claim by default: an existing valid client, never the one sent. */
export const DEFAULT_CLAIMED_FIXTURE = 'valid-rsa-2048';
/** The identity of the control on every path. */
const CONTROL_FIXTURE = 'valid';
const BACKENDS: readonly Backend[] = ['node', 'wire'];

/**
 * The forged headers claiming `claimed`: a successful verification, its subject, its certificate (URL-encoded PEM,
 * as nginx forwards it) and an Envoy-style X-Forwarded-Client-Cert with its hash and subject.
 */
export function forgedHeaders(claimedPem: string, claimedId: string): HeaderLine[] {
  const cert = new X509Certificate(claimedPem);
  const dn = rfc4514Subject(new Uint8Array(cert.raw));
  const hash = cert.fingerprint256.replace(/:/g, '').toLowerCase();
  return [
    ['X-SSL-Client-Verify', 'SUCCESS'],
    ['X-SSL-Client-S-DN', dn],
    ['X-Client-Cert', encodeURIComponent(cert.toString())],
    [
      'X-Forwarded-Client-Cert',
      `Hash=${hash};Subject="${dn.replace(/"/g, '\\"')}";URI=spiffe://mtls-harness.test/client/${claimedId}`,
    ],
  ];
}

/** One request through the proxy and what the backend made of it. */
interface Proxied {
  readonly observed: Observation;
  /** The backend's record; undefined when it never received the request; an Error when it could not be asked. */
  readonly record: EchoRecord | undefined | Error;
  readonly duration: number;
}

/** Sends `fixture` (or no certificate) with `headers` through the proxy by one client, then asks the backend. */
async function proxied(
  ctx: ProcedureContext,
  backend: Backend,
  fixture: string | null,
  headers: readonly HeaderLine[],
): Promise<Proxied> {
  const proxy = ctx.target.proxy!;
  const t0 = performance.now();
  // NOTE: a fresh nonce per request: the backend keeps what each request carried, so concurrent scenarios (and the
  // control) never read one another's view.
  const nonce = randomBytes(12).toString('base64url');
  const path = `${proxy.path}echo/${nonce}`;
  let observed: Observation;
  if (backend === 'node') {
    observed = await ctx.node(fixture, { path, headers });
  } else {
    const f = fixture ? ctx.fixtures.fixture(fixture) : undefined;
    const lines = headers.map(([k, v]) => `${k}: ${v}\r\n`).join('');
    const result = await ctx.wire({
      ...(f ? { chainPem: ctx.read(f.chain), keyPem: ctx.read(f.key) } : {}),
      appData: Buffer.from(`GET ${path} HTTP/1.1\r\nHost: ${ctx.servername}\r\n${lines}Connection: close\r\n\r\n`),
    });
    observed = result.observation;
  }
  const record = await fetchEchoRecord(proxy.echo, nonce, ctx.timeoutMs);
  return { observed, record, duration: Math.round(performance.now() - t0) };
}

/** What one client's request proves, from the backend's view (`view`) when the request reached it. */
function assessProxied(
  ctx: ProcedureContext,
  backend: Backend,
  seen: Proxied,
  view: (record: EchoRecord) => BackendView,
): ClientObservation {
  const { observed, record } = seen;
  if (record instanceof Error) {
    const echo = ctx.target.proxy!.echo;
    return {
      backend,
      observed,
      evidence: 'no-decision',
      note: `the echo backend at ${echo.host}:${echo.port} could not be asked: ${record.message}`,
    };
  }
  if (record === undefined) {
    // NOTE: nothing reached the application, whatever the proxy answered (a 502 for a header it would not send):
    // no identity, forged or not, can have been believed. A refusal is assessed as any refusal is.
    if (observed.outcome === 'accepted') {
      return {
        backend,
        observed,
        evidence: 'conclusive-rejection',
        note: `the proxy answered ${observed.httpStatus ? `HTTP ${observed.httpStatus}` : mechanism(observed)} without forwarding the request: nothing reached the backend`,
      };
    }
    return assess(backend, observed, 'client-certificate', ctx.tls);
  }
  const judged = view(record);
  return { backend, observed, evidence: judged.forged ? 'acceptance' : 'conclusive-rejection', note: judged.note };
}

/** The control of one client: the valid client on the same path, its identity received by the backend. */
function controlOf(ctx: ProcedureContext, backend: Backend, seen: Proxied, valid: IdentityMarkers): ControlResult {
  const name = ctx.scenario.id.split('::').pop()!;
  const family = `${PROXY_IDENTITY}/${name}`;
  const { record } = seen;
  const reached = record && !(record instanceof Error) ? carriersOf(record, valid) : [];
  const accepted = seen.observed.outcome === 'accepted' && reached.length > 0;
  const detail =
    record instanceof Error
      ? `the echo backend could not be asked: ${record.message}`
      : record === undefined
        ? 'the request did not reach the echo backend'
        : reached.length
          ? `the backend received ${valid.label} in ${reached.join(', ')}`
          : `the backend did not receive ${valid.label}'s identity (${received(record, ['X-SSL-Client-Verify', 'X-SSL-Client-S-DN'])})`;
  return {
    id: `control:${ctx.scenario.policy}:${backend}:${ctx.tls}:${ctx.mode}:${ctx.servername}:${family}:${CONTROL_FIXTURE}`,
    policy: ctx.scenario.policy,
    backend,
    tls: ctx.tls,
    probe: ctx.mode,
    servername: ctx.servername,
    family,
    fixture: CONTROL_FIXTURE,
    observed: { ...seen.observed, detail },
    accepted,
    duration: seen.duration,
  };
}

/** The scenario's check and the judgement of the backend's view it calls for. */
function checkOf(
  ctx: ProcedureContext,
  markers: (id: string) => IdentityMarkers,
): { headers: HeaderLine[]; view: (record: EchoRecord) => BackendView } | ProcedureSkip {
  const params = ctx.scenario.procedure?.params ?? {};
  const check = params.check as ProxyCheck;
  const claimedId = String(params.claims ?? DEFAULT_CLAIMED_FIXTURE);
  const fixture = ctx.scenario.fixture;
  const has = (id: string) => ctx.fixtures.manifest.fixtures.some((f) => f.id === id);
  for (const id of [CONTROL_FIXTURE, ...(check.startsWith('spoofed') ? [claimedId] : [])]) {
    if (!has(id))
      return { skip: { kind: 'fixture', detail: `fixture '${id}' is not in the manifest (regenerate the fixtures)` } };
  }
  switch (check) {
    case 'spoofed-no-certificate': {
      const claimed = markers(claimedId);
      const headers = forgedHeaders(ctx.read(ctx.fixtures.fixture(claimedId).cert), claimedId);
      return { headers, view: (r) => judgeSpoofedNoCertificate(r, headers, claimed) };
    }
    case 'spoofed-other-certificate': {
      const claimed = markers(claimedId);
      const own = markers(fixture!);
      return {
        headers: forgedHeaders(ctx.read(ctx.fixtures.fixture(claimedId).cert), claimedId),
        view: (r) => judgeSpoofedOtherCertificate(r, own, claimed),
      };
    }
    case 'failed-verification': {
      const bad = markers(fixture!);
      return { headers: [], view: (r) => judgeFailedVerification(r, bad) };
    }
    case 'dn-injection': {
      const own = markers(fixture!);
      return { headers: [], view: (r) => judgeDnInjection(r, own) };
    }
    default:
      throw new Error(`scenario ${ctx.scenario.id}: unknown proxy-identity check '${String(check)}'`);
  }
}

/** The finding: the clients' notes (one when they say the same), and any control that did not hold. */
function findingOf(observations: readonly ClientObservation[], controls: readonly ControlResult[]): string {
  const notes = [...new Set(observations.map((o) => o.note))];
  const seen = notes.length === 1 ? notes[0]! : observations.map((o) => `${o.backend}: ${o.note}`).join('; ');
  const broken = controls.filter((c) => !c.accepted).map((c) => `${c.backend}: ${c.observed.detail ?? ''}`);
  return broken.length ? `${seen}; control (${CONTROL_FIXTURE} on the same path): ${broken.join('; ')}` : seen;
}

/** The procedure: for each client, the control, then the scenario's request. */
async function proxyIdentity(ctx: ProcedureContext): Promise<ProcedureOutcome | ProcedureSkip> {
  if (!ctx.target.proxy) {
    return {
      skip: { kind: 'capability', detail: `target '${ctx.target.name}' is not a proxy in front of the echo backend` },
    };
  }
  if (ctx.mode !== 'http') {
    return {
      skip: { kind: 'client', detail: 'proxy-identity sends HTTP requests through the proxy; --probe raw sends none' },
    };
  }
  const cache = new Map<string, IdentityMarkers>();
  const markers = (id: string) => {
    let m = cache.get(id);
    if (!m) {
      m = markersOf(id, ctx.read(ctx.fixtures.fixture(id).cert));
      cache.set(id, m);
    }
    return m;
  };
  const check = checkOf(ctx, markers);
  if ('skip' in check) return check;
  const interrupted: ProcedureSkip = {
    skip: {
      kind: 'interrupted',
      detail: `not run: the run was interrupted${typeof ctx.signal?.reason === 'string' ? ` by ${ctx.signal.reason}` : ''}`,
    },
  };
  const observations: ClientObservation[] = [];
  const controls: ControlResult[] = [];
  for (const backend of BACKENDS) {
    // NOTE: a stop leaves the scenario unjudged rather than judged on half its evidence.
    if (ctx.signal?.aborted) return interrupted;
    controls.push(controlOf(ctx, backend, await proxied(ctx, backend, CONTROL_FIXTURE, []), markers(CONTROL_FIXTURE)));
    if (ctx.signal?.aborted) return interrupted;
    const seen = await proxied(ctx, backend, ctx.scenario.fixture, check.headers);
    observations.push(assessProxied(ctx, backend, seen, check.view));
  }
  return { observations, controls, finding: findingOf(observations, controls) };
}

registerProcedure(PROXY_IDENTITY, proxyIdentity);
