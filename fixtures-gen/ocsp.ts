import {
  createHash,
  createPrivateKey,
  randomBytes,
  sign,
  verify,
  X509Certificate as NodeX509,
  type KeyObject,
} from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import * as ocsp from '@peculiar/asn1-ocsp';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import * as asn1X509 from '@peculiar/asn1-x509';
import { HarnessError } from '../core/errors.js';
import type { FixtureSet, ManifestCa } from '../core/manifest.js';
import { OCSP_CONTROL_PATH, OcspControl } from './ocsp-control.js';
import { modeOfRequest, modesBySerial, serveMode, splitModePath, type OcspMode } from './ocsp-modes.js';
import { listenOn } from '../core/listen.js';

const DAY = 86_400_000;
/** NOTE: RFC 5019 §2.2.4 lets responders pre-date thisUpdate; one minute absorbs small clock differences. */
const THIS_UPDATE_SKEW = 60_000;
/** Largest OCSP request body the responder reads. */
const MAX_REQUEST_BYTES = 64 * 1024;
/** Largest OCSP response body {@link queryOcsp} reads. */
const MAX_RESPONSE_BYTES = 1024 * 1024;
/** Clock difference {@link queryOcsp} tolerates when checking thisUpdate/nextUpdate. */
const VALIDITY_SKEW = 5 * 60_000;

/** CertID hash algorithms the index answers for, by name as node:crypto spells it. */
const CERT_ID_HASHES = {
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
} as const;
/** A CertID hash algorithm the responder answers for (RFC 5019 §2.1.1 clients use sha1). */
export type CertIdHash = keyof typeof CERT_ID_HASHES;

/** Signature algorithms by OID: the node:crypto digest (null for EdDSA) and whether parameters are NULL. */
const SIGNATURE_ALGORITHMS: Readonly<Record<string, { digest: string | null; nullParams: boolean }>> = {
  '1.2.840.113549.1.1.5': { digest: 'sha1', nullParams: true },
  '1.2.840.113549.1.1.11': { digest: 'sha256', nullParams: true },
  '1.2.840.113549.1.1.12': { digest: 'sha384', nullParams: true },
  '1.2.840.113549.1.1.13': { digest: 'sha512', nullParams: true },
  '1.2.840.10045.4.1': { digest: 'sha1', nullParams: false },
  '1.2.840.10045.4.3.2': { digest: 'sha256', nullParams: false },
  '1.2.840.10045.4.3.3': { digest: 'sha384', nullParams: false },
  '1.2.840.10045.4.3.4': { digest: 'sha512', nullParams: false },
  '1.3.101.112': { digest: null, nullParams: false },
  '1.3.101.113': { digest: null, nullParams: false },
};

/** What the responder answers for one serial number. */
export interface OcspStatus {
  /** RFC 6960 §2.2 CertStatus. */
  readonly status: 'good' | 'revoked' | 'unknown';
  /** RFC 5280 CRLReason name, e.g. `keyCompromise`; only for revoked. */
  readonly reason?: string;
  /** ISO-8601 revocation time; only for revoked. */
  readonly revokedAt?: string;
}

/** One CA that signs OCSP responses for the certificates it issued (RFC 6960 §4.2.2.2: the CA itself, no delegate). */
export interface OcspIssuer {
  /** The manifest id of the CA. */
  readonly caId: string;
  /** The CA certificate. */
  readonly cert: asn1X509.Certificate;
  /**
   * True when the certificate re-encodes to its original DER, so it can go into BasicOCSPResponse.certs with its
   * signature intact (always, for certificates fixtures-gen wrote).
   */
  readonly certRoundTrips: boolean;
  /** The CA private key. */
  readonly key: KeyObject;
  /** The algorithm responses are signed with. */
  readonly signatureAlgorithm: asn1X509.AlgorithmIdentifier;
  /** node:crypto digest name for {@link OcspIssuer.signatureAlgorithm}; null for EdDSA. */
  readonly digest: string | null;
  /** SHA-1 of the CA's subjectPublicKey: the byKey ResponderID. */
  readonly keyHash: Uint8Array;
  /** Status by normalised serial (lower-case hex without leading zeros); serials absent here are `unknown`. */
  readonly serials: ReadonlyMap<string, OcspStatus>;
}

/** Everything the responder answers from, built once per fixture set by {@link buildOcspIndex}. */
export interface OcspIndex {
  /** Issuers keyed by {@link certIdKey}: one entry per issuer and CertID hash algorithm. */
  readonly issuers: ReadonlyMap<string, OcspIssuer>;
  /** DER CRLs by CA id, served at `/crl/<ca-id>.crl`. */
  readonly crls: ReadonlyMap<string, Uint8Array>;
  /** The manifest clock. */
  readonly clock: Date;
}

/** The running loopback responder. */
export interface OcspResponder extends AsyncDisposable {
  /** The TCP port it listens on. */
  readonly port: number;
  /** http://127.0.0.1:PORT (no trailing slash) */
  readonly baseUrl: string;
  /** baseUrl + '/ocsp' */
  readonly ocspUrl: string;
  /** number of OCSP requests answered */
  readonly requests: number;
  /** baseUrl + '/control': the loopback-only control of what it answers (fixtures-gen/ocsp-control.ts). */
  readonly controlUrl: string;
  /** Stops listening and drops open connections; safe to call twice. */
  close(): Promise<void>;
}

/** Options of {@link startOcspResponder}. */
export interface OcspResponderOptions {
  /** TCP port; default 0 (any free port). */
  port?: number;
  /** Listen address; default 127.0.0.1. */
  host?: string;
}

/** The answer of {@link queryOcsp}. */
export interface OcspQueryResult {
  /** The CertStatus the responder signed. */
  status: 'good' | 'revoked' | 'unknown';
  /** RFC 5280 CRLReason name when the responder gave one. */
  reason?: string;
  /** ISO-8601 revocation time for revoked. */
  revokedAt?: string;
}

/** Thrown by {@link queryOcsp} when no trustworthy answer was obtained (network, HTTP, status, signature, freshness). */
export class OcspQueryError extends Error {
  override readonly name = 'OcspQueryError';
}

const toHex = (data: ArrayBuffer | ArrayBufferView): string =>
  (ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data)).toString(
    'hex',
  );

/** NOTE: serials compare as INTEGER values (RFC 5280 §4.1.2.2), so `00`-padded and unpadded hex are the same serial. */
function normaliseSerial(hex: string): string {
  return hex.toLowerCase().replace(/^0+(?=.)/, '');
}

function toArrayBuffer(data: Uint8Array): ArrayBuffer {
  return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
}

function digest(hash: string, data: ArrayBuffer | Uint8Array): Buffer {
  return createHash(hash)
    .update(data instanceof Uint8Array ? data : new Uint8Array(data))
    .digest();
}

/** The map key of a CertID's issuer part: `<hash OID>/<issuerNameHash>/<issuerKeyHash>` in hex. */
export function certIdKey(
  hashOid: string,
  issuerNameHash: ArrayBuffer | Uint8Array,
  issuerKeyHash: ArrayBuffer | Uint8Array,
): string {
  return `${hashOid}/${toHex(issuerNameHash)}/${toHex(issuerKeyHash)}`;
}

/**
 * NOTE: RFC 6960 §4.1.1: issuerNameHash covers the DER of the issuer's Name, issuerKeyHash the subjectPublicKey BIT
 * STRING value (without tag, length and unused-bits octet). asn1-schema re-encodes Name losslessly for DER input.
 */
function issuerHashes(hash: CertIdHash, issuer: asn1X509.Certificate): { nameHash: Buffer; keyHash: Buffer } {
  return {
    nameHash: digest(hash, AsnConvert.serialize(issuer.tbsCertificate.subject)),
    keyHash: digest(hash, issuer.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey),
  };
}

function parseCertificatePem(pem: string, what: string): { der: Uint8Array; asn: asn1X509.Certificate } {
  let der: Uint8Array;
  try {
    der = new Uint8Array(new NodeX509(pem).raw);
  } catch (cause) {
    throw new HarnessError('MTLS_ERR_PEM_MALFORMED', `${what} is not a PEM certificate`, { cause });
  }
  return { der, asn: AsnConvert.parse(der, asn1X509.Certificate) };
}

/** Picks the response signature algorithm for a CA key (RSA of any padding: sha256WithRSAEncryption). */
function signatureFor(
  key: KeyObject,
  caId: string,
): { algorithm: asn1X509.AlgorithmIdentifier; digest: string | null } {
  const alg = (oid: string, digestName: string | null, nullParams: boolean) => ({
    algorithm: new asn1X509.AlgorithmIdentifier(nullParams ? { algorithm: oid, parameters: null } : { algorithm: oid }),
    digest: digestName,
  });
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return alg('1.2.840.113549.1.1.11', 'sha256', true);
    case 'ec': {
      // NOTE: RFC 5480 §4 pairs each curve with the hash of matching strength.
      const curve = key.asymmetricKeyDetails?.namedCurve;
      if (curve === 'secp384r1') return alg('1.2.840.10045.4.3.3', 'sha384', false);
      if (curve === 'secp521r1') return alg('1.2.840.10045.4.3.4', 'sha512', false);
      return alg('1.2.840.10045.4.3.2', 'sha256', false);
    }
    case 'ed25519':
      return alg('1.3.101.112', null, false);
    case 'ed448':
      return alg('1.3.101.113', null, false);
    default:
      throw new HarnessError(
        'MTLS_ERR_CA_READ',
        `CA '${caId}' has a ${String(key.asymmetricKeyType)} key the OCSP responder cannot sign with`,
      );
  }
}

const REASON_CODES: Readonly<Record<string, asn1X509.CRLReasons>> = {
  unspecified: asn1X509.CRLReasons.unspecified,
  keyCompromise: asn1X509.CRLReasons.keyCompromise,
  cACompromise: asn1X509.CRLReasons.cACompromise,
  affiliationChanged: asn1X509.CRLReasons.affiliationChanged,
  superseded: asn1X509.CRLReasons.superseded,
  cessationOfOperation: asn1X509.CRLReasons.cessationOfOperation,
  certificateHold: asn1X509.CRLReasons.certificateHold,
  removeFromCRL: asn1X509.CRLReasons.removeFromCRL,
  privilegeWithdrawn: asn1X509.CRLReasons.privilegeWithdrawn,
  aACompromise: asn1X509.CRLReasons.aACompromise,
};

function reasonName(code: number): string | undefined {
  return Object.keys(REASON_CODES).find((name) => REASON_CODES[name] === code);
}

async function readManifestFile(fixtures: FixtureSet, relative: string, what: string): Promise<Buffer> {
  try {
    return await readFile(fixtures.resolve(relative));
  } catch (cause) {
    throw new HarnessError('MTLS_ERR_FILE_MISSING', `cannot read ${what} '${fixtures.resolve(relative)}'`, { cause });
  }
}

/** Revocation entries of a DER CRL: reason name and time by normalised serial. */
function crlEntries(der: Uint8Array, caId: string): Map<string, { reason?: string; at: Date }> {
  let crl: asn1X509.CertificateList;
  try {
    crl = AsnConvert.parse(der, asn1X509.CertificateList);
  } catch (cause) {
    throw new HarnessError('MTLS_ERR_MANIFEST_INVALID', `the CRL of CA '${caId}' is not a DER CertificateList`, {
      cause,
    });
  }
  const entries = new Map<string, { reason?: string; at: Date }>();
  for (const entry of crl.tbsCertList.revokedCertificates ?? []) {
    const ext = entry.crlEntryExtensions?.find((e) => e.extnID === asn1X509.id_ce_cRLReasons);
    const reason = ext ? reasonName(AsnConvert.parse(ext.extnValue.buffer, asn1X509.CRLReason).reason) : undefined;
    entries.set(normaliseSerial(toHex(entry.userCertificate)), {
      ...(reason ? { reason } : {}),
      at: entry.revocationDate.getTime(),
    });
  }
  return entries;
}

/**
 * Builds the responder's index from a fixture set: every CA with a key becomes an issuer (under SHA-1, SHA-256,
 * SHA-384 and SHA-512 CertIDs), with the status of every serial it issued per the manifest. A fixture's `ocsp` entry
 * wins; otherwise a serial on the CA's CRL is revoked with the CRL's reason and time; any other serial the manifest
 * shows the CA issued (fixtures, sub-CAs, the server certificate) is good. Throws HarnessError when a file is missing.
 */
export async function buildOcspIndex(fixtures: FixtureSet): Promise<OcspIndex> {
  const { manifest } = fixtures;
  const clock = new Date(manifest.clock);
  const fallbackRevokedAt = new Date(clock.getTime() - DAY).toISOString();
  const crls = new Map<string, Uint8Array>();
  const issuers = new Map<string, OcspIssuer>();
  const caSerials = new Set(manifest.cas.map((ca) => normaliseSerial(ca.serial)));

  const serverCert = parseCertificatePem(
    (await readManifestFile(fixtures, manifest.server.cert, 'server certificate')).toString('utf8'),
    'the server certificate',
  ).asn;
  const serverIssuer = toHex(AsnConvert.serialize(serverCert.tbsCertificate.issuer));

  const load = async (ca: ManifestCa): Promise<void> => {
    const crlDer = ca.crl
      ? new Uint8Array(await readManifestFile(fixtures, ca.crl.der, `CRL of CA '${ca.id}'`))
      : undefined;
    if (crlDer) crls.set(ca.id, crlDer);
    if (!ca.key) return;
    const [certPem, keyPem] = await Promise.all([
      readManifestFile(fixtures, ca.cert, `certificate of CA '${ca.id}'`),
      readManifestFile(fixtures, ca.key, `key of CA '${ca.id}'`),
    ]);
    const { der: certDer, asn: cert } = parseCertificatePem(
      certPem.toString('utf8'),
      `the certificate of CA '${ca.id}'`,
    );
    let key: KeyObject;
    try {
      key = createPrivateKey(keyPem);
    } catch (cause) {
      throw new HarnessError('MTLS_ERR_PEM_MALFORMED', `the key of CA '${ca.id}' is not a PEM private key`, { cause });
    }
    const { algorithm, digest: digestName } = signatureFor(key, ca.id);

    const serials = new Map<string, OcspStatus>();
    for (const sub of manifest.cas) {
      if (sub.issuer === ca.id) serials.set(normaliseSerial(sub.serial), { status: 'good' });
    }
    if (toHex(AsnConvert.serialize(cert.tbsCertificate.subject)) === serverIssuer) {
      serials.set(normaliseSerial(toHex(serverCert.tbsCertificate.serialNumber)), { status: 'good' });
    }
    if (ca.crl && crlDer) {
      const entries = crlEntries(crlDer, ca.id);
      for (const listed of ca.crl.revokedSerials) {
        const serial = normaliseSerial(listed);
        const entry = entries.get(serial);
        // NOTE: the generator revokes CAs for cACompromise (RFC 5280 §5.3.1); used only if the CRL entry lacks a reason.
        const reason = entry?.reason ?? (caSerials.has(serial) ? 'cACompromise' : undefined);
        serials.set(serial, {
          status: 'revoked',
          ...(reason ? { reason } : {}),
          revokedAt: entry?.at.toISOString() ?? fallbackRevokedAt,
        });
      }
    }
    for (const fixture of manifest.fixtures) {
      if (fixture.issuer !== ca.id) continue;
      const { status, reason, revokedAt } = fixture.ocsp;
      serials.set(
        normaliseSerial(fixture.serial),
        status === 'revoked'
          ? { status, ...(reason ? { reason } : {}), revokedAt: revokedAt ?? fallbackRevokedAt }
          : { status },
      );
    }

    const issuer: OcspIssuer = {
      caId: ca.id,
      cert,
      certRoundTrips: Buffer.from(AsnConvert.serialize(cert)).equals(certDer),
      key,
      signatureAlgorithm: algorithm,
      digest: digestName,
      keyHash: issuerHashes('sha1', cert).keyHash,
      serials,
    };
    for (const [hash, oid] of Object.entries(CERT_ID_HASHES) as [CertIdHash, string][]) {
      const { nameHash, keyHash } = issuerHashes(hash, cert);
      issuers.set(certIdKey(oid, nameHash, keyHash), issuer);
    }
  };
  // NOTE: a self-signed client certificate is its own issuer, so its own key answers for it (RFC 6960 §2.2 only
  // asks that the CA that issued the certificate signs): the manifest's `good` for it is then what the responder says.
  const selfIssued: ManifestCa[] = manifest.fixtures
    .filter((f) => f.issuer === 'self')
    .map((f) => ({
      id: 'self',
      description: `self-signed fixture ${f.id}`,
      cert: f.cert,
      key: f.key,
      issuer: null,
      trusted: false,
      serial: f.serial,
      subject: f.subject,
      notBefore: f.notBefore,
      notAfter: f.notAfter,
    }));
  await Promise.all([...manifest.cas, ...selfIssued].map(load));
  return { issuers, crls, clock };
}

function responseDer(response: ocsp.OCSPResponse): Uint8Array {
  return new Uint8Array(AsnConvert.serialize(response));
}

function statusResponse(status: ocsp.OCSPResponseStatus): Uint8Array {
  return responseDer(new ocsp.OCSPResponse({ responseStatus: status }));
}

function certStatus(status: OcspStatus): ocsp.CertStatus {
  if (status.status === 'good') return new ocsp.CertStatus({ good: null });
  if (status.status === 'unknown') return new ocsp.CertStatus({ unknown: null });
  const code = status.reason === undefined ? undefined : REASON_CODES[status.reason];
  return new ocsp.CertStatus({
    revoked: new ocsp.RevokedInfo({
      revocationTime: wholeSeconds(new Date(status.revokedAt ?? 0)),
      ...(code === undefined ? {} : { revocationReason: new asn1X509.CRLReason(code) }),
    }),
  });
}

/** NOTE: DER GeneralizedTime must not carry a zero fraction, and RFC 5280 §4.1.2.5.2 wants whole seconds. */
function wholeSeconds(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

function signData(issuer: OcspIssuer, data: Uint8Array): Buffer {
  return issuer.digest === null
    ? sign(null, data, issuer.key)
    : sign(issuer.digest, data, { key: issuer.key, dsaEncoding: 'der' });
}

/**
 * Answers one DER OCSPRequest from `index` at `now` (default: the real time) and returns the DER OCSPResponse. Never
 * throws: an unparsable or empty request yields malformedRequest, a CertID whose issuer is not indexed (or requests
 * for two different issuers, which one signature cannot cover) yields unauthorized, a signing failure internalError.
 */
export async function answerOcspRequest(
  index: OcspIndex,
  der: Uint8Array,
  now: Date = new Date(),
): Promise<Uint8Array> {
  let request: ocsp.OCSPRequest;
  try {
    request = AsnConvert.parse(der, ocsp.OCSPRequest);
  } catch {
    return statusResponse(ocsp.OCSPResponseStatus.malformedRequest);
  }
  const list = request.tbsRequest.requestList;
  if (!list || list.length === 0) return statusResponse(ocsp.OCSPResponseStatus.malformedRequest);

  let issuer: OcspIssuer | undefined;
  for (const { reqCert } of list) {
    const found = index.issuers.get(
      certIdKey(reqCert.hashAlgorithm.algorithm, reqCert.issuerNameHash.buffer, reqCert.issuerKeyHash.buffer),
    );
    if (!found || (issuer && found !== issuer)) return statusResponse(ocsp.OCSPResponseStatus.unauthorized);
    issuer = found;
  }
  if (!issuer) return statusResponse(ocsp.OCSPResponseStatus.malformedRequest);

  try {
    const produced = wholeSeconds(now);
    const thisUpdate = new Date(produced.getTime() - THIS_UPDATE_SKEW);
    const nextUpdate = new Date(produced.getTime() + DAY);
    const signer = issuer;
    const responses = list.map(
      ({ reqCert }) =>
        new ocsp.SingleResponse({
          // NOTE: RFC 6960 §4.2.1: the client matches responses to requests by CertID, so echo it unchanged.
          certID: reqCert,
          certStatus: certStatus(
            signer.serials.get(normaliseSerial(toHex(reqCert.serialNumber))) ?? { status: 'unknown' },
          ),
          thisUpdate,
          nextUpdate,
        }),
    );
    // NOTE: RFC 8954 §2.1: echo the request's nonce extension so the client can bind the response to its request.
    const nonce = request.tbsRequest.requestExtensions?.find((e) => e.extnID === ocsp.id_pkix_ocsp_nonce);
    const tbs = new ocsp.ResponseData({
      responderID: new ocsp.ResponderID({ byKey: new ocsp.KeyHash(issuer.keyHash) }),
      producedAt: produced,
      responses,
      ...(nonce ? { responseExtensions: [nonce] } : {}),
    });
    const signature = signData(issuer, new Uint8Array(AsnConvert.serialize(tbs)));
    const basic = new ocsp.BasicOCSPResponse({
      tbsResponseData: tbs,
      signatureAlgorithm: issuer.signatureAlgorithm,
      signature: toArrayBuffer(signature),
      // NOTE: RFC 6960 §4.2.1 certs helps the client find the signer; a re-encoded certificate would not verify.
      ...(issuer.certRoundTrips ? { certs: [issuer.cert] } : {}),
    });
    return responseDer(
      new ocsp.OCSPResponse({
        responseStatus: ocsp.OCSPResponseStatus.successful,
        responseBytes: new ocsp.ResponseBytes({
          responseType: ocsp.id_pkix_ocsp_basic,
          response: new OctetString(AsnConvert.serialize(basic)),
        }),
      }),
    );
  } catch {
    return statusResponse(ocsp.OCSPResponseStatus.internalError);
  }
}

/** Reads a request body, or returns undefined once it exceeds `limit` bytes. */
function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      resolve(undefined);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
    req.on('close', () => {
      if (!req.complete) reject(new Error('the client closed the connection mid-request'));
    });
  });
}

function send(res: http.ServerResponse, status: number, type: string, body: Uint8Array | string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * Decodes the RFC 5019 §5 GET path component: the URL-encoded base64 of the DER request. Returns undefined when it is
 * not base64.
 */
function decodeGetRequest(component: string): Uint8Array | undefined {
  let b64: string;
  try {
    b64 = decodeURIComponent(component);
  } catch {
    return undefined;
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 === 1) return undefined;
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

/**
 * Starts the loopback OCSP responder for `fixtures` (see {@link buildOcspIndex} for what it answers). Routes: POST
 * `/ocsp` or `/` with an `application/ocsp-request` body; GET `/ocsp/<url-encoded base64 DER>` (RFC 5019 §5); GET
 * `/crl/<ca-id>.crl` for a CA's DER CRL; anything else is 404. Request bodies over 64 KiB get 413. Throws
 * MTLS_ERR_PORT when the port cannot be bound.
 */
export async function startOcspResponder(
  fixtures: FixtureSet,
  options: OcspResponderOptions = {},
): Promise<OcspResponder> {
  const index = await buildOcspIndex(fixtures);
  const modes = modesBySerial(fixtures.manifest);
  const host = options.host ?? '127.0.0.1';
  let answered = 0;
  const control = new OcspControl();

  const answer = async (res: http.ServerResponse, der: Uint8Array | undefined, mode?: OcspMode): Promise<void> => {
    // Failure modes (issue 13): named by the URL path, else by the serial of a mode fixture (fixed-URL servers).
    const failure = mode ?? modeOfRequest(modes, der);
    if (failure && serveMode(index, der, failure, res)) {
      answered += 1;
      return;
    }
    const body = der
      ? await answerOcspRequest(control.view(index), der)
      : statusResponse(ocsp.OCSPResponseStatus.malformedRequest);
    answered += 1;
    send(res, 200, 'application/ocsp-response', body);
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    // NOTE: the raw path, not a parsed URL: base64 may hold '/' and '+', which URL normalisation must not touch.
    const { mode, path: rawPath } = splitModePath((req.url ?? '/').split('?')[0] ?? '/');
    if (await control.handle(req, res)) return;
    if (rawPath === '/ocsp' || rawPath === '/' || rawPath === '/ocsp/') {
      if (req.method !== 'POST') {
        res.setHeader('allow', 'POST');
        send(res, 405, 'text/plain', 'use POST with an application/ocsp-request body\n');
        return;
      }
      const body = await readBody(req, MAX_REQUEST_BYTES);
      if (!body) {
        // NOTE: no socket destroy here: closing with unread input makes the kernel send RST, and the client may lose
        // the 413. With `connection: close` node discards the rest of the body and closes after the response.
        res.setHeader('connection', 'close');
        send(res, 413, 'text/plain', `OCSP requests are limited to ${MAX_REQUEST_BYTES} bytes\n`);
        return;
      }
      await answer(res, new Uint8Array(body), mode);
      return;
    }
    if (req.method === 'GET' && rawPath.startsWith('/ocsp/')) {
      await answer(res, decodeGetRequest(rawPath.slice('/ocsp/'.length)), mode);
      return;
    }
    const crl = /^\/crl\/([^/]+)\.crl$/.exec(rawPath);
    const crlDer = crl && req.method === 'GET' ? index.crls.get(crl[1] ?? '') : undefined;
    if (crlDer) {
      send(res, 200, 'application/pkix-crl', crlDer);
      return;
    }
    send(res, 404, 'text/plain', 'not found\n');
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, 'text/plain', 'internal error\n');
      else res.destroy();
    });
  });
  const port = await listenOn(server, host, options.port ?? 0, 'the OCSP responder');
  // A late socket error must not crash the process that hosts the responder.
  server.on('error', () => undefined);

  const baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closing;
  };
  return {
    port,
    baseUrl,
    ocspUrl: `${baseUrl}/ocsp`,
    controlUrl: `${baseUrl}${OCSP_CONTROL_PATH}`,
    get requests() {
      return answered;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * Builds a DER OCSPRequest for `certPem` issued by `issuerPem` (one CertID, RFC 5019 §2.1.1) with a random 32-byte
 * nonce unless `nonce` is false. Throws HarnessError MTLS_ERR_PEM_MALFORMED for bad PEM.
 */
export function buildOcspRequest(
  certPem: string,
  issuerPem: string,
  options: { hash?: CertIdHash; nonce?: boolean | Uint8Array } = {},
): Uint8Array {
  const cert = parseCertificatePem(certPem, 'the certificate to check').asn;
  const issuer = parseCertificatePem(issuerPem, 'the issuer certificate').asn;
  const hash = options.hash ?? 'sha1';
  const certId = new ocsp.CertID({
    // NOTE: RFC 5019 §2.1.1 clients use SHA-1, and OpenSSL writes NULL parameters; responders must accept both forms.
    hashAlgorithm: new asn1X509.AlgorithmIdentifier({ algorithm: CERT_ID_HASHES[hash], parameters: null }),
    // NOTE: RFC 6960 §4.1.1 hashes the issuer field of the certificate being checked.
    issuerNameHash: new OctetString(digest(hash, AsnConvert.serialize(cert.tbsCertificate.issuer))),
    issuerKeyHash: new OctetString(issuerHashes(hash, issuer).keyHash),
    serialNumber: cert.tbsCertificate.serialNumber,
  });
  const nonce =
    options.nonce === false
      ? undefined
      : options.nonce === true || options.nonce === undefined
        ? randomBytes(32)
        : options.nonce;
  const tbs = new ocsp.TBSRequest({
    requestList: [new ocsp.Request({ reqCert: certId })],
    ...(nonce
      ? {
          requestExtensions: [
            new asn1X509.Extension({
              extnID: ocsp.id_pkix_ocsp_nonce,
              critical: false,
              extnValue: new OctetString(AsnConvert.serialize(new ocsp.Nonce(nonce))),
            }),
          ],
        }
      : {}),
  });
  return new Uint8Array(AsnConvert.serialize(new ocsp.OCSPRequest({ tbsRequest: tbs })));
}

function post(url: string, body: Uint8Array, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      reject(new OcspQueryError(`bad OCSP URL '${url}'`));
      return;
    }
    if (target.protocol !== 'http:') {
      // NOTE: RFC 6960 Appendix A.1 transports OCSP over plain HTTP; the responses are signed.
      reject(new OcspQueryError(`OCSP URL '${url}' is not http://`));
      return;
    }
    const req = http.request(
      target,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/ocsp-request',
          accept: 'application/ocsp-response',
          'content-length': body.byteLength,
        },
        signal: AbortSignal.timeout(timeoutMs),
      },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new OcspQueryError(`OCSP responder ${url} answered HTTP ${res.statusCode}`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            res.destroy(new OcspQueryError(`OCSP response from ${url} exceeds ${MAX_RESPONSE_BYTES} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => resolve(Buffer.concat(chunks)));
        res.on('error', (cause) =>
          reject(
            cause instanceof OcspQueryError
              ? cause
              : new OcspQueryError(`reading the OCSP response from ${url} failed`, { cause }),
          ),
        );
      },
    );
    req.on('error', (cause: Error) =>
      reject(
        new OcspQueryError(
          cause.name === 'AbortError' || cause.name === 'TimeoutError'
            ? `OCSP responder ${url} did not answer within ${timeoutMs} ms`
            : `OCSP request to ${url} failed: ${cause.message}`,
          { cause },
        ),
      ),
    );
    req.end(body);
  });
}

function sameCertId(a: ocsp.CertID, b: ocsp.CertID): boolean {
  return (
    a.hashAlgorithm.algorithm === b.hashAlgorithm.algorithm &&
    toHex(a.issuerNameHash.buffer) === toHex(b.issuerNameHash.buffer) &&
    toHex(a.issuerKeyHash.buffer) === toHex(b.issuerKeyHash.buffer) &&
    normaliseSerial(toHex(a.serialNumber)) === normaliseSerial(toHex(b.serialNumber))
  );
}

/**
 * Asks the OCSP responder at `url` about `certPem` (issued by `issuerPem`) with a SHA-1 CertID and a nonce, and
 * returns its status. The response must be signed by the issuer itself (delegated responders are not accepted),
 * match the CertID, echo the nonce if it carries one, and be current (thisUpdate/nextUpdate, 5 min skew). Throws
 * {@link OcspQueryError} otherwise, or when the responder is unreachable within `timeoutMs` (default 5000).
 */
export async function queryOcsp(
  url: string,
  certPem: string,
  issuerPem: string,
  timeoutMs = 5000,
): Promise<OcspQueryResult> {
  const nonce = randomBytes(32);
  const requestDer = buildOcspRequest(certPem, issuerPem, { nonce });
  const request = AsnConvert.parse(requestDer, ocsp.OCSPRequest);
  const certId = request.tbsRequest.requestList[0]?.reqCert;
  const sentNonce = request.tbsRequest.requestExtensions?.[0]?.extnValue.buffer;
  const issuerNode = new NodeX509(issuerPem);
  const issuer = AsnConvert.parse(issuerNode.raw, asn1X509.Certificate);
  if (!certId || !sentNonce) throw new OcspQueryError('internal: built an OCSP request without CertID or nonce');

  const der = await post(url, requestDer, timeoutMs);
  let basic: ocsp.BasicOCSPResponse;
  try {
    const response = AsnConvert.parse(der, ocsp.OCSPResponse);
    if (response.responseStatus !== ocsp.OCSPResponseStatus.successful) {
      throw new OcspQueryError(
        `OCSP responder ${url} answered ${ocsp.OCSPResponseStatus[response.responseStatus] ?? response.responseStatus}`,
      );
    }
    if (response.responseBytes?.responseType !== ocsp.id_pkix_ocsp_basic) {
      throw new OcspQueryError(`OCSP responder ${url} sent no BasicOCSPResponse`);
    }
    basic = AsnConvert.parse(response.responseBytes.response.buffer, ocsp.BasicOCSPResponse);
  } catch (cause) {
    if (cause instanceof OcspQueryError) throw cause;
    throw new OcspQueryError(`OCSP responder ${url} sent an unparsable response`, { cause });
  }

  const tbs = basic.tbsResponseData;
  const { byKey, byName } = tbs.responderID;
  const issuerKeyHash = issuerHashes('sha1', issuer).keyHash;
  const byIssuer = byKey
    ? toHex(byKey.buffer) === issuerKeyHash.toString('hex')
    : byName !== undefined &&
      toHex(AsnConvert.serialize(byName)) === toHex(AsnConvert.serialize(issuer.tbsCertificate.subject));
  if (!byIssuer)
    throw new OcspQueryError(
      `OCSP response from ${url} is not signed by the issuer (delegated responders are not supported)`,
    );

  const scheme = SIGNATURE_ALGORITHMS[basic.signatureAlgorithm.algorithm];
  if (!scheme)
    throw new OcspQueryError(
      `OCSP response from ${url} uses unsupported signature algorithm ${basic.signatureAlgorithm.algorithm}`,
    );
  // NOTE: the signature covers the bytes as received (RFC 6960 §4.2.1), so verify tbsResponseDataRaw, not a re-encoding.
  const signed = new Uint8Array(basic.tbsResponseDataRaw ?? AsnConvert.serialize(tbs));
  const signature = new Uint8Array(basic.signature);
  let ok = false;
  try {
    ok =
      scheme.digest === null
        ? verify(null, signed, issuerNode.publicKey, signature)
        : verify(scheme.digest, signed, { key: issuerNode.publicKey, dsaEncoding: 'der' }, signature);
  } catch {
    ok = false;
  }
  if (!ok) throw new OcspQueryError(`OCSP response from ${url} has a bad signature`);

  const echoed = tbs.responseExtensions?.find((e) => e.extnID === ocsp.id_pkix_ocsp_nonce);
  // NOTE: RFC 5019 §2.2.1 responders may omit the nonce (pre-signed responses); a different nonce is a replay.
  if (echoed && toHex(echoed.extnValue.buffer) !== toHex(sentNonce)) {
    throw new OcspQueryError(`OCSP response from ${url} carries a different nonce`);
  }
  const single = tbs.responses.find((r) => sameCertId(r.certID, certId));
  if (!single) throw new OcspQueryError(`OCSP response from ${url} has no answer for the certificate asked about`);
  const now = Date.now();
  if (
    single.thisUpdate.getTime() > now + VALIDITY_SKEW ||
    (single.nextUpdate && single.nextUpdate.getTime() < now - VALIDITY_SKEW)
  ) {
    throw new OcspQueryError(
      `OCSP response from ${url} is not current (thisUpdate ${single.thisUpdate.toISOString()})`,
    );
  }

  const { good, revoked } = single.certStatus;
  if (revoked) {
    const reason = revoked.revocationReason ? reasonName(revoked.revocationReason.reason) : undefined;
    return { status: 'revoked', ...(reason ? { reason } : {}), revokedAt: revoked.revocationTime.toISOString() };
  }
  return { status: good !== undefined ? 'good' : 'unknown' };
}
