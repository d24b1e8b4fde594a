/**
 * The wire engine's side of a load worker: the parameters of each connection loop, built once (identities prepared,
 * ClientHello constants encoded, one chain cache per worker), and the handshake entry point the worker calls.
 */
import { appendFileSync } from 'node:fs';
import net from 'node:net';
import { ALERTS, type AlertName } from '../../core/alerts.js';
import type { Observation } from '../../core/result.js';
import { CipherSuite, NamedGroup } from '../../wire/constants.js';
import { OFFERED_SCHEMES } from '../../wire/crypto.js';
import { proofRequest, type HandshakeOutcome, type HeldSession } from '../handshake.js';
import type { WorkerSpec } from '../protocol.js';
import { wireHandshake, wireParams, type WireParams } from './client.js';
import { lookupGroup, lookupSigalg, lookupSuite } from './names.js';
import { ChainCache, prepareIdentity, type PreparedIdentity } from './prepared.js';

/** Default offers, in OpenSSL's default preference (so both engines negotiate the same by default). */
// NOTE: P-384 and P-521 are offered too: in TLS 1.2 a server checks that the curve of an ECDSA certificate (the
// client's, the server's) is among the client's supported_groups (RFC 8422 §5.1), as OpenSSL's default list allows.
const DEFAULT_GROUPS = [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1, 0x0019];
const DEFAULT_SUITES: Record<'1.2' | '1.3', readonly number[]> = {
  '1.3': [
    CipherSuite.TLS_AES_256_GCM_SHA384,
    CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
    CipherSuite.TLS_AES_128_GCM_SHA256,
  ],
  '1.2': [
    CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
  ],
};

/** The wire engine of one worker. */
export interface WireLoops {
  /** One handshake of loop `j` (the contract of load/handshake.ts's `handshake`). */
  handshake(
    j: number,
    offered: HeldSession | undefined,
    wantSessionMs: number,
    done: (o: HandshakeOutcome) => void,
  ): void;
  /** The worker's server chain cache (its counters tell how often a chain was verified). */
  readonly cache: ChainCache;
  /** Destroys sockets still lingering after close_notify. */
  destroyLingering(): void;
}

/** What {@link wireLoops} reads of a worker's spec. */
export type WireSpec = Pick<
  WorkerSpec,
  | 'host'
  | 'port'
  | 'servername'
  | 'groups'
  | 'ciphers'
  | 'sigalgs'
  | 'trustPem'
  | 'identities'
  | 'connections'
  | 'loopOffset'
  | 'timeoutMs'
  | 'proof'
> & { readonly tls: '1.2' | '1.3' };

/** Builds the wire engine of a worker from its spec: everything per identity and per loop is prepared here. */
export function wireLoops(s: WireSpec, request: Buffer): WireLoops {
  const tls = s.tls;
  const tls13 = tls === '1.3';
  const ip = net.isIP(s.servername) !== 0;
  const groups = s.groups ? [...new Set(s.groups.map((g) => lookupGroup(g)!.code))] : DEFAULT_GROUPS;
  const suites = s.ciphers
    ? s.ciphers
        .map((c) => lookupSuite(c)!)
        .filter((c) => c.tls === tls)
        .map((c) => c.code)
    : DEFAULT_SUITES[tls];
  const sigalgs = s.sigalgs ? s.sigalgs.map((a) => lookupSigalg(a)!.code) : null;
  const cache = new ChainCache(s.trustPem, s.servername);
  const lingering = new Set<net.Socket>();
  // NOTE: SSLKEYLOGFILE (NSS key log format), as curl and browsers honour it: Wireshark decrypts the load, and tests
  // compare the secrets with the server's own key log. Read when the worker starts; unset, nothing is written.
  const keylogFile = process.env.SSLKEYLOGFILE;
  const keylog = keylogFile ? (line: string) => appendFileSync(keylogFile, line, { mode: 0o600 }) : undefined;
  const prepared = new Map<number, PreparedIdentity>();
  const params: WireParams[] = [];
  for (let j = 0; j < s.connections; j++) {
    const id = (s.loopOffset + j) % s.identities.length;
    let identity = prepared.get(id);
    if (!identity) {
      const pem = s.identities[id]!;
      identity = prepareIdentity(pem.chainPem, pem.keyPem, tls, sigalgs);
      prepared.set(id, identity);
    }
    params.push(
      wireParams({
        host: s.host,
        port: s.port,
        servername: ip ? undefined : s.servername,
        tls13,
        groups,
        suites,
        sigalgs: sigalgs ?? OFFERED_SCHEMES,
        identity,
        cache,
        timeoutMs: s.timeoutMs,
        proof: s.proof,
        request,
        lingering,
        keylog,
      }),
    );
  }
  return {
    cache,
    handshake: (j, offered, wantSessionMs, done) => wireHandshake(params[j]!, offered?.wire, wantSessionMs, done),
    destroyLingering() {
      for (const sock of lingering) sock.destroy();
      lingering.clear();
    },
  };
}

/** The {@link Observation} of one wire handshake's outcome (a probe's terms: outcome, alert, HTTP status, error). */
export function wireObservation(o: HandshakeOutcome): Observation {
  const base = {
    step: null,
    handshakeCompleted: o.handshakeCompleted,
    probe: 'wire' as const,
    backend: 'wire' as const,
  };
  const cls = o.cls ?? '';
  if (o.result === 'accepted') return { ...base, outcome: 'accepted', ...(o.status ? { httpStatus: o.status } : {}) };
  if (o.result === 'rejected') {
    if (cls.startsWith('alert:')) {
      const name = cls.slice(6);
      const known = name in ALERTS;
      const alert = known
        ? { name: name as AlertName, code: ALERTS[name as AlertName] }
        : { name: 'unknown' as const, code: Number(name) };
      return { ...base, outcome: 'rejected-alert', alert };
    }
    if (cls.startsWith('http:')) return { ...base, outcome: 'rejected-http', httpStatus: Number(cls.slice(5)) };
    return { ...base, outcome: cls === 'reset' ? 'reset' : 'closed', detail: cls };
  }
  if (cls === 'timeout') return { ...base, outcome: 'timeout' };
  const kind =
    cls === 'refused' || cls === 'server-untrusted' || cls === 'protocol-version'
      ? cls
      : cls === 'other:not-tls'
        ? 'not-tls'
        : cls === 'other:ENOTFOUND' || cls === 'other:EAI_AGAIN'
          ? 'dns'
          : 'internal';
  return { ...base, outcome: 'error', error: { kind, message: cls }, detail: cls };
}

/**
 * One full handshake of the wire engine with the first identity, its acceptance proven as in the load (the sanity
 * probe of a run on the wire engine: the same client code as the measured handshakes).
 */
export function wireProbe(s: Omit<WireSpec, 'connections' | 'loopOffset'>): Promise<Observation> {
  const loops = wireLoops({ ...s, connections: 1, loopOffset: 0 }, proofRequest(s.proof, s.servername));
  return new Promise<Observation>((resolve) =>
    loops.handshake(0, undefined, 0, (o) => {
      loops.destroyLingering();
      resolve(wireObservation(o));
    }),
  );
}
