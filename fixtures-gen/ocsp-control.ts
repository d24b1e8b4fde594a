/**
 * The loopback-only control of the fixtures' OCSP responder (issue 12, `resume-after-revocation`): a client on the
 * same machine changes what the responder answers for one serial while it runs, so a session made with a certificate
 * answered `good` can be resumed after the responder answers `revoked` for it.
 *
 * Routes, on the responder's own port:
 * - `PUT /control/status/<serial hex>` with a JSON body `{"status":"good"|"revoked"|"unknown","reason"?:string}`:
 *   from now on the responder answers that for the serial, whichever CA issued it (a serial the fixtures do not know,
 *   such as a certificate issued at run time by fixtures-gen/issue.ts, included); 204 on success;
 * - `DELETE /control/status/<serial hex>`: back to what the fixtures say; 204;
 * - `GET /control/status`: the overrides in force, as JSON.
 *
 * NOTE: the control changes what a security check sees, so it answers only peers on a loopback address (127.0.0.0/8,
 * ::1, ::ffff:127.0.0.0/104); any other peer gets 403, even when the responder listens on another address.
 */
import type http from 'node:http';
import { HarnessError } from '../core/errors.js';
import type { OcspIndex, OcspIssuer, OcspStatus } from './ocsp.js';

/** Path prefix of the control routes. */
export const OCSP_CONTROL_PATH = '/control';

const STATUSES: readonly OcspStatus['status'][] = ['good', 'revoked', 'unknown'];
const MAX_BODY = 4096;

/** True for a loopback peer address (IPv4 127/8, IPv6 ::1, IPv4-mapped 127/8). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return v4.startsWith('127.') || address === '::1';
}

/** Serial numbers compare as integers: lower-case hex without leading zeros (as the responder's index keys them). */
function normalise(serial: string): string | undefined {
  const hex = serial.toLowerCase().replace(/:/g, '');
  if (!/^[0-9a-f]{1,64}$/.test(hex)) return undefined;
  return hex.replace(/^0+(?=.)/, '');
}

/** The statuses a running responder was told to answer instead of the fixtures'. */
export class OcspControl {
  private readonly overrides = new Map<string, OcspStatus>();
  private views = new WeakMap<OcspIssuer, OcspIssuer>();

  /** The responder's index with the overrides in force: what {@link answerOcspRequest} answers from. */
  view(index: OcspIndex): OcspIndex {
    if (this.overrides.size === 0) return index;
    const issuers = new Map<string, OcspIssuer>();
    // NOTE: one CA appears once per CertID hash algorithm, as the same object: keep that identity in the view, the
    // responder compares issuers by it.
    for (const [key, issuer] of index.issuers) {
      let seen = this.views.get(issuer);
      if (!seen) {
        const serials = new Map(issuer.serials);
        for (const [serial, status] of this.overrides) serials.set(serial, status);
        seen = { ...issuer, serials };
        this.views.set(issuer, seen);
      }
      issuers.set(key, seen);
    }
    return { ...index, issuers };
  }

  /** Sets (or with `undefined`, clears) the answer for one serial. */
  set(serial: string, status: OcspStatus | undefined): void {
    const key = normalise(serial);
    if (!key) throw new Error(`'${serial}' is not a hexadecimal serial number`);
    if (status) this.overrides.set(key, status);
    else this.overrides.delete(key);
    this.views = new WeakMap();
  }

  /** Serves a control route; false when the request is not one (the responder handles it). */
  async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean> {
    const rawPath = (req.url ?? '/').split('?')[0] ?? '/';
    if (rawPath !== OCSP_CONTROL_PATH && !rawPath.startsWith(`${OCSP_CONTROL_PATH}/`)) return false;
    const reply = (status: number, body?: unknown) => {
      const text = body === undefined ? '' : JSON.stringify(body) + '\n';
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (!isLoopbackAddress(req.socket.remoteAddress)) {
      reply(403, { error: 'the OCSP control answers loopback peers only' });
      return true;
    }
    if (req.method === 'GET' && (rawPath === `${OCSP_CONTROL_PATH}/status` || rawPath === OCSP_CONTROL_PATH)) {
      reply(200, Object.fromEntries(this.overrides));
      return true;
    }
    const match = /^\/control\/status\/([^/]+)$/.exec(rawPath);
    const serial = match ? normalise(decodeURIComponent(match[1]!)) : undefined;
    if (!serial) {
      reply(404, { error: 'PUT or DELETE /control/status/<serial hex>, or GET /control/status' });
      return true;
    }
    if (req.method === 'DELETE') {
      this.set(serial, undefined);
      reply(204);
      return true;
    }
    if (req.method !== 'PUT' && req.method !== 'POST') {
      reply(405, { error: 'use PUT with {"status":"good"|"revoked"|"unknown"}' });
      return true;
    }
    const body = await readSmall(req);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body ?? '');
    } catch {
      parsed = undefined;
    }
    const o = (parsed ?? {}) as { status?: unknown; reason?: unknown };
    if (typeof o.status !== 'string' || !STATUSES.includes(o.status as OcspStatus['status'])) {
      reply(400, { error: `Bad field 'status': expected one of ${STATUSES.join(', ')}` });
      return true;
    }
    const status = o.status as OcspStatus['status'];
    this.set(serial, {
      status,
      ...(status === 'revoked'
        ? { revokedAt: new Date(Date.now() - 1000).toISOString(), reason: String(o.reason ?? 'keyCompromise') }
        : {}),
    });
    reply(204);
    return true;
  }
}

/** Reads a small request body (undefined past {@link MAX_BODY}). */
function readSmall(req: http.IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => resolve(size > MAX_BODY ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(undefined));
  });
}

/**
 * Tells the responder behind `controlUrl` (its `/control` URL, on a loopback address) to answer `status` for
 * `serial` (`fixtures`: what the fixtures say again). Throws HarnessError MTLS_ERR_USAGE when the URL is not a loopback
 * http URL, and an Error when the responder does not confirm.
 */
export async function setOcspStatus(
  controlUrl: string,
  serial: string,
  status: OcspStatus['status'] | 'fixtures',
  timeoutMs = 3000,
): Promise<void> {
  const url = checkControlUrl(controlUrl);
  const target = new URL(`${url.pathname.replace(/\/$/, '')}/status/${serial.toLowerCase()}`, url);
  const res = await fetch(target, {
    method: status === 'fixtures' ? 'DELETE' : 'PUT',
    ...(status === 'fixtures'
      ? {}
      : { body: JSON.stringify({ status }), headers: { 'content-type': 'application/json' } }),
    signal: AbortSignal.timeout(timeoutMs),
  }).catch((cause: unknown) => {
    throw new Error(
      `the OCSP control at ${url.href} did not answer: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  });
  await res.arrayBuffer();
  if (res.status !== 204) throw new Error(`the OCSP control at ${url.href} answered HTTP ${res.status}`);
}

/** Parses an OCSP control URL: http on a loopback host, else HarnessError MTLS_ERR_USAGE. */
export function checkControlUrl(controlUrl: string): URL {
  let url: URL;
  try {
    url = new URL(controlUrl);
  } catch {
    throw new HarnessError('MTLS_ERR_USAGE', `--ocsp-control '${controlUrl}' is not a URL`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (url.protocol !== 'http:' || !(host === 'localhost' || isLoopbackAddress(host)))
    throw new HarnessError(
      'MTLS_ERR_USAGE',
      `--ocsp-control '${controlUrl}' must be an http URL on a loopback address (the control answers loopback peers only)`,
    );
  return url;
}
