/**
 * Proxy mode (issue 12): a target in front of the harness's echo backend, forwarding the client identity it verified
 * in request headers. What every proxy target shares: the path it forwards, the identity header names a client may
 * forge (a correct proxy overwrites or removes each of them), and an unambiguous rendering of a subject.
 */
import { x509 } from '../fixtures-gen/x509.js';
import type { Endpoint } from './target.js';

/** The path prefix a target in proxy mode forwards to the echo backend (everything else it answers itself). */
export const PROXY_PATH = '/proxied/';

/**
 * The identity headers the proxy-identity scenarios forge. A correct proxy overwrites each with its own value or
 * removes it: the scenarios cannot know which one the application reads, so a copy that reaches it as the client
 * sent it is a forged identity.
 */
export const FORGEABLE_IDENTITY_HEADERS = [
  'X-SSL-Client-Verify',
  'X-SSL-Client-S-DN',
  'X-Client-Cert',
  'X-Forwarded-Client-Cert',
] as const;

/** What a target in proxy mode forwards to, and which of its paths does. */
export interface ProxyMode {
  /** The echo backend the target forwards to; scenarios ask it what it received. */
  readonly echo: Endpoint;
  /**
   * The path prefix that is forwarded, path kept: {@link PROXY_PATH} (a HOST:PORT proxy may forward every path; the
   * backend finds the nonce after `/echo/` whatever comes before).
   */
  readonly path: string;
}

/** RFC 4514 §2.4 characters escaped with a backslash anywhere in a value, plus `=` (allowed, and clearer). */
const ESCAPED = new Set(['"', '+', ',', ';', '<', '>', '\\', '=']);

/**
 * A certificate's subject as an RFC 4514 string (last RDN first, `+` between the values of one RDN), every character
 * a DN parser or an HTTP header gives a meaning to escaped: the specials with a backslash, control characters and
 * DEL as `\HH` (so a CR/LF in a subject cannot split a header), a leading `#` or space and a trailing space. The
 * string reads back as exactly one subject.
 */
export function rfc4514Subject(der: Uint8Array<ArrayBuffer>): string {
  const name = new x509.X509Certificate(der).subjectName.toJSON();
  const value = (v: string) => {
    const chars = [...v];
    return chars
      .map((c, i) => {
        const code = c.codePointAt(0)!;
        if (code < 0x20 || code === 0x7f) return `\\${code.toString(16).toUpperCase().padStart(2, '0')}`;
        if (ESCAPED.has(c)) return `\\${c}`;
        if ((i === 0 && (c === '#' || c === ' ')) || (i === chars.length - 1 && c === ' ')) return `\\${c}`;
        return c;
      })
      .join('');
  };
  return [...name]
    .reverse()
    .map((rdn) =>
      Object.entries(rdn)
        .flatMap(([type, values]) => values.map((v) => `${type}=${value(v)}`))
        .join('+'),
    )
    .join(',');
}

/** The first common name of a certificate's subject, exactly as the certificate holds it ('' when it has none). */
export function commonNameOf(der: Uint8Array<ArrayBuffer>): string {
  return new x509.X509Certificate(der).subjectName.getField('CN')[0] ?? '';
}
