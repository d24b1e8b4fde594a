/**
 * The names `--groups`, `--ciphers` and `--sigalgs` accept, their TLS code points (for the wire engine) and their
 * OpenSSL spellings (for the node:tls engine), and which of them the wire engine implements.
 */
import { CipherSuite, NamedGroup, SignatureScheme } from '../../wire/constants.js';

/** A group name as `--groups` takes it, its code point and OpenSSL's name (for node's `ecdhCurve`). */
interface GroupName {
  readonly code: number;
  readonly openssl: string;
  /** The wire engine makes key shares of this group. */
  readonly wire: boolean;
}

const GROUPS: Record<string, GroupName> = {
  x25519: { code: NamedGroup.x25519, openssl: 'X25519', wire: true },
  'p-256': { code: NamedGroup.secp256r1, openssl: 'P-256', wire: true },
  secp256r1: { code: NamedGroup.secp256r1, openssl: 'P-256', wire: true },
  prime256v1: { code: NamedGroup.secp256r1, openssl: 'P-256', wire: true },
  'p-384': { code: NamedGroup.secp384r1, openssl: 'P-384', wire: true },
  secp384r1: { code: NamedGroup.secp384r1, openssl: 'P-384', wire: true },
  'p-521': { code: 0x0019, openssl: 'P-521', wire: true },
  secp521r1: { code: 0x0019, openssl: 'P-521', wire: true },
  x448: { code: 0x001e, openssl: 'X448', wire: false },
};

/** A cipher suite: its IANA name (what `--ciphers` takes), code point, version and OpenSSL name. */
interface SuiteName {
  readonly name: string;
  readonly code: number;
  readonly tls: '1.2' | '1.3';
  readonly openssl: string;
  readonly wire: boolean;
}

const SUITES: readonly SuiteName[] = [
  {
    name: 'TLS_AES_128_GCM_SHA256',
    code: CipherSuite.TLS_AES_128_GCM_SHA256,
    tls: '1.3',
    openssl: 'TLS_AES_128_GCM_SHA256',
    wire: true,
  },
  {
    name: 'TLS_AES_256_GCM_SHA384',
    code: CipherSuite.TLS_AES_256_GCM_SHA384,
    tls: '1.3',
    openssl: 'TLS_AES_256_GCM_SHA384',
    wire: true,
  },
  {
    name: 'TLS_CHACHA20_POLY1305_SHA256',
    code: CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
    tls: '1.3',
    openssl: 'TLS_CHACHA20_POLY1305_SHA256',
    wire: true,
  },
  {
    name: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
    code: CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    tls: '1.2',
    openssl: 'ECDHE-ECDSA-AES128-GCM-SHA256',
    wire: true,
  },
  {
    name: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
    code: CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    tls: '1.2',
    openssl: 'ECDHE-ECDSA-AES256-GCM-SHA384',
    wire: true,
  },
  {
    name: 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
    code: CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    tls: '1.2',
    openssl: 'ECDHE-ECDSA-CHACHA20-POLY1305',
    wire: true,
  },
  {
    name: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
    code: CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    tls: '1.2',
    openssl: 'ECDHE-RSA-AES128-GCM-SHA256',
    wire: true,
  },
  {
    name: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
    code: CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    tls: '1.2',
    openssl: 'ECDHE-RSA-AES256-GCM-SHA384',
    wire: true,
  },
  {
    name: 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
    code: CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    tls: '1.2',
    openssl: 'ECDHE-RSA-CHACHA20-POLY1305',
    wire: true,
  },
];

/** Signature schemes `--sigalgs` takes (RFC 8446 §4.2.3 names) and OpenSSL's spelling for node's `sigalgs`. */
const SIGALGS: Record<string, { readonly code: number; readonly openssl: string }> = {
  ecdsa_secp256r1_sha256: { code: SignatureScheme.ecdsa_secp256r1_sha256, openssl: 'ECDSA+SHA256' },
  ecdsa_secp384r1_sha384: { code: SignatureScheme.ecdsa_secp384r1_sha384, openssl: 'ECDSA+SHA384' },
  ecdsa_secp521r1_sha512: { code: SignatureScheme.ecdsa_secp521r1_sha512, openssl: 'ECDSA+SHA512' },
  rsa_pss_rsae_sha256: { code: SignatureScheme.rsa_pss_rsae_sha256, openssl: 'rsa_pss_rsae_sha256' },
  rsa_pss_rsae_sha384: { code: SignatureScheme.rsa_pss_rsae_sha384, openssl: 'rsa_pss_rsae_sha384' },
  rsa_pss_rsae_sha512: { code: SignatureScheme.rsa_pss_rsae_sha512, openssl: 'rsa_pss_rsae_sha512' },
  rsa_pss_pss_sha256: { code: SignatureScheme.rsa_pss_pss_sha256, openssl: 'rsa_pss_pss_sha256' },
  rsa_pss_pss_sha384: { code: SignatureScheme.rsa_pss_pss_sha384, openssl: 'rsa_pss_pss_sha384' },
  rsa_pss_pss_sha512: { code: SignatureScheme.rsa_pss_pss_sha512, openssl: 'rsa_pss_pss_sha512' },
  rsa_pkcs1_sha256: { code: SignatureScheme.rsa_pkcs1_sha256, openssl: 'RSA+SHA256' },
  rsa_pkcs1_sha384: { code: SignatureScheme.rsa_pkcs1_sha384, openssl: 'RSA+SHA384' },
  rsa_pkcs1_sha512: { code: SignatureScheme.rsa_pkcs1_sha512, openssl: 'RSA+SHA512' },
  ed25519: { code: SignatureScheme.ed25519, openssl: 'ed25519' },
};

/** Names `--groups` accepts (case-insensitive). */
export const GROUP_NAMES: readonly string[] = ['X25519', 'P-256', 'P-384', 'P-521', 'X448'];
/** Names `--ciphers` accepts. */
export const SUITE_NAMES: readonly string[] = SUITES.map((s) => s.name);
/** Names `--sigalgs` accepts. */
export const SIGALG_NAMES: readonly string[] = Object.keys(SIGALGS);

/** The group named, or undefined. */
export function lookupGroup(name: string): GroupName | undefined {
  return GROUPS[name.toLowerCase()];
}

/** The suite named (IANA name, or OpenSSL's), or undefined. */
export function lookupSuite(name: string): SuiteName | undefined {
  const n = name.toUpperCase();
  return SUITES.find((s) => s.name === n || s.openssl === n);
}

/** The signature scheme named, or undefined. */
export function lookupSigalg(name: string): { readonly code: number; readonly openssl: string } | undefined {
  return SIGALGS[name.toLowerCase()];
}

/** Every suite of a version, in our default preference. */
export function suitesOf(tls: '1.2' | '1.3'): readonly SuiteName[] {
  return SUITES.filter((s) => s.tls === tls);
}

/**
 * node:tls options for the lists: `ecdhCurve`, `ciphers` (TLS 1.3 and TLS 1.2 suites, at the harness's
 * `@SECLEVEL=0`), `sigalgs`. Lists not given are left out (OpenSSL's defaults).
 */
export function nodeTlsOptions(o: {
  readonly groups: readonly string[] | null;
  readonly ciphers: readonly string[] | null;
  readonly sigalgs: readonly string[] | null;
}): { ecdhCurve?: string; ciphers?: string; sigalgs?: string } {
  const out: { ecdhCurve?: string; ciphers?: string; sigalgs?: string } = {};
  if (o.groups) out.ecdhCurve = o.groups.map((g) => lookupGroup(g)!.openssl).join(':');
  if (o.ciphers) {
    const suites = o.ciphers.map((c) => lookupSuite(c)!);
    const v12 = suites.filter((s) => s.tls === '1.2').map((s) => s.openssl);
    const v13 = suites.filter((s) => s.tls === '1.3').map((s) => s.openssl);
    // NOTE: node takes TLS 1.3 suites in `ciphers` too (the TLS_ names go to SSL_CTX_set_ciphersuites); without a
    // TLS 1.2 name OpenSSL's DEFAULT stays, with the security level the harness's contexts use.
    out.ciphers = [...v13, ...(v12.length ? v12 : ['DEFAULT']), '@SECLEVEL=0'].join(':');
  }
  if (o.sigalgs) out.sigalgs = o.sigalgs.map((s) => lookupSigalg(s)!.openssl).join(':');
  return out;
}
