/**
 * OCSP responder failure modes (issue 13): each mode fixture carries an authorityInfoAccess URL whose last path
 * segment names what the responder does for it, e.g. `http://127.0.0.1:18888/ocsp/try-later`. The responder also
 * recognises the fixture by its serial, so a server configured with a fixed responder URL (nginx
 * `ssl_ocsp_responder`, Apache `SSLOCSPOverrideResponder`, stunnel `OCSP =`) meets the same behaviour.
 */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import type http from 'node:http';
import * as ocsp from '@peculiar/asn1-ocsp';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { OCSP_FAILURE_MODES, type Manifest, type OcspFailureMode } from '../core/manifest.js';
import { certIdKey, type OcspIndex, type OcspIssuer } from './ocsp.js';

/** What the responder does for a mode fixture (the manifest's contract, core/manifest.ts). */
export const OCSP_MODES = OCSP_FAILURE_MODES;
/** One responder failure mode. */
export type OcspMode = OcspFailureMode;

/** What each mode does, in words (manifest descriptions, README). */
export const OCSP_MODE_TEXT: Readonly<Record<OcspMode, string>> = {
  'try-later': 'the responder answers the OCSPResponseStatus tryLater (3), with no response bytes',
  unknown:
    'the responder answers a signed, current response with certStatus unknown (it does not know the certificate)',
  unauthorized: 'the responder answers the OCSPResponseStatus unauthorized (6), with no response bytes',
  'wrong-signer':
    "the responder answers a current 'good' whose responderID names the CA but which is signed by a key that is neither the CA's nor a delegated responder's",
  'other-serial':
    "the responder answers a current 'good' signed by the CA, for another serial number than the one asked about",
  stale: "the responder answers a 'good' signed by the CA whose nextUpdate was a day ago",
  future: "the responder answers a 'good' signed by the CA whose thisUpdate is a day ahead",
  'no-answer':
    'the responder reads the request and never answers (the connection stays open until the responder stops)',
  refused:
    'the certificate names http://127.0.0.1:1/ocsp/refused, where nothing listens; a server asking the fixtures’ responder directly gets its connection reset',
};

/** Modes in which a server that accepts the certificate took a bad "good" for an answer (a security failure). */
export const FORGED_GOOD_MODES: readonly OcspMode[] = ['wrong-signer', 'other-serial', 'stale', 'future'];

/** The OCSP URL the `refused` fixture names: a loopback port nothing listens on (TCP port 1, tcpmux, unused). */
export const OCSP_REFUSED_URL = 'http://127.0.0.1:1/ocsp';

/** The authorityInfoAccess OCSP URL of a mode fixture, from the responder URL of the set. */
export function ocspModeUrl(ocspUrl: string, mode: OcspMode): string {
  return `${mode === 'refused' ? OCSP_REFUSED_URL : ocspUrl.replace(/\/+$/, '')}/${mode}`;
}

function isMode(value: string): value is OcspMode {
  return (OCSP_MODES as readonly string[]).includes(value);
}

/**
 * Splits a raw request path into the mode it names and the path without it: the first segment that is a mode name
 * (`/ocsp/try-later` → try-later and `/ocsp`; `/ocsp/stale/<base64>` → stale and `/ocsp/<base64>`). A base64 GET
 * request starts with `M` (a DER SEQUENCE), so it never reads as a mode.
 */
export function splitModePath(rawPath: string): { mode?: OcspMode; path: string } {
  const segments = rawPath.split('/');
  const at = segments.findIndex(isMode);
  if (at < 0) return { path: rawPath };
  const rest = [...segments.slice(0, at), ...segments.slice(at + 1)].join('/');
  return { mode: segments[at] as OcspMode, path: rest === '' ? '/' : rest };
}

const normaliseSerial = (hex: string): string => hex.toLowerCase().replace(/^0+(?=.)/, '');
const hexOf = (data: ArrayBuffer | Uint8Array): string =>
  Buffer.from(data instanceof Uint8Array ? data : new Uint8Array(data)).toString('hex');

/** The mode of each mode fixture's serial (normalised hex), from the manifest. */
export function modesBySerial(manifest: Manifest): ReadonlyMap<string, OcspMode> {
  const out = new Map<string, OcspMode>();
  for (const f of manifest.fixtures) if (f.ocsp.mode) out.set(normaliseSerial(f.serial), f.ocsp.mode);
  return out;
}

/** The mode of the first certificate an OCSP request asks about, when it is a mode fixture's. */
export function modeOfRequest(modes: ReadonlyMap<string, OcspMode>, der: Uint8Array | undefined): OcspMode | undefined {
  if (!der || modes.size === 0) return undefined;
  try {
    const request = AsnConvert.parse(der, ocsp.OCSPRequest);
    const first = request.tbsRequest.requestList[0]?.reqCert;
    return first ? modes.get(normaliseSerial(hexOf(first.serialNumber))) : undefined;
  } catch {
    return undefined;
  }
}

const DAY = 86_400_000;
const wholeSeconds = (ms: number): Date => new Date(Math.floor(ms / 1000) * 1000);

/** One key per key type that is not any CA's: what `wrong-signer` signs with. */
const foreignKeys = new Map<string, KeyObject>();
function foreignKeyLike(key: KeyObject): KeyObject {
  const type = key.asymmetricKeyType ?? 'ec';
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const id = `${type}/${curve ?? ''}`;
  let found = foreignKeys.get(id);
  if (!found) {
    found =
      type === 'rsa' || type === 'rsa-pss'
        ? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
        : type === 'ed25519'
          ? generateKeyPairSync('ed25519').privateKey
          : type === 'ed448'
            ? generateKeyPairSync('ed448').privateKey
            : generateKeyPairSync('ec', { namedCurve: curve ?? 'prime256v1' }).privateKey;
    foreignKeys.set(id, found);
  }
  return found;
}

function statusOnly(status: ocsp.OCSPResponseStatus): Uint8Array {
  return new Uint8Array(AsnConvert.serialize(new ocsp.OCSPResponse({ responseStatus: status })));
}

/** A serial number that differs from `serial` (the last octet changed), as DER INTEGER content. */
function otherSerial(serial: ArrayBuffer): ArrayBuffer {
  const bytes = new Uint8Array(serial.slice(0));
  const last = bytes.length - 1;
  bytes[last] = (bytes[last] ?? 0) ^ 0x01;
  return bytes.buffer;
}

/**
 * The DER OCSPResponse of `mode` for a DER request, at `now`; undefined for the modes that do not answer
 * (`no-answer`, `refused`) and for a request the index cannot answer (the caller answers it as usual).
 */
export function modeResponse(
  index: OcspIndex,
  der: Uint8Array,
  mode: OcspMode,
  now = new Date(),
): Uint8Array | undefined {
  if (mode === 'try-later') return statusOnly(ocsp.OCSPResponseStatus.tryLater);
  if (mode === 'unauthorized') return statusOnly(ocsp.OCSPResponseStatus.unauthorized);
  if (mode === 'no-answer' || mode === 'refused') return undefined;
  let request: ocsp.OCSPRequest;
  try {
    request = AsnConvert.parse(der, ocsp.OCSPRequest);
  } catch {
    return undefined;
  }
  const reqCert = request.tbsRequest.requestList[0]?.reqCert;
  if (!reqCert) return undefined;
  const issuer = index.issuers.get(
    certIdKey(reqCert.hashAlgorithm.algorithm, reqCert.issuerNameHash.buffer, reqCert.issuerKeyHash.buffer),
  );
  if (!issuer) return undefined;
  const t = now.getTime();
  const [thisUpdate, nextUpdate] =
    mode === 'stale' ? [t - 2 * DAY, t - DAY] : mode === 'future' ? [t + DAY, t + 2 * DAY] : [t - 60_000, t + DAY];
  const certID =
    mode === 'other-serial'
      ? new ocsp.CertID({ ...reqCert, serialNumber: otherSerial(reqCert.serialNumber) })
      : reqCert;
  const single = new ocsp.SingleResponse({
    certID,
    certStatus: new ocsp.CertStatus(mode === 'unknown' ? { unknown: null } : { good: null }),
    thisUpdate: wholeSeconds(thisUpdate),
    nextUpdate: wholeSeconds(nextUpdate),
  });
  const nonce = request.tbsRequest.requestExtensions?.find((e) => e.extnID === ocsp.id_pkix_ocsp_nonce);
  const tbs = new ocsp.ResponseData({
    // NOTE: the responderID names the CA in every mode: `wrong-signer` claims to be it.
    responderID: new ocsp.ResponderID({ byKey: new ocsp.KeyHash(issuer.keyHash) }),
    producedAt: wholeSeconds(mode === 'stale' ? thisUpdate : t),
    responses: [single],
    ...(nonce ? { responseExtensions: [nonce] } : {}),
  });
  const signed = new Uint8Array(AsnConvert.serialize(tbs));
  const signature = signWith(issuer, mode === 'wrong-signer' ? foreignKeyLike(issuer.key) : issuer.key, signed);
  const basic = new ocsp.BasicOCSPResponse({
    tbsResponseData: tbs,
    signatureAlgorithm: issuer.signatureAlgorithm,
    signature: signature.buffer.slice(signature.byteOffset, signature.byteOffset + signature.byteLength) as ArrayBuffer,
    ...(issuer.certRoundTrips ? { certs: [issuer.cert] } : {}),
  });
  return new Uint8Array(
    AsnConvert.serialize(
      new ocsp.OCSPResponse({
        responseStatus: ocsp.OCSPResponseStatus.successful,
        responseBytes: new ocsp.ResponseBytes({
          responseType: ocsp.id_pkix_ocsp_basic,
          response: new OctetString(AsnConvert.serialize(basic)),
        }),
      }),
    ),
  );
}

function signWith(issuer: OcspIssuer, key: KeyObject, data: Uint8Array): Buffer {
  return issuer.digest === null ? sign(null, data, key) : sign(issuer.digest, data, { key, dsaEncoding: 'der' });
}

/**
 * Serves one OCSP request in `mode`: the mode's response (HTTP 200), nothing ever (`no-answer`: the request stays
 * open until the responder closes its connections), or a reset connection (`refused`, for a server that asks the
 * responder directly instead of the URL in the certificate). Returns false when the mode has no answer of its own
 * for this request, so the caller answers it as usual.
 */
export function serveMode(
  index: OcspIndex,
  der: Uint8Array | undefined,
  mode: OcspMode,
  res: http.ServerResponse,
): boolean {
  if (mode === 'no-answer') return true;
  if (mode === 'refused') {
    res.socket?.resetAndDestroy();
    return true;
  }
  const body = der ? modeResponse(index, der, mode) : undefined;
  if (!body) return false;
  res.writeHead(200, { 'content-type': 'application/ocsp-response', 'content-length': body.byteLength });
  res.end(body);
  return true;
}
