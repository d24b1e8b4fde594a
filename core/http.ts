/**
 * HTTP statuses that mean "the server refused the client at the application layer" (495/496: nginx's cert errors;
 * 421 Misdirected Request, RFC 9110 §15.5.20: nginx's refusal of a request whose Host is not the server name the TLS
 * session was made for, as when a session from another virtual host is resumed).
 */
export const REJECTING_HTTP_STATUSES: ReadonlySet<number> = new Set([400, 401, 403, 421, 495, 496]);

/** Reads the status code from the start of an HTTP/1.x response, or undefined if there is no status line yet. */
export function httpStatusOf(data: Uint8Array): number | undefined {
  const text = Buffer.from(data.buffer, data.byteOffset, Math.min(data.byteLength, 64)).toString('latin1');
  const match = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(text);
  return match ? Number(match[1]) : undefined;
}
