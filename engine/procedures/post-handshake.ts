/**
 * Client authentication after the handshake for one protected location (issue 12): `post-handshake-auth` (TLS 1.3,
 * RFC 8446 §4.6.2) and `renegotiation` (TLS 1.2, RFC 5246 §7.4.1.1 with RFC 5746). The wire client connects to the
 * target's protected location (StartedTarget.protectedLocation), requests the protected path right after the
 * handshake, as a browser does, and answers the server's later request as the scenario says:
 *
 * - `answer: identity`: with the scenario's fixture (an empty Certificate when it has none), and the `mutation` param
 *   applied to the answer's messages when given;
 * - `answer: not-offered` (TLS 1.3): its ClientHello lacks post_handshake_auth, so it cannot be asked;
 * - `answer: refuse` (TLS 1.2): it answers the HelloRequest with a no_renegotiation warning.
 *
 * The decision is assessed at step `post-handshake`: an alert after the answer, or an HTTP refusal, is a decision
 * about it; a refusal from a server that never asked (no post-handshake CertificateRequest, no HelloRequest) is not a
 * decision about the identity and leaves the scenario unjudged, while a resource served without asking is an
 * acceptance like any other. A post-handshake CertificateRequest sent to a client that did not offer
 * post_handshake_auth fails the scenario on its own (RFC 8446 §4.6.2).
 *
 * Controls, each measured once per run and TLS version (ProcedureContext.once): the valid identity answering the same
 * request on the same path (the `*-valid` scenario's own probe; the `*-valid` scenario itself rests on that identity
 * sent in a handshake to the target's own endpoint instead), and the unprotected path `/` served without any
 * certificate on the same connection kind. A refused control makes the verdict an error.
 */
import type { ClientObservation, ControlResult, Observation } from '../../core/result.js';
import type { ProtectedLocation } from '../../targets/target.js';
import type { WireProbeOptions, WireResult } from '../../wire/index.js';
import { mechanism as describe } from '../classify.js';
import { assess } from '../evidence.js';
import { registerProcedure, type ProcedureContext, type ProcedureOutcome, type ProcedureSkip } from './index.js';

/** The two ways of asking after the handshake, by procedure name. */
type LateMechanism = 'post-handshake-auth' | 'renegotiation';

/** What the client does when asked: present an identity, not offer post_handshake_auth, or refuse to renegotiate. */
type LateAnswer = 'identity' | 'not-offered' | 'refuse';

/** The path every protected-location target serves without a certificate (the unprotected control). */
const UNPROTECTED_PATH = '/';

const TLS_OF: Readonly<Record<LateMechanism, '1.2' | '1.3'>> = {
  'post-handshake-auth': '1.3',
  renegotiation: '1.2',
};

const ANSWERS: Readonly<Record<LateMechanism, readonly LateAnswer[]>> = {
  'post-handshake-auth': ['identity', 'not-offered'],
  renegotiation: ['identity', 'refuse'],
};

/** One probe and its wall time. */
interface Timed {
  readonly result: WireResult;
  readonly duration: number;
}

/** The HTTP request for a path, sent right after the handshake. */
function request(path: string, host: string): Uint8Array {
  return Buffer.from(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
}

/** The wire options of the answer after the handshake. */
function lateOptions(
  mechanism: LateMechanism,
  answer: LateAnswer,
  identity: { readonly chainPem: string; readonly keyPem: string } | undefined,
  mutation: string | undefined,
): Partial<WireProbeOptions> {
  const late = { ...(identity ?? {}), ...(mutation ? { mutation } : {}) };
  if (mechanism === 'post-handshake-auth')
    return { postHandshakeAuth: answer === 'not-offered' ? { offer: false } : late };
  return { renegotiation: answer === 'refuse' ? { answer: 'refuse' } : { answer: 'accept', ...late } };
}

/** Whether the server asked for an identity after the handshake. */
function asked(mechanism: LateMechanism, result: WireResult): boolean {
  return mechanism === 'post-handshake-auth'
    ? (result.postHandshakeAuth?.exchanges.length ?? 0) > 0
    : (result.renegotiation?.helloRequests ?? 0) > 0;
}

/** What was asked and answered, in words: `post-handshake CertificateRequest answered with 'expired'`. */
function conversation(mechanism: LateMechanism, answer: LateAnswer, fixture: string | null, r: WireResult): string {
  const identity = fixture ? `'${fixture}'` : 'an empty Certificate';
  if (mechanism === 'post-handshake-auth') {
    const n = r.postHandshakeAuth?.exchanges.length ?? 0;
    if (answer === 'not-offered')
      return n
        ? `post_handshake_auth not offered, yet the server sent ${n} post-handshake CertificateRequest${n > 1 ? 's' : ''}`
        : 'post_handshake_auth not offered; the server sent no CertificateRequest after the handshake';
    return n
      ? `post-handshake CertificateRequest answered with ${identity}`
      : 'the server sent no CertificateRequest after the handshake';
  }
  const reneg = r.renegotiation;
  if (!reneg || reneg.helloRequests === 0) return 'the server sent no HelloRequest';
  if (answer === 'refuse') return 'HelloRequest refused with a no_renegotiation warning';
  if (reneg.answeredBeforeServerHello)
    return `HelloRequest answered with a renegotiation to present ${identity}, but the server answered before its renegotiated ServerHello, without the certificate it asked for`;
  const requested = reneg.certificateRequest ? '' : ', which asked for no certificate';
  return `renegotiated${requested} to present ${identity}${reneg.completed ? '' : ' (not completed)'}`;
}

/** What the server did with the protected resource, in words. */
function decision(o: Observation): string {
  return o.outcome === 'accepted' ? `the protected resource was served: ${describe(o)}` : `refused: ${describe(o)}`;
}

/** A control from a shared probe. */
function control(
  ctx: ProcedureContext,
  mechanism: LateMechanism | 'handshake',
  path: string,
  fixture: string,
  probe: Timed,
): ControlResult {
  const family = `${mechanism}@${path}`;
  const observed = probe.result.observation;
  return {
    id: `control:${ctx.scenario.policy}:wire:${ctx.tls}:${ctx.mode}:${ctx.servername}:${family}:${fixture}`,
    policy: ctx.scenario.policy,
    backend: 'wire',
    tls: ctx.tls,
    probe: ctx.mode,
    servername: ctx.servername,
    family,
    fixture,
    observed,
    accepted: observed.outcome === 'accepted',
    duration: probe.duration,
  };
}

/** Runs one scenario of either mechanism. */
async function lateAuthentication(
  ctx: ProcedureContext,
  mechanism: LateMechanism,
): Promise<ProcedureOutcome | ProcedureSkip> {
  const scenario = ctx.scenario;
  const params = scenario.procedure?.params ?? {};
  const answer = (params['answer'] ?? 'identity') as LateAnswer;
  const mutation = typeof params['mutation'] === 'string' ? params['mutation'] : undefined;
  if (!ANSWERS[mechanism].includes(answer))
    throw new Error(`scenario ${scenario.id}: procedure '${mechanism}' has no answer '${String(answer)}'`);
  if (ctx.tls !== TLS_OF[mechanism])
    return { skip: { kind: 'client', detail: `${mechanism} is a TLS ${TLS_OF[mechanism]} mechanism` } };
  const loc: ProtectedLocation | undefined = ctx.target.protectedLocation;
  if (!loc)
    return {
      skip: {
        kind: 'capability',
        detail: `target '${ctx.target.name}' names no location protected after the handshake`,
      },
    };
  const unsupported = loc.unsupported?.[ctx.tls];
  if (unsupported)
    return {
      skip: {
        kind: 'capability',
        detail: `target '${ctx.target.name}' lacks 'per-location-auth' in TLS ${ctx.tls}: ${unsupported}`,
      },
    };

  const where = `${loc.endpoint.host}:${loc.endpoint.port}`;
  const probe = (path: string, late: Partial<WireProbeOptions>) => async (): Promise<Timed> => {
    const t0 = performance.now();
    const result = await ctx.wire({
      host: loc.endpoint.host,
      port: loc.endpoint.port,
      appData: request(path, ctx.servername),
      ...late,
    });
    return { result, duration: Math.round(performance.now() - t0) };
  };
  const identityOf = (id: string) => {
    const f = ctx.fixtures.fixture(id);
    return { chainPem: ctx.read(f.chain), keyPem: ctx.read(f.key) };
  };
  const key = (path: string, who: string) =>
    `${mechanism}|${scenario.policy}|${ctx.tls}|${where}|${ctx.servername}|${ctx.mode}|${path}|${who}`;
  // NOTE: one measurement is the `*-valid` scenario and the positive control of the others on the same path.
  const validProbe = () =>
    ctx.once(
      key(loc.path, 'valid'),
      probe(loc.path, lateOptions(mechanism, 'identity', identityOf('valid'), undefined)),
    );
  const unprotectedProbe = () =>
    ctx.once(
      key(UNPROTECTED_PATH, 'none'),
      probe(UNPROTECTED_PATH, lateOptions(mechanism, 'identity', undefined, undefined)),
    );

  // NOTE: the `*-valid` scenario cannot be its own control; it rests on the same identity sent in a handshake (the
  // target's own endpoint, which asks for it under the optional policy): a client that cannot sign is caught there.
  const handshakeProbe = () =>
    ctx.once(
      `handshake|${scenario.policy}|${ctx.tls}|${ctx.servername}|${ctx.mode}|valid`,
      async (): Promise<Timed> => {
        const t0 = performance.now();
        const result = await ctx.wire({ ...identityOf('valid'), appData: request(UNPROTECTED_PATH, ctx.servername) });
        return { result, duration: Math.round(performance.now() - t0) };
      },
    );

  const isValidControl = answer === 'identity' && scenario.fixture === 'valid' && !mutation;
  const own = isValidControl
    ? await validProbe()
    : await probe(
        loc.path,
        lateOptions(mechanism, answer, scenario.fixture ? identityOf(scenario.fixture) : undefined, mutation),
      )();
  if (ctx.signal?.aborted)
    return { skip: { kind: 'interrupted', detail: 'not run: the run was interrupted before its controls' } };
  const controls = [
    isValidControl
      ? control(ctx, 'handshake', UNPROTECTED_PATH, 'valid', await handshakeProbe())
      : control(ctx, mechanism, loc.path, 'valid', await validProbe()),
    control(ctx, mechanism, UNPROTECTED_PATH, 'none', await unprotectedProbe()),
  ];

  const r = own.result;
  const wasAsked = asked(mechanism, r);
  // The identity reaches a renegotiating server only when the renegotiated handshake asks for a certificate.
  const presented =
    wasAsked &&
    (mechanism !== 'renegotiation' || answer === 'refuse' || r.renegotiation?.certificateRequest !== undefined);
  let observation: ClientObservation = assess('wire', r.observation, 'post-handshake', ctx.tls);
  const refusal = observation.evidence === 'conclusive-rejection' || observation.evidence === 'inconclusive-rejection';
  // NOTE: the identity (or the refusal to renegotiate) is presented only when the server asks; a server that refused
  // without asking decided about something else (RFC 8446 §4.6.2, RFC 5246 §7.4.1.1).
  if (refusal && !presented && answer !== 'not-offered') {
    observation = {
      ...observation,
      evidence: 'early-rejection',
      note: `${describe(r.observation)}, but ${
        wasAsked ? 'the renegotiated handshake asked for no certificate' : 'the server never asked after the handshake'
      }: not a decision about what the client would have answered`,
    };
  }
  const violation =
    answer === 'not-offered' && wasAsked
      ? 'the server sent a post-handshake CertificateRequest to a client that did not offer post_handshake_auth (RFC 8446 §4.6.2: it MUST NOT)'
      : undefined;
  const finding = `${mechanism} on ${loc.path}: ${conversation(mechanism, answer, scenario.fixture, r)}; ${decision(r.observation)}`;
  return { observations: [observation], controls, finding, ...(violation ? { violation } : {}) };
}

registerProcedure('post-handshake-auth', (ctx) => lateAuthentication(ctx, 'post-handshake-auth'));
registerProcedure('renegotiation', (ctx) => lateAuthentication(ctx, 'renegotiation'));
