/**
 * Stable error codes. Users' scripts match on these strings, so a code never changes meaning once released.
 * Every code maps to exit status 2 (harness or usage error).
 */
export const ERROR_CODES = {
  MTLS_ERR_USAGE: 'bad command line: unknown command, unknown flag or bad flag value',
  MTLS_ERR_CLOCK:
    'the --clock value is not a real ISO-8601 instant with a zone, or lies outside the range our certificates can carry',
  MTLS_ERR_PROFILE: 'unknown key profile',
  MTLS_ERR_CA_READ: 'the --ca-cert/--ca-key files cannot be read or parsed',
  MTLS_ERR_CA_MISMATCH: 'the --ca-key does not belong to --ca-cert, or the certificate is not a CA',
  MTLS_ERR_OUT_UNWRITABLE: 'the output directory cannot be created or written, or names a file',
  MTLS_ERR_FIXTURES_MISSING: 'no manifest.json in the fixtures directory',
  MTLS_ERR_MANIFEST_INVALID: 'manifest.json is not JSON, has the wrong schemaVersion, or breaks its schema',
  MTLS_ERR_MANIFEST_PATH:
    'a path in manifest.json is absolute, climbs out with .., or leads out of the fixtures directory through a link',
  MTLS_ERR_FIXTURES_STALE:
    "the fixture set's validity periods do not cover now: its clock is too far from the servers' clock",
  MTLS_ERR_PEM_MALFORMED: 'a PEM file is malformed',
  MTLS_ERR_FILE_MISSING: 'a file named by the manifest or a flag is missing',
  MTLS_ERR_PORT: 'the port is in use or cannot be bound',
  MTLS_ERR_TARGET_UNREACHABLE: 'the target refused the connection, timed out or does not resolve',
  MTLS_ERR_TARGET_NOT_TLS: 'the target does not speak TLS',
  MTLS_ERR_TARGET_UNTRUSTED: "the target's server certificate is not trusted by the fixtures' root",
  MTLS_ERR_SANITY: 'the sanity scenario (a valid client is accepted) failed, so no verdict can be trusted',
  MTLS_ERR_TARGET_UNAVAILABLE: 'the named target adapter is not available on this machine',
  MTLS_ERR_TARGET_START: 'the target process did not start or did not answer in time',
  MTLS_ERR_BASELINE: 'the --baseline file is missing or malformed',
  MTLS_ERR_SUITE_EMPTY: 'the --suite selection matched no scenario',
  MTLS_ERR_UNDECIDED: 'load --scenario: no probe was decided (every probe an error or a timeout), so no verdict',
  MTLS_ERR_MERGE_INPUT:
    'merge: an input is not a valid load results.json (schema, implausible windows or counters, bad histograms)',
  MTLS_ERR_MERGE_MISMATCH: 'merge: the results are of different runs (TLS version, mode, HTTP, scenario, target)',
  MTLS_ERR_INTERNAL: 'an unexpected internal error: a bug',
} as const;

/** One of the stable `MTLS_ERR_*` codes. */
export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * The only error type the CLI turns into a one-line message and exit status 2.
 * The message names the argument or field at fault, never a private key.
 */
export class HarnessError extends Error {
  override readonly name = 'HarnessError';
  /** A stable `MTLS_ERR_*` code. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** True for a {@link HarnessError}. */
export function isHarnessError(value: unknown): value is HarnessError {
  return value instanceof HarnessError;
}
