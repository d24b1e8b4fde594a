/**
 * TLS code points (RFC 8446 §4, §B.3; RFC 5246 §7.4; RFC 8422; IANA TLS registries) and their names.
 */

/** Record content types (RFC 8446 §5.1). */
export const ContentType = {
  changeCipherSpec: 20,
  alert: 21,
  handshake: 22,
  applicationData: 23,
} as const;

/** Handshake message types (RFC 8446 §4, RFC 5246 §7.4). */
export const HandshakeType = {
  helloRequest: 0,
  clientHello: 1,
  serverHello: 2,
  newSessionTicket: 4,
  endOfEarlyData: 5,
  encryptedExtensions: 8,
  certificate: 11,
  serverKeyExchange: 12,
  certificateRequest: 13,
  serverHelloDone: 14,
  certificateVerify: 15,
  clientKeyExchange: 16,
  finished: 20,
  keyUpdate: 24,
  messageHash: 254,
} as const;

const HANDSHAKE_NAMES: Record<number, string> = {
  0: 'HelloRequest',
  1: 'ClientHello',
  2: 'ServerHello',
  4: 'NewSessionTicket',
  5: 'EndOfEarlyData',
  8: 'EncryptedExtensions',
  11: 'Certificate',
  12: 'ServerKeyExchange',
  13: 'CertificateRequest',
  14: 'ServerHelloDone',
  15: 'CertificateVerify',
  16: 'ClientKeyExchange',
  20: 'Finished',
  24: 'KeyUpdate',
};

/** Display name of a handshake type. */
export function handshakeName(type: number): string {
  return HANDSHAKE_NAMES[type] ?? `Handshake(${type})`;
}

/** Extension types (IANA). */
export const ExtensionType = {
  serverName: 0,
  statusRequest: 5,
  supportedGroups: 10,
  ecPointFormats: 11,
  signatureAlgorithms: 13,
  signedCertificateTimestamp: 18,
  extendedMasterSecret: 23,
  sessionTicket: 35,
  preSharedKey: 41,
  earlyData: 42,
  supportedVersions: 43,
  cookie: 44,
  pskKeyExchangeModes: 45,
  certificateAuthorities: 47,
  postHandshakeAuth: 49,
  signatureAlgorithmsCert: 50,
  keyShare: 51,
  renegotiationInfo: 0xff01,
} as const;

/** Named groups we offer (RFC 8446 §4.2.7). */
export const NamedGroup = {
  secp256r1: 0x0017,
  secp384r1: 0x0018,
  secp521r1: 0x0019,
  x25519: 0x001d,
} as const;

/** Name of a named group. */
export function groupName(group: number): string {
  switch (group) {
    case NamedGroup.secp256r1:
      return 'secp256r1';
    case NamedGroup.secp384r1:
      return 'secp384r1';
    case NamedGroup.x25519:
      return 'x25519';
    case 0x001e:
      return 'x448';
    case NamedGroup.secp521r1:
      return 'secp521r1';
    default:
      return `0x${group.toString(16).padStart(4, '0')}`;
  }
}

/** Signature schemes (RFC 8446 §4.2.3). */
export const SignatureScheme = {
  // NOTE: RFC 5246 §7.4.1.4.1 HashAlgorithm md5(1) paired with rsa(1) / ecdsa(3); RFC 9155 forbids them.
  rsa_pkcs1_md5: 0x0101,
  ecdsa_md5: 0x0103,
  rsa_pkcs1_sha1: 0x0201,
  ecdsa_sha1: 0x0203,
  rsa_pkcs1_sha256: 0x0401,
  rsa_pkcs1_sha384: 0x0501,
  rsa_pkcs1_sha512: 0x0601,
  ecdsa_secp256r1_sha256: 0x0403,
  ecdsa_secp384r1_sha384: 0x0503,
  ecdsa_secp521r1_sha512: 0x0603,
  rsa_pss_rsae_sha256: 0x0804,
  rsa_pss_rsae_sha384: 0x0805,
  rsa_pss_rsae_sha512: 0x0806,
  ed25519: 0x0807,
  ed448: 0x0808,
  rsa_pss_pss_sha256: 0x0809,
  rsa_pss_pss_sha384: 0x080a,
  rsa_pss_pss_sha512: 0x080b,
} as const;

/**
 * TLS 1.2 SignatureAndHashAlgorithm pairs we never send but name when a server offers them (RFC 5246 §7.4.1.4.1,
 * RFC 5246's dsa and RFC 3874's sha224).
 */
const LEGACY_SCHEME_NAMES: Readonly<Record<number, string>> = {
  0x0102: 'dsa_md5',
  0x0202: 'dsa_sha1',
  0x0301: 'rsa_pkcs1_sha224',
  0x0302: 'dsa_sha224',
  0x0303: 'ecdsa_sha224',
  0x0402: 'dsa_sha256',
  0x0502: 'dsa_sha384',
  0x0602: 'dsa_sha512',
};

const SCHEME_NAMES = new Map<number, string>([
  ...Object.entries(LEGACY_SCHEME_NAMES).map(([k, v]) => [Number(k), v] as const),
  ...Object.entries(SignatureScheme).map(([k, v]) => [v, k] as const),
]);

/** The code point of a scheme name (`schemeName`'s inverse), or undefined. */
export function schemeCode(name: string): number | undefined {
  if (/^0x[0-9a-f]{4}$/i.test(name)) return Number.parseInt(name, 16);
  for (const [code, n] of SCHEME_NAMES) if (n === name) return code;
  return undefined;
}

/** Name of a signature scheme, or its hex code point. */
export function schemeName(scheme: number): string {
  return SCHEME_NAMES.get(scheme) ?? `0x${scheme.toString(16).padStart(4, '0')}`;
}

/** TLS 1.2 ClientCertificateType names (RFC 5246 §7.4.4, RFC 8422 §5.5). */
const CERTIFICATE_TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'rsa_sign',
  2: 'dss_sign',
  3: 'rsa_fixed_dh',
  4: 'dss_fixed_dh',
  5: 'rsa_ephemeral_dh',
  6: 'dss_ephemeral_dh',
  20: 'fortezza_dms',
  64: 'ecdsa_sign',
  65: 'rsa_fixed_ecdh',
  66: 'ecdsa_fixed_ecdh',
};

/** Name of a TLS 1.2 certificate type, or its number. */
export function certificateTypeName(type: number): string {
  return CERTIFICATE_TYPE_NAMES[type] ?? String(type);
}

/** Cipher suites we implement. */
export const CipherSuite = {
  TLS_AES_128_GCM_SHA256: 0x1301,
  TLS_AES_256_GCM_SHA384: 0x1302,
  TLS_CHACHA20_POLY1305_SHA256: 0x1303,
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 0xc02b,
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 0xc02c,
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 0xc02f,
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 0xc030,
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 0xcca8,
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 0xcca9,
} as const;

const SUITE_NAMES = new Map<number, string>(Object.entries(CipherSuite).map(([k, v]) => [v, k]));

/** Name of a cipher suite, or its hex code point. */
export function suiteName(suite: number): string {
  return SUITE_NAMES.get(suite) ?? `0x${suite.toString(16).padStart(4, '0')}`;
}

/** AEAD and hash of a cipher suite. */
export interface SuiteParams {
  readonly aead: 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';
  readonly keyLength: number;
  readonly hash: 'sha256' | 'sha384';
  readonly hashLength: number;
}

/** Parameters of a suite we implement, or undefined. */
export function suiteParams(suite: number): SuiteParams | undefined {
  switch (suite) {
    case CipherSuite.TLS_AES_128_GCM_SHA256:
    case CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256:
    case CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256:
      return { aead: 'aes-128-gcm', keyLength: 16, hash: 'sha256', hashLength: 32 };
    case CipherSuite.TLS_AES_256_GCM_SHA384:
    case CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384:
    case CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384:
      return { aead: 'aes-256-gcm', keyLength: 32, hash: 'sha384', hashLength: 48 };
    case CipherSuite.TLS_CHACHA20_POLY1305_SHA256:
    case CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256:
    case CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256:
      return { aead: 'chacha20-poly1305', keyLength: 32, hash: 'sha256', hashLength: 32 };
    default:
      return undefined;
  }
}

/** Protocol version code points. */
export const ProtocolVersion = {
  tls12: 0x0303,
  tls13: 0x0304,
} as const;

/** Alert levels (RFC 5246 §7.2). */
export const AlertLevel = { warning: 1, fatal: 2 } as const;

/**
 * no_renegotiation(100), the warning alert a TLS 1.2 client answers a HelloRequest with when it refuses to renegotiate
 * (RFC 5246 §7.2.2). Only the client sends it, so it lives here and not in core's table of alerts servers send.
 */
export const NO_RENEGOTIATION = 100;
