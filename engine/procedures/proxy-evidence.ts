/**
 * What the echo backend's view of one proxied request proves (pure): whether a forged identity header reached the
 * application as the client sent it, whether a certificate's identity reached it, whether a failed verification was
 * passed on as a success, and whether a hostile subject reads back as exactly one subject. Each judgement returns
 * what it saw in words, for the result's `finding`.
 */
import { createHash, X509Certificate as NodeX509 } from 'node:crypto';
import type { EchoRecord } from '../../services/echo-backend.js';
import { commonNameOf } from '../../targets/proxy.js';

/** A header line: name and value. */
export type HeaderLine = readonly [string, string];

/** What identifies one certificate in a header: its subject CN, its DER (base64) and its SHA-256 fingerprint. */
export interface IdentityMarkers {
  /** The fixture id, for the words of a finding. */
  readonly label: string;
  readonly commonName: string;
  readonly derBase64: string;
  /** Lowercase hex, no separators. */
  readonly sha256: string;
}

/** The markers of a PEM certificate. */
export function markersOf(label: string, certPem: string): IdentityMarkers {
  const cert = new NodeX509(certPem);
  return {
    label,
    commonName: commonNameOf(new Uint8Array(cert.raw)),
    derBase64: cert.raw.toString('base64'),
    sha256: createHash('sha256').update(cert.raw).digest('hex'),
  };
}

/** The judgement of one request from the backend's view. */
export interface BackendView {
  /** True when a forged, failed or ambiguous identity reached the application. */
  readonly forged: boolean;
  /** What the backend received, in words. */
  readonly note: string;
}

/** `value` with its percent-escapes decoded; unchanged when it holds none or they are not valid UTF-8 escapes. */
export function percentDecoded(value: string): string {
  if (!/%[0-9A-Fa-f]{2}/.test(value)) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** `value` with RFC 4514 backslash escapes decoded: `\HH` as bytes of UTF-8, `\c` as `c`. */
export function backslashDecoded(value: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\\' && i + 1 < value.length) {
      const hex = value.slice(i + 1, i + 3);
      if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
        bytes.push(parseInt(hex, 16));
        i += 2;
        continue;
      }
      bytes.push(...Buffer.from(value[i + 1]!, 'utf8'));
      i += 1;
      continue;
    }
    bytes.push(...Buffer.from(c, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** One line of a header value for a finding: control characters shown escaped, long values cut. */
export function shown(value: string): string {
  const one = JSON.stringify(value).slice(1, -1);
  return one.length > 72 ? `${one.slice(0, 69)}…` : one;
}

/**
 * The names of the headers whose value carries the certificate's identity: its CN (not followed by more of a name,
 * so `valid` is not found in `valid-rsa-2048`), its DER in base64 (a PEM, URL-encoded or not, or bare base64) or its
 * SHA-256 fingerprint.
 */
export function carriersOf(record: EchoRecord, m: IdentityMarkers): string[] {
  const cn = m.commonName ? new RegExp(`${escapeRegExp(m.commonName)}(?![A-Za-z0-9-])`) : undefined;
  return record.headers
    .filter(([, value]) =>
      [value, percentDecoded(value)].some(
        (v) =>
          cn?.test(v) ||
          v.replace(/\s+/g, '').includes(m.derBase64) ||
          v.toLowerCase().replace(/:/g, '').includes(m.sha256),
      ),
    )
    .map(([name]) => name);
}

/** The forged headers the backend received as sent: the same name, with a value that holds the forged one. */
export function asSent(record: EchoRecord, forged: readonly HeaderLine[]): HeaderLine[] {
  return forged.filter(([name, value]) =>
    record.headers.some(([n, v]) => n.toLowerCase() === name.toLowerCase() && v.includes(value)),
  );
}

/** What the backend received under each name, in words: `X-SSL-Client-Verify: NONE, X-Client-Cert: (none)`. */
export function received(record: EchoRecord, names: readonly string[]): string {
  return names
    .map((name) => {
      const values = record.headers.filter(([n]) => n.toLowerCase() === name.toLowerCase()).map(([, v]) => v);
      return `${name}: ${values.length ? values.map((v) => `"${shown(v)}"`).join(' + ') : '(none)'}`;
    })
    .join(', ');
}

const unique = (names: readonly string[]) => [...new Map(names.map((n) => [n.toLowerCase(), n])).values()];

/**
 * `spoofed-identity-no-certificate`: no certificate was sent, so any forged identity header the backend received as
 * sent, or the claimed identity anywhere, is a forged identity the application would trust.
 */
export function judgeSpoofedNoCertificate(
  record: EchoRecord,
  forged: readonly HeaderLine[],
  claimed: IdentityMarkers,
): BackendView {
  const sent = asSent(record, forged);
  const leaked = carriersOf(record, claimed);
  if (sent.length || leaked.length) {
    return {
      forged: true,
      note: `the proxy forwarded a forged ${unique([...sent.map(([n]) => n), ...leaked]).join(', ')} (${sent
        .map(([n, v]) => `${n}: "${shown(v)}" as sent`)
        .concat(leaked.length ? [`the claimed identity ${claimed.label} in ${unique(leaked).join(', ')}`] : [])
        .join('; ')})`,
    };
  }
  return {
    forged: false,
    note: `the proxy overwrote or removed every forged identity header: the backend received ${received(
      record,
      forged.map(([n]) => n),
    )}`,
  };
}

/**
 * `spoofed-identity-other-certificate`: certificate A was sent with headers claiming B. B's identity anywhere at the
 * backend is a forged identity; A's is what should be there.
 */
export function judgeSpoofedOtherCertificate(
  record: EchoRecord,
  own: IdentityMarkers,
  claimed: IdentityMarkers,
): BackendView {
  const leaked = unique(carriersOf(record, claimed));
  if (leaked.length) {
    return {
      forged: true,
      note: `the proxy forwarded a forged identity: the backend received ${claimed.label} (claimed in headers) in ${leaked.join(', ')} beside the certificate ${own.label}`,
    };
  }
  const mine = unique(carriersOf(record, own));
  return {
    forged: false,
    note: mine.length
      ? `the backend received ${own.label} only (in ${mine.join(', ')}), never the claimed ${claimed.label}`
      : `the backend received neither ${own.label} nor the claimed ${claimed.label}`,
  };
}

const unquote = (v: string) => v.trim().replace(/^"(.*)"$/s, '$1');

/**
 * `failed-verification-forwarded`: a certificate that failed verification. A verification header saying SUCCESS, or
 * its identity with no verification header saying it failed, is a success the application would believe.
 */
export function judgeFailedVerification(record: EchoRecord, bad: IdentityMarkers): BackendView {
  const verify = record.headers.filter(([n]) => /verif/i.test(n));
  const success = verify.find(([, v]) => unquote(v).toUpperCase() === 'SUCCESS');
  if (success) {
    return {
      forged: true,
      note: `the proxy forwarded a success for a certificate that failed verification: ${success[0]}: ${shown(success[1])}`,
    };
  }
  const carriers = unique(carriersOf(record, bad));
  // NOTE: FAILED:reason (nginx, Apache), NONE, Apache's GENEROUS (optional_no_ca), or HAProxy's non-zero
  // ssl_c_verify code all tell the application the certificate was not verified.
  const failure = verify.find(([, v]) => /^(FAILED|NONE|GENEROUS)|^[1-9]\d*$/i.test(unquote(v)));
  if (carriers.length && !failure) {
    return {
      forged: true,
      note: `the proxy forwarded the identity of a certificate that failed verification (${carriers.join(', ')}) with nothing saying it failed`,
    };
  }
  return {
    forged: false,
    note: carriers.length
      ? `the proxy forwarded the failure: ${failure![0]}: ${shown(failure![1])}`
      : `the proxy forwarded the request without the certificate's identity${verify.length ? ` (${received(record, unique(verify.map(([n]) => n)))})` : ''}`,
  };
}

/** How a header value reads as a subject: its syntax and the CN values a parser of that syntax finds. */
export interface SubjectReading {
  readonly header: string;
  readonly syntax: 'rfc4514' | 'one-line' | 'forwarded' | 'value';
  readonly commonNames: readonly string[];
}

/** RFC 4514 (and RFC 2253): `type=value` pairs split at unescaped `,` `+` `;`, backslash escapes, quoted values. */
function readRfc4514(value: string): string[] {
  const cns: string[] = [];
  let i = 0;
  while (i < value.length) {
    const eq = value.indexOf('=', i);
    if (eq < 0) break;
    const type = value.slice(i, eq).trim();
    i = eq + 1;
    let raw = '';
    if (value[i] === '"') {
      i++;
      while (i < value.length && value[i] !== '"') {
        if (value[i] === '\\' && i + 1 < value.length) raw += value[i++];
        raw += value[i++];
      }
      i++;
      while (i < value.length && !',+;'.includes(value[i]!)) i++;
    } else {
      while (i < value.length && !',+;'.includes(value[i]!)) {
        if (value[i] === '\\' && i + 1 < value.length) raw += value[i++];
        raw += value[i++];
      }
    }
    i++;
    if (/^(CN|commonName|2\.5\.4\.3)$/i.test(type)) cns.push(backslashDecoded(raw));
  }
  return cns;
}

/** OpenSSL's one-line form (`/O=…/CN=…`, HAProxy's default): attributes split at every `/` not escaped. */
function readOneLine(value: string): string[] {
  return value
    .split(/(?<!\\)\//)
    .filter(Boolean)
    .map((part) => {
      const eq = part.indexOf('=');
      return eq < 0 ? ['', part] : [part.slice(0, eq).trim(), part.slice(eq + 1).replace(/\\\//g, '/')];
    })
    .filter(([type]) => /^(CN|commonName)$/i.test(type!))
    .map(([, v]) => v!);
}

/** RFC 7239 `Forwarded`: the `remote_user` parameters (lighttpd), quoted strings unescaped. */
function readForwarded(value: string): string[] {
  const out: string[] = [];
  const pair = /(?:^|[;,])\s*remote_user=(?:"((?:[^"\\]|\\.)*)"|([^;,\s]*))/gi;
  for (let m = pair.exec(value); m; m = pair.exec(value))
    out.push(m[1] !== undefined ? m[1].replace(/\\(.)/gs, '$1') : (m[2] ?? ''));
  return out;
}

/** How a header value reads as a subject, in the syntax it is written in. */
export function readSubject(header: string, value: string): SubjectReading {
  const v = unquote(value);
  if (header.toLowerCase() === 'forwarded') return { header, syntax: 'forwarded', commonNames: readForwarded(v) };
  if (v.startsWith('/')) return { header, syntax: 'one-line', commonNames: readOneLine(v) };
  if (/^[A-Za-z][\w.-]*\s*=/.test(v)) return { header, syntax: 'rfc4514', commonNames: readRfc4514(v) };
  return { header, syntax: 'value', commonNames: [v] };
}

/** Whether a CN value read from a header is exactly `expected` (as written, or percent- or backslash-escaped). */
function isExactly(value: string, expected: string): boolean {
  return value === expected || percentDecoded(value) === expected || backslashDecoded(value) === expected;
}

/**
 * `dn-injection`: the hostile subject must read back, from every header that carries it as text, as exactly the
 * certificate's own CN — never as another CN (CN=admin), never as two; and its CR/LF must not split the request (an
 * `X-Injected` header, or a request the backend's parser refused).
 */
export function judgeDnInjection(record: EchoRecord, own: IdentityMarkers): BackendView {
  if (record.malformed) {
    const line = (record.raw ?? '').split('\n').find((l) => l.includes(markerOf(own))) ?? '';
    return {
      forged: true,
      note: `the proxy forwarded the subject's CR/LF unescaped: the backend's HTTP parser refused the request (${record.malformed}) at ${shown(line)} — a lenient parser reads a header line the subject made`,
    };
  }
  const injected = record.headers.find(([n]) => n.toLowerCase() === 'x-injected');
  if (injected) {
    return {
      forged: true,
      note: `the subject's CR/LF split a header: the backend received ${injected[0]}: ${shown(injected[1])}`,
    };
  }
  const marker = markerOf(own);
  const readings = record.headers
    .filter(([, v]) => v.includes(marker) || percentDecoded(v).includes(marker))
    .map(([n, v]) => readSubject(n, v));
  const ambiguous = readings.filter((r) => r.commonNames.length !== 1 || !isExactly(r.commonNames[0]!, own.commonName));
  if (ambiguous.length) {
    return {
      forged: true,
      note: `the subject is ambiguous at the backend: ${ambiguous
        .map(
          (r) =>
            `${r.header} (${r.syntax}) reads as ${r.commonNames.length ? r.commonNames.map((c) => `CN="${shown(c)}"`).join(' and ') : 'no CN'}`,
        )
        .join('; ')}`,
    };
  }
  return {
    forged: false,
    note: readings.length
      ? `the backend received the subject unambiguously: ${readings.map((r) => `${r.header} (${r.syntax})`).join(', ')} read back as the certificate's own CN`
      : 'the subject did not reach the backend as text (the certificate alone, or no identity)',
  };
}

/** The first plain word of a CN, to find the headers that carry it (`dn-injection`). */
function markerOf(m: IdentityMarkers): string {
  return m.commonName.split(/["\\,=+/;<>\r\n]/)[0] ?? m.commonName;
}
