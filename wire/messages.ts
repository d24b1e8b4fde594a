/**
 * Handshake message codecs (RFC 8446 §4, RFC 5246 §7.4, RFC 8422 §5). Decoders take a peer's bytes and throw
 * DecodeError on anything malformed; encoders build exactly what they are told, so mutations can build wrong
 * messages on purpose.
 */
import 'reflect-metadata';
import { Name } from '@peculiar/x509';
import { concat, DecodeError, Reader, toHex, uint, vec } from './bytes.js';
import {
  ExtensionType,
  groupName,
  HandshakeType,
  NamedGroup,
  ProtocolVersion,
  schemeName,
  suiteName,
} from './constants.js';
import { digest } from './keyschedule.js';
import { handshakeMessage } from './record.js';

/** An extension as carried on the wire. */
export interface Extension {
  readonly type: number;
  readonly data: Uint8Array;
}

/** Encodes an extension list (vector with a 2-byte length). */
export function encodeExtensions(exts: readonly Extension[]): Uint8Array {
  return vec(2, concat(...exts.map((e) => concat(uint(e.type, 2), vec(2, e.data)))));
}

/** Decodes an extension list; duplicates are a decode failure (RFC 8446 §4.2). */
export function decodeExtensions(r: Reader): Extension[] {
  const list = new Reader(r.vec(2), `${r.what} extensions`);
  const out: Extension[] = [];
  const seen = new Set<number>();
  while (list.remaining) {
    const type = list.uint(2);
    if (seen.has(type)) throw new DecodeError(`${r.what}: duplicate extension ${type}`);
    seen.add(type);
    out.push({ type, data: list.vec(2) });
  }
  return out;
}

function findExt(exts: readonly Extension[], type: number): Uint8Array | undefined {
  return exts.find((e) => e.type === type)?.data;
}

function u16List(data: Uint8Array, what: string): number[] {
  const r = new Reader(data, what);
  const inner = new Reader(r.vec(2), what);
  r.end();
  const out: number[] = [];
  if (inner.remaining % 2) throw new DecodeError(`${what}: odd length`);
  while (inner.remaining) out.push(inner.uint(2));
  return out;
}

/** A key share offered in the ClientHello. */
export interface KeyShareEntry {
  readonly group: number;
  readonly key: Uint8Array;
}

/** What goes into a ClientHello. */
export interface ClientHelloParams {
  readonly version: '1.2' | '1.3';
  readonly random: Uint8Array;
  readonly sessionId: Uint8Array;
  readonly cipherSuites: readonly number[];
  readonly serverName?: string;
  readonly groups: readonly number[];
  readonly signatureAlgorithms: readonly number[];
  /** TLS 1.3 only. */
  readonly keyShares?: readonly KeyShareEntry[];
  /** TLS 1.3 HelloRetryRequest cookie to echo. */
  readonly cookie?: Uint8Array;
  /** TLS 1.2: offer the session_ticket extension with this ticket (empty = ask for one). */
  readonly sessionTicket?: Uint8Array;
  /**
   * TLS 1.2: the renegotiation_info payload (RFC 5746 §3.4–3.5): empty on an initial handshake (the default), the
   * client_verify_data of the previous handshake when renegotiating; null leaves the extension out.
   */
  readonly renegotiationInfo?: Uint8Array | null;
  /** TLS 1.3: offer post_handshake_auth (RFC 8446 §4.2.6), an empty extension. */
  readonly postHandshakeAuth?: boolean;
  /** TLS 1.3: pre_shared_key, always last; a zero binder the caller overwrites (the binders are the last {@link pskBindersLength} bytes). */
  readonly psk?: { readonly identity: Uint8Array; readonly obfuscatedAge: number; readonly binderLength: number };
}

/** Builds a ClientHello handshake message (header included). */
export function encodeClientHello(p: ClientHelloParams): Uint8Array {
  const exts: Extension[] = [];
  // NOTE: RFC 6066 §3 — literal IP addresses are not permitted in server_name.
  if (p.serverName && !/^[\d.]+$|:/.test(p.serverName)) {
    const host = new TextEncoder().encode(p.serverName);
    exts.push({ type: ExtensionType.serverName, data: vec(2, concat(Uint8Array.of(0), vec(2, host))) });
  }
  exts.push({ type: ExtensionType.supportedGroups, data: vec(2, concat(...p.groups.map((g) => uint(g, 2)))) });
  exts.push({
    type: ExtensionType.signatureAlgorithms,
    data: vec(2, concat(...p.signatureAlgorithms.map((s) => uint(s, 2)))),
  });
  if (p.version === '1.3') {
    exts.push({ type: ExtensionType.supportedVersions, data: vec(1, uint(ProtocolVersion.tls13, 2)) });
    exts.push({
      type: ExtensionType.keyShare,
      data: vec(2, concat(...(p.keyShares ?? []).map((k) => concat(uint(k.group, 2), vec(2, k.key))))),
    });
    if (p.cookie) exts.push({ type: ExtensionType.cookie, data: vec(2, p.cookie) });
    // psk_dhe_ke only: we never resume without a fresh (EC)DHE share.
    exts.push({ type: ExtensionType.pskKeyExchangeModes, data: vec(1, Uint8Array.of(1)) });
    if (p.postHandshakeAuth) exts.push({ type: ExtensionType.postHandshakeAuth, data: new Uint8Array(0) });
  } else {
    exts.push({ type: ExtensionType.ecPointFormats, data: vec(1, Uint8Array.of(0)) });
    exts.push({ type: ExtensionType.extendedMasterSecret, data: new Uint8Array(0) });
    if (p.renegotiationInfo !== null)
      exts.push({ type: ExtensionType.renegotiationInfo, data: vec(1, p.renegotiationInfo ?? new Uint8Array(0)) });
    if (p.sessionTicket) exts.push({ type: ExtensionType.sessionTicket, data: p.sessionTicket });
  }
  if (p.version === '1.3' && p.psk) {
    const identities = vec(2, concat(vec(2, p.psk.identity), uint(p.psk.obfuscatedAge >>> 0, 4)));
    const binders = vec(2, vec(1, new Uint8Array(p.psk.binderLength)));
    exts.push({ type: ExtensionType.preSharedKey, data: concat(identities, binders) });
  }
  const body = concat(
    uint(ProtocolVersion.tls12, 2),
    p.random,
    vec(1, p.sessionId),
    vec(2, concat(...p.cipherSuites.map((s) => uint(s, 2)))),
    vec(1, Uint8Array.of(0)),
    encodeExtensions(exts),
  );
  return handshakeMessage(HandshakeType.clientHello, body);
}

/** Length of the binders list (with its 2-byte length) at the end of a ClientHello offering one PSK. */
export function pskBindersLength(binderLength: number): number {
  return 2 + 1 + binderLength;
}

/** The SHA-256 of "HelloRetryRequest": the ServerHello.random of a HelloRetryRequest (RFC 8446 §4.1.3). */
export const HRR_RANDOM = digest('sha256', new TextEncoder().encode('HelloRetryRequest'));

/** A decoded ServerHello (or HelloRetryRequest). */
export interface ServerHello {
  readonly legacyVersion: number;
  readonly random: Uint8Array;
  readonly sessionId: Uint8Array;
  readonly cipherSuite: number;
  readonly compression: number;
  readonly extensions: readonly Extension[];
  /** supported_versions selection, if present. */
  readonly selectedVersion?: number;
  /** key_share: the server's share (ServerHello) or the selected group (HRR). */
  readonly keyShare?: { readonly group: number; readonly key?: Uint8Array };
  readonly cookie?: Uint8Array;
  readonly isHelloRetryRequest: boolean;
  readonly extendedMasterSecret: boolean;
  readonly renegotiationInfo?: Uint8Array;
  readonly preSharedKey?: number;
}

/** Decodes a ServerHello body. */
export function decodeServerHello(body: Uint8Array): ServerHello {
  const r = new Reader(body, 'ServerHello');
  const legacyVersion = r.uint(2);
  const random = r.bytes(32);
  const sessionId = r.vec(1);
  if (sessionId.length > 32) throw new DecodeError('ServerHello: session id longer than 32');
  const cipherSuite = r.uint(2);
  const compression = r.uint(1);
  const extensions = r.remaining ? decodeExtensions(r) : [];
  r.end();
  const isHelloRetryRequest = Buffer.from(random).equals(Buffer.from(HRR_RANDOM));
  let selectedVersion: number | undefined;
  const sv = findExt(extensions, ExtensionType.supportedVersions);
  if (sv) {
    const sr = new Reader(sv, 'supported_versions');
    selectedVersion = sr.uint(2);
    sr.end();
  }
  let keyShare: ServerHello['keyShare'];
  const ks = findExt(extensions, ExtensionType.keyShare);
  if (ks) {
    const kr = new Reader(ks, 'key_share');
    const group = kr.uint(2);
    keyShare = isHelloRetryRequest ? { group } : { group, key: kr.vec(2) };
    kr.end();
  }
  let cookie: Uint8Array | undefined;
  const ck = findExt(extensions, ExtensionType.cookie);
  if (ck) {
    const cr = new Reader(ck, 'cookie');
    cookie = cr.vec(2);
    cr.end();
  }
  let renegotiationInfo: Uint8Array | undefined;
  const ri = findExt(extensions, ExtensionType.renegotiationInfo);
  if (ri) {
    const rr = new Reader(ri, 'renegotiation_info');
    renegotiationInfo = rr.vec(1);
    rr.end();
  }
  const psk = findExt(extensions, ExtensionType.preSharedKey);
  return {
    legacyVersion,
    random,
    sessionId,
    cipherSuite,
    compression,
    extensions,
    ...(selectedVersion !== undefined ? { selectedVersion } : {}),
    ...(keyShare ? { keyShare } : {}),
    ...(cookie ? { cookie } : {}),
    isHelloRetryRequest,
    extendedMasterSecret: findExt(extensions, ExtensionType.extendedMasterSecret) !== undefined,
    ...(renegotiationInfo ? { renegotiationInfo } : {}),
    ...(psk ? { preSharedKey: new Reader(psk, 'pre_shared_key').uint(2) } : {}),
  };
}

/** Prints a DER DistinguishedName, falling back to hex when it does not parse. */
export function printDn(der: Uint8Array): string {
  try {
    return new Name(new Uint8Array(der)).toString();
  } catch {
    return `unparseable DN ${toHex(der)}`;
  }
}

/** The names of a DistinguishedName list, and the bytes of the encoded names. */
function decodeCaList(data: Uint8Array, what: string): { names: string[]; bytes: number } {
  const r = new Reader(data, what);
  const list = new Reader(r.vec(2), what);
  r.end();
  return namesOf(list);
}

function namesOf(list: Reader): { names: string[]; bytes: number } {
  const names: string[] = [];
  let bytes = 0;
  while (list.remaining) {
    const dn = list.vec(2);
    bytes += dn.length;
    names.push(printDn(dn));
  }
  return { names, bytes };
}

/** A decoded CertificateRequest of either version. */
export interface CertificateRequest {
  /** TLS 1.3 certificate_request_context (hex), '' in TLS 1.2. */
  readonly context: Uint8Array;
  readonly signatureAlgorithms: readonly number[];
  readonly certificateAuthorities: readonly string[];
  /** Bytes of the encoded distinguished names (0 when there are none). */
  readonly certificateAuthoritiesBytes?: number;
  /** TLS 1.2 certificate_types. */
  readonly certificateTypes?: readonly number[];
  /** TLS 1.3 extension types present. */
  readonly extensionTypes?: readonly number[];
}

/** Decodes a TLS 1.3 CertificateRequest (RFC 8446 §4.3.2). */
export function decodeCertificateRequest13(body: Uint8Array): CertificateRequest {
  const r = new Reader(body, 'CertificateRequest');
  const context = r.vec(1);
  const exts = decodeExtensions(r);
  r.end();
  const sa = findExt(exts, ExtensionType.signatureAlgorithms);
  // NOTE: RFC 8446 §4.3.2 — signature_algorithms MUST be present.
  if (!sa) throw new DecodeError('CertificateRequest: no signature_algorithms (missing_extension)');
  const ca = findExt(exts, ExtensionType.certificateAuthorities);
  const cas = ca ? decodeCaList(ca, 'certificate_authorities') : { names: [], bytes: 0 };
  return {
    context,
    signatureAlgorithms: u16List(sa, 'signature_algorithms'),
    certificateAuthorities: cas.names,
    certificateAuthoritiesBytes: cas.bytes,
    extensionTypes: exts.map((e) => e.type),
  };
}

/** Decodes a TLS 1.2 CertificateRequest (RFC 5246 §7.4.4). */
export function decodeCertificateRequest12(body: Uint8Array): CertificateRequest {
  const r = new Reader(body, 'CertificateRequest');
  const types = [...r.vec(1)];
  const algs = new Reader(r.vec(2), 'supported_signature_algorithms');
  const signatureAlgorithms: number[] = [];
  while (algs.remaining) signatureAlgorithms.push(algs.uint(2));
  const list = new Reader(r.vec(2), 'certificate_authorities');
  r.end();
  const cas = namesOf(list);
  return {
    context: new Uint8Array(0),
    signatureAlgorithms,
    certificateAuthorities: cas.names,
    certificateAuthoritiesBytes: cas.bytes,
    certificateTypes: types,
  };
}

/** A certificate entry. */
export interface CertificateEntry {
  readonly der: Uint8Array;
  readonly extensions?: Uint8Array;
}

/** Decodes a TLS 1.3 Certificate (RFC 8446 §4.4.2). */
export function decodeCertificate13(body: Uint8Array): { context: Uint8Array; entries: CertificateEntry[] } {
  const r = new Reader(body, 'Certificate');
  const context = r.vec(1);
  const list = new Reader(r.vec(3), 'certificate_list');
  r.end();
  const entries: CertificateEntry[] = [];
  while (list.remaining) entries.push({ der: list.vec(3), extensions: list.vec(2) });
  return { context, entries };
}

/** Decodes a TLS 1.2 Certificate (RFC 5246 §7.4.2). */
export function decodeCertificate12(body: Uint8Array): { entries: CertificateEntry[] } {
  const r = new Reader(body, 'Certificate');
  const list = new Reader(r.vec(3), 'certificate_list');
  r.end();
  const entries: CertificateEntry[] = [];
  while (list.remaining) entries.push({ der: list.vec(3) });
  return { entries };
}

/** Knobs for building a deliberately wrong Certificate message. */
export interface CertificateEncoding {
  /** Added to the certificate_list length field (inconsistent length). */
  readonly listLengthDelta?: number;
  /** Bytes appended after the certificate_list (inside the message). */
  readonly trailing?: Uint8Array;
}

/** Encodes a TLS 1.3 Certificate body. */
export function encodeCertificate13(
  context: Uint8Array,
  entries: readonly CertificateEntry[],
  enc: CertificateEncoding = {},
): Uint8Array {
  const list = concat(
    ...entries.map((e) => concat(vec(3, e.der), e.extensions ? e.extensions : vec(2, new Uint8Array(0)))),
  );
  return concat(
    vec(1, context),
    uint(list.length + (enc.listLengthDelta ?? 0), 3),
    list,
    enc.trailing ?? new Uint8Array(0),
  );
}

/** Encodes a TLS 1.2 Certificate body. */
export function encodeCertificate12(entries: readonly CertificateEntry[], enc: CertificateEncoding = {}): Uint8Array {
  const list = concat(...entries.map((e) => vec(3, e.der)));
  return concat(uint(list.length + (enc.listLengthDelta ?? 0), 3), list, enc.trailing ?? new Uint8Array(0));
}

/** Decodes a CertificateVerify (RFC 8446 §4.4.3, RFC 5246 §7.4.8 with TLS 1.2 signature algorithms). */
export function decodeCertificateVerify(body: Uint8Array): { scheme: number; signature: Uint8Array } {
  const r = new Reader(body, 'CertificateVerify');
  const scheme = r.uint(2);
  const signature = r.vec(2);
  r.end();
  return { scheme, signature };
}

/** Encodes a CertificateVerify body. */
export function encodeCertificateVerify(scheme: number, signature: Uint8Array): Uint8Array {
  return concat(uint(scheme, 2), vec(2, signature));
}

/** Decoded ECDHE ServerKeyExchange (RFC 8422 §5.4). */
export interface ServerKeyExchange {
  readonly group: number;
  readonly point: Uint8Array;
  /** The signed ServerECDHParams bytes. */
  readonly params: Uint8Array;
  readonly scheme: number;
  readonly signature: Uint8Array;
}

/** Decodes an ECDHE ServerKeyExchange. */
export function decodeServerKeyExchange(body: Uint8Array): ServerKeyExchange {
  const r = new Reader(body, 'ServerKeyExchange');
  const curveType = r.uint(1);
  if (curveType !== 3) throw new DecodeError(`ServerKeyExchange: curve_type ${curveType} is not named_curve`);
  const group = r.uint(2);
  const point = r.vec(1);
  const params = body.subarray(0, r.offset);
  const scheme = r.uint(2);
  const signature = r.vec(2);
  r.end();
  return { group, point, params, scheme, signature };
}

/** Decoded NewSessionTicket of either version. */
export interface NewSessionTicket {
  readonly lifetime: number;
  readonly ageAdd: number;
  readonly nonce: Uint8Array;
  readonly ticket: Uint8Array;
}

/** Decodes a TLS 1.3 NewSessionTicket (RFC 8446 §4.6.1). */
export function decodeNewSessionTicket13(body: Uint8Array): NewSessionTicket {
  const r = new Reader(body, 'NewSessionTicket');
  const lifetime = r.uint(4);
  const ageAdd = r.uint(4);
  const nonce = r.vec(1);
  const ticket = r.vec(2);
  decodeExtensions(r);
  r.end();
  return { lifetime, ageAdd, nonce, ticket };
}

/** Decodes a TLS 1.2 NewSessionTicket (RFC 5077 §3.3). */
export function decodeNewSessionTicket12(body: Uint8Array): NewSessionTicket {
  const r = new Reader(body, 'NewSessionTicket');
  const lifetime = r.uint(4);
  const ticket = r.vec(2);
  r.end();
  return { lifetime, ageAdd: 0, nonce: new Uint8Array(0), ticket };
}

/** Human-readable fields of a handshake message, for the transcript. Never throws. */
export function describeHandshake(type: number, body: Uint8Array, version: '1.2' | '1.3'): Record<string, unknown> {
  try {
    switch (type) {
      case HandshakeType.serverHello: {
        const sh = decodeServerHello(body);
        return {
          ...(sh.isHelloRetryRequest ? { helloRetryRequest: true } : {}),
          cipherSuite: suiteName(sh.cipherSuite),
          ...(sh.selectedVersion ? { selectedVersion: `0x${sh.selectedVersion.toString(16)}` } : {}),
          ...(sh.keyShare ? { keyShareGroup: groupName(sh.keyShare.group) } : {}),
          extensions: sh.extensions.map((e) => e.type),
          ...(version === '1.2' ? { extendedMasterSecret: sh.extendedMasterSecret } : {}),
          ...(sh.preSharedKey !== undefined ? { preSharedKey: sh.preSharedKey } : {}),
        };
      }
      case HandshakeType.encryptedExtensions: {
        const r = new Reader(body, 'EncryptedExtensions');
        return { extensions: decodeExtensions(r).map((e) => e.type) };
      }
      case HandshakeType.certificateRequest: {
        const cr = version === '1.3' ? decodeCertificateRequest13(body) : decodeCertificateRequest12(body);
        return {
          context: toHex(cr.context),
          signatureAlgorithms: cr.signatureAlgorithms.map(schemeName),
          certificateAuthorities: cr.certificateAuthorities,
          ...(cr.certificateTypes ? { certificateTypes: cr.certificateTypes } : {}),
        };
      }
      case HandshakeType.certificate: {
        const c = version === '1.3' ? decodeCertificate13(body) : decodeCertificate12(body);
        return {
          ...('context' in c && c.context instanceof Uint8Array ? { context: toHex(c.context) } : {}),
          entries: c.entries.length,
          entryLengths: c.entries.map((e) => e.der.length),
        };
      }
      case HandshakeType.certificateVerify: {
        const cv = decodeCertificateVerify(body);
        return { scheme: schemeName(cv.scheme), signatureLength: cv.signature.length };
      }
      case HandshakeType.serverKeyExchange: {
        const ske = decodeServerKeyExchange(body);
        return { group: groupName(ske.group), scheme: schemeName(ske.scheme) };
      }
      case HandshakeType.finished:
        return { verifyData: toHex(body) };
      case HandshakeType.newSessionTicket: {
        const t = version === '1.3' ? decodeNewSessionTicket13(body) : decodeNewSessionTicket12(body);
        return { lifetime: t.lifetime, ticketLength: t.ticket.length };
      }
      case HandshakeType.keyUpdate:
        return { requestUpdate: body[0] === 1 };
      default:
        return {};
    }
  } catch (err) {
    return { undecodable: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * Groups we offer, in preference order. NOTE: secp521r1 is offered so that a TLS 1.2 server accepts a P-521 client
 * certificate: OpenSSL requires the curve of the client's ECDSA key to be among the client's supported_groups
 * (RFC 8422 §5.1.1).
 */
export const OFFERED_GROUPS: readonly number[] = [
  NamedGroup.x25519,
  NamedGroup.secp256r1,
  NamedGroup.secp384r1,
  NamedGroup.secp521r1,
];
