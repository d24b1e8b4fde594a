/**
 * Session resumption (issue 12), procedure `resume`: make a session, change what the session's identity is worth,
 * resume it, and say what the server did. Params: `mechanism` (`session-id`: TLS 1.2, the client offers no ticket;
 * `ticket`: TLS 1.2 RFC 5077; `psk`: TLS 1.3) and `case`:
 *
 * - `resume-no-certificate`: the session is made with the valid fixture on the target's own endpoint and name;
 * - `resume-cross-sni`: without a certificate, on the target's server name without client authentication
 *   (StartedTarget.resumption.sniNoAuth);
 * - `resume-optional-to-require`: without a certificate, on the optional endpoint sharing session state
 *   (StartedTarget.resumption.optionalEndpoint);
 * - `resume-after-revocation`: with a certificate issued for the scenario (fixtures-gen/issue.ts), answered `good` by
 *   the OCSP responder the server asks, which is then told (its loopback control) to answer `revoked`;
 * - `resume-after-expiry`: with a certificate issued for the scenario that expires a few seconds later; the client
 *   resumes once it has.
 *
 * The wire client then offers the session to the target's own endpoint and name, holding the session's certificate
 * (presented only if the server runs a full handshake and asks). Its result proves which happened: resumed (the
 * server took the session ID, ticket or PSK and its Finished verified under the session's keys) or not (a ServerHello
 * that starts a full handshake); a connection that ended before the ServerHello proves neither, and leaves the
 * scenario without a verdict.
 *
 * Controls: the handshake that made the session (it must be accepted and yield a session of the mechanism), and the
 * valid identity in a full handshake on the target's endpoint (shared per run). A refused control, or a failure to
 * set the scenario up (issuing the certificate, the OCSP control), makes the verdict an error, never a pass.
 */
import type { AlertName } from '../../core/alerts.js';
import type { ClientObservation, ControlResult, Observation } from '../../core/result.js';
import type { TlsVersion } from '../../core/scenario.js';
import { issueClientCertificate, type IssuedCertificate } from '../../fixtures-gen/issue.js';
import { setOcspStatus } from '../../fixtures-gen/ocsp-control.js';
import type { Endpoint, ResumptionMechanism } from '../../targets/target.js';
import type { Tls12Session, WireProbeOptions, WireResult } from '../../wire/index.js';
import { alertsFor, mechanism as describe } from '../classify.js';
import { assess } from '../evidence.js';
import { registerProcedure, type ProcedureContext, type ProcedureOutcome, type ProcedureSkip } from './index.js';

/** The cases of the topic (the scenario names). */
type Case =
  | 'resume-no-certificate'
  | 'resume-cross-sni'
  | 'resume-optional-to-require'
  | 'resume-after-revocation'
  | 'resume-after-expiry';

const CASES: readonly Case[] = [
  'resume-no-certificate',
  'resume-cross-sni',
  'resume-optional-to-require',
  'resume-after-revocation',
  'resume-after-expiry',
];

const TLS_OF: Readonly<Record<ResumptionMechanism, TlsVersion>> = { 'session-id': '1.2', ticket: '1.2', psk: '1.3' };

/** How a HOST:PORT target gets each shape, for the skip reasons. */
const HINT = {
  sni: 'pass --sni-no-auth NAME, a server name the server serves without client authentication sharing its session cache and ticket keys',
  optional:
    'pass --optional-endpoint HOST:PORT, an endpoint with the optional policy sharing its session cache and ticket keys',
  ocsp: "pass --ocsp-control URL, the loopback control of the fixtures' OCSP responder the server asks (mtls-harness ocsp prints it)",
} as const;

/** Where a connection goes. */
interface Place {
  readonly endpoint: Endpoint;
  readonly servername: string;
}

/** One probe and its wall time. */
interface Timed {
  readonly result: WireResult;
  readonly duration: number;
}

/** What the client holds: the session's certificate and key (none for a session made without one). */
type Identity = { readonly chainPem: string; readonly keyPem: string } | undefined;

/** The case's words for what honouring means. */
const HONOURS: Partial<Record<Case, string>> = {
  'resume-after-revocation': 'resumption honours revocation',
  'resume-after-expiry': 'resumption honours expiry',
};

/** An observation that says the procedure could not be set up: the verdict is an error. */
function setupFailure(message: string): ClientObservation {
  const observed: Observation = {
    outcome: 'error',
    step: null,
    handshakeCompleted: false,
    backend: 'wire',
    error: { kind: 'client-setup', message },
  };
  return { backend: 'wire', observed, evidence: 'no-decision', note: message };
}

/** The session the result holds for the mechanism, or why there is none. */
function sessionOf(
  mechanism: ResumptionMechanism,
  r: WireResult,
): { session: NonNullable<WireProbeOptions['resumeFrom']> } | { none: string; kind: 'capability' | 'client' } {
  if (mechanism === 'psk')
    return r.ticket
      ? { session: r.ticket }
      : {
          none: 'the server sent no NewSessionTicket after the TLS 1.3 handshake: it does not resume by PSK',
          kind: 'capability',
        };
  const s: Tls12Session | undefined = r.tls12Session;
  if (s && !s.ems)
    return {
      none: 'the TLS 1.2 session lacks the extended master secret, which the client does not resume (RFC 7627 §5.3)',
      kind: 'client',
    };
  if (mechanism === 'ticket')
    return s?.ticket?.length
      ? { session: s }
      : {
          none: 'the server issued no TLS 1.2 session ticket (RFC 5077): it does not resume by ticket',
          kind: 'capability',
        };
  return s?.sessionId.length
    ? { session: { ...s, ticket: undefined, ticketLifetimeSeconds: undefined } }
    : {
        none: 'the server gave no session ID to a client that offers no ticket: it does not resume by session ID',
        kind: 'capability',
      };
}

/** Resolves after `ms`, or at once when the run is interrupted. */
function waitUntil(at: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, Math.max(0, at - Date.now()));
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done);
  });
}

/** The CN of a DN string (`CN=x, O=y` or `/CN=x/O=y`), or undefined. */
function commonName(dn: string): string | undefined {
  return /CN=([^,/]+)/.exec(dn)?.[1]?.trim();
}

/**
 * The identity the server's answer names, when it names one: the `subject` of a JSON answer (the built-in server's
 * echo). `null`: named, as no certificate; undefined: the answer names none.
 */
function identityInAnswer(response: Uint8Array | undefined): string | null | undefined {
  if (!response) return undefined;
  const text = Buffer.from(response).toString('utf8');
  const body = text.slice(text.indexOf('\r\n\r\n') + 4);
  const match = /"subject"\s*:\s*(null|"((?:[^"\\]|\\.)*)")/.exec(body);
  if (!match) return undefined;
  return match[1] === 'null' ? null : (match[2] ?? '');
}

/** Runs one resumption scenario. */
async function resume(ctx: ProcedureContext): Promise<ProcedureOutcome | ProcedureSkip> {
  const scenario = ctx.scenario;
  const params = scenario.procedure?.params ?? {};
  const mechanism = params['mechanism'] as ResumptionMechanism;
  const which = params['case'] as Case;
  if (!(mechanism in TLS_OF))
    throw new Error(`scenario ${scenario.id}: resume has no mechanism '${String(mechanism)}'`);
  if (!CASES.includes(which)) throw new Error(`scenario ${scenario.id}: resume has no case '${String(which)}'`);
  if (ctx.tls !== TLS_OF[mechanism])
    return { skip: { kind: 'client', detail: `${mechanism} resumption is a TLS ${TLS_OF[mechanism]} mechanism` } };
  const shape = ctx.target.resumption;
  const name = ctx.target.name;
  const unsupported = shape?.unsupported?.[mechanism];
  if (unsupported)
    return { skip: { kind: 'capability', detail: `target '${name}' lacks ${mechanism} resumption: ${unsupported}` } };

  const here: Place = { endpoint: ctx.target.endpoint, servername: ctx.servername };
  let origin = here;
  let where = '';
  if (which === 'resume-cross-sni') {
    if (!shape?.sniNoAuth)
      return {
        skip: {
          kind: 'capability',
          detail: `target '${name}' lacks a server name without client authentication: ${HINT.sni}`,
        },
      };
    origin = shape.sniNoAuth;
    where = ` on ${origin.servername}, which asks for no certificate`;
  } else if (which === 'resume-optional-to-require') {
    if (!shape?.optionalEndpoint)
      return {
        skip: {
          kind: 'capability',
          detail: `target '${name}' lacks an optional endpoint sharing its sessions: ${HINT.optional}`,
        },
      };
    origin = { endpoint: shape.optionalEndpoint, servername: ctx.servername };
    where = ` on the optional endpoint ${origin.endpoint.host}:${origin.endpoint.port}`;
  }
  const control = shape?.ocspControl;
  if (which === 'resume-after-revocation' && !control)
    return { skip: { kind: 'capability', detail: `target '${name}' lacks an OCSP control: ${HINT.ocsp}` } };

  const request = (servername: string) =>
    ctx.mode === 'http'
      ? Buffer.from(`GET / HTTP/1.1\r\nHost: ${servername}\r\nConnection: close\r\n\r\n`)
      : Buffer.from('GET / HTTP/1.0\r\n\r\n');
  const probe = async (place: Place, o: Partial<WireProbeOptions>): Promise<Timed> => {
    const t0 = performance.now();
    const result = await ctx.wire({
      host: place.endpoint.host,
      port: place.endpoint.port,
      servername: place.servername,
      appData: request(place.servername),
      ...(mechanism === 'session-id' ? { sessionTickets: false } : {}),
      ...o,
    });
    return { result, duration: Math.round(performance.now() - t0) };
  };
  const controlOf = (family: string, place: Place, fixture: string, p: Timed): ControlResult => {
    const observed = p.result.observation;
    return {
      id: `control:${scenario.policy}:wire:${ctx.tls}:${ctx.mode}:${place.servername}:${family}:${fixture}`,
      policy: scenario.policy,
      backend: 'wire',
      tls: ctx.tls,
      probe: ctx.mode,
      servername: place.servername,
      family,
      fixture,
      observed,
      accepted: observed.outcome === 'accepted',
      duration: p.duration,
    };
  };
  const valid = ctx.fixtures.fixture('valid');
  const validIdentity = { chainPem: ctx.read(valid.chain), keyPem: ctx.read(valid.key) };

  // The session's identity.
  let identity: Identity;
  let issued: IssuedCertificate | undefined;
  try {
    if (which === 'resume-after-revocation') {
      issued = await issueClientCertificate(ctx.fixtures, { label: 'resume-revocation' });
      await setOcspStatus(control!, issued.serial, 'good', ctx.timeoutMs);
    } else if (which === 'resume-after-expiry') {
      // NOTE: long enough for the handshake that makes the session on a busy machine, short enough to wait for.
      issued = await issueClientCertificate(ctx.fixtures, {
        label: 'resume-expiry',
        notAfter: new Date(Date.now() + ctx.timeoutMs + 2000),
      });
      // A server that checks OCSP must find it good, or the session is never made.
      if (control) await setOcspStatus(control, issued.serial, 'good', ctx.timeoutMs);
    }
  } catch (err) {
    const why = `the scenario could not be set up: ${err instanceof Error ? err.message : String(err)}`;
    return { observations: [setupFailure(why)], controls: [], finding: why };
  }
  if (issued) identity = { chainPem: issued.chainPem, keyPem: issued.keyPem };
  else if (which === 'resume-no-certificate') identity = validIdentity;
  const label = issued ? `issued:${issued.serial}` : identity ? 'valid' : 'none';

  // 1. Make the session.
  const made = await probe(origin, identity ?? {});
  const family = `resume-${mechanism}-${which.replace(/^resume-/, '')}`;
  const madeControl = controlOf(family, origin, label, made);
  const controls: ControlResult[] = [madeControl];
  const makeWords = `a session made with ${
    issued ? `a certificate issued for the run (serial ${issued.serial})` : identity ? "'valid'" : 'no certificate'
  }${where}`;
  if (!madeControl.accepted) {
    const why = `${makeWords} was refused (${describe(made.result.observation)}): no session to resume`;
    return { observations: [setupFailure(why)], controls, finding: why };
  }
  const got = sessionOf(mechanism, made.result);
  if ('none' in got)
    return { skip: { kind: got.kind, detail: `target '${name}' lacks ${mechanism} resumption here: ${got.none}` } };

  // 2. Change what the identity is worth.
  if (which === 'resume-after-revocation') {
    try {
      await setOcspStatus(control!, issued!.serial, 'revoked', ctx.timeoutMs);
    } catch (err) {
      const why = `the OCSP responder could not be told to answer revoked: ${err instanceof Error ? err.message : String(err)}`;
      return { observations: [setupFailure(why)], controls, finding: why };
    }
  } else if (which === 'resume-after-expiry') {
    // NOTE: a state, not a delay: the certificate's notAfter (whole seconds), plus a second for the server's clock.
    await waitUntil(issued!.notAfter.getTime() + 1500, ctx.signal);
  }
  if (ctx.signal?.aborted) return { skip: { kind: 'interrupted', detail: 'not run: the run was interrupted' } };

  // 3. Resume where a certificate is required, holding the session's certificate.
  const again = await probe(here, { ...(identity ?? {}), resumeFrom: got.session });
  // The valid identity accepted in a full handshake where the session is offered: a refusal is about the session.
  if (which !== 'resume-no-certificate') {
    const positive = await ctx.once(
      `resume-valid|${scenario.policy}|${ctx.tls}|${mechanism}|${here.endpoint.host}:${here.endpoint.port}|${here.servername}|${ctx.mode}`,
      () => probe(here, validIdentity),
    );
    controls.push(controlOf(`resume-${mechanism}-full`, here, 'valid', positive));
  }

  const r = again.result;
  const serverHello = r.transcript.some((e) => e.dir === 'received' && e.type === 'ServerHello');
  // NOTE: the session is offered in the ClientHello: an alert the scenario counts as a refusal, sent in answer to it,
  // is the server refusing the session (Go's crypto/tls answers an expired session's PSK with bad_certificate).
  const alert = r.observation.outcome === 'rejected-alert' ? r.observation.alert?.name : undefined;
  const refusedHello =
    !serverHello && alert !== undefined && alertsFor(scenario.expect, ctx.tls).includes(alert as AlertName);
  const how = mechanism === 'psk' ? 'TLS 1.3 PSK' : `TLS 1.2 ${mechanism === 'ticket' ? 'ticket' : 'session ID'}`;
  const decided = r.observation.outcome === 'accepted' ? 'served' : `refused: ${describe(r.observation)}`;
  let what: string;
  if (r.resumed) what = `resumed without a certificate${afterWords(which)} (${how}), and ${decided}`;
  else if (serverHello)
    what = `not resumed: the server ran a full handshake ${
      r.certificateRequest ? 'with a CertificateRequest' : 'without a CertificateRequest'
    }${identity ? ` (the client presented its certificate${afterWords(which)})` : ''}, and ${decided}`;
  else if (refusedHello) what = `the ClientHello offering the session (${how}) was refused: ${describe(r.observation)}`;
  else what = `no ServerHello came back to the resumption (${describe(r.observation)}): whether it resumed is unknown`;
  let finding = `${makeWords}; ${what}`;
  const honours = HONOURS[which];
  if (honours && (serverHello || refusedHello))
    finding += `; ${honours}: ${
      r.observation.outcome === 'accepted'
        ? 'no'
        : r.resumed
          ? 'yes (the resumed session was refused)'
          : refusedHello
            ? 'yes (the session was refused)'
            : 'yes (no resumption)'
    }`;

  let observation = assess('wire', r.observation, 'client-hello', ctx.tls);
  if (refusedHello)
    observation = {
      ...observation,
      evidence: 'conclusive-rejection',
      note: `${describe(r.observation)}: the server refused the ClientHello that offered the session`,
    };
  else if (!serverHello && observation.evidence !== 'no-decision')
    observation = {
      ...observation,
      evidence: 'early-rejection',
      note: `${describe(r.observation)} before the ServerHello: not a decision about the session`,
    };

  let violation: string | undefined;
  if (which === 'resume-no-certificate') {
    // NOTE: the positive control must be a resumption: a server that never resumes proves nothing here.
    if (serverHello && !r.resumed)
      return {
        skip: {
          kind: 'capability',
          detail: `target '${name}' lacks ${mechanism} resumption here: it did not resume the ${how} session it issued (a full handshake), nothing to judge`,
        },
      };
    if (r.resumed && r.observation.outcome === 'accepted') {
      const seen = identityInAnswer(r.response);
      const original = commonName(valid.subject);
      if (seen === undefined) finding += '; the answer names no identity to compare with the original';
      else if (seen === null || commonName(seen) !== original)
        violation = `the resumed session was served as ${seen === null ? 'no certificate' : seen}, not as the identity that made it (CN=${original})`;
      else finding += `; served as the original identity (CN=${original})`;
    }
  }
  return { observations: [observation], controls, finding, ...(violation ? { violation } : {}) };
}

/** What had changed when the client resumed, in words. */
function afterWords(which: Case): string {
  if (which === 'resume-after-revocation') return ' after revocation';
  if (which === 'resume-after-expiry') return ' after expiry';
  return '';
}

registerProcedure('resume', resume);
