/**
 * TLS alert descriptions (RFC 8446 §6.2, RFC 5246 §7.2.2) and how they surface in Node's error codes.
 */
export const ALERTS = {
  close_notify: 0,
  unexpected_message: 10,
  bad_record_mac: 20,
  record_overflow: 22,
  handshake_failure: 40,
  bad_certificate: 42,
  unsupported_certificate: 43,
  certificate_revoked: 44,
  certificate_expired: 45,
  certificate_unknown: 46,
  illegal_parameter: 47,
  unknown_ca: 48,
  access_denied: 49,
  decode_error: 50,
  decrypt_error: 51,
  protocol_version: 70,
  insufficient_security: 71,
  internal_error: 80,
  inappropriate_fallback: 86,
  user_canceled: 90,
  missing_extension: 109,
  unsupported_extension: 110,
  unrecognized_name: 112,
  bad_certificate_status_response: 113,
  unknown_psk_identity: 115,
  certificate_required: 116,
  no_application_protocol: 120,
} as const;

/** A TLS alert name. */
export type AlertName = keyof typeof ALERTS;

const BY_CODE = new Map<number, AlertName>(Object.entries(ALERTS).map(([name, code]) => [code, name as AlertName]));

/** The alert name for a code, or undefined for a code we do not know. */
export function alertName(code: number): AlertName | undefined {
  return BY_CODE.get(code);
}

/**
 * Reads the alert a peer sent from a Node/OpenSSL error: `err.message` carries "SSL alert number N" whenever
 * OpenSSL received an alert record. Returns undefined when the error does not come from a received alert.
 */
export function alertFromNodeError(err: unknown): { name: AlertName | 'unknown'; code: number } | undefined {
  if (!(err instanceof Error)) return undefined;
  const match = /SSL alert number (\d+)/.exec(err.message);
  if (!match?.[1]) return undefined;
  const code = Number(match[1]);
  return { name: alertName(code) ?? 'unknown', code };
}
