/** Exit statuses: a contract users' scripts rely on. */
export const EXIT = {
  /** Conformant (or the command succeeded). */
  OK: 0,
  /** Non-conformant: a fail, an unexpected pass, or a load threshold breach. */
  NON_CONFORMANT: 1,
  /** Harness or usage error. */
  ERROR: 2,
} as const;
