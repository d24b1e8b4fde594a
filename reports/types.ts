import type { RunResult } from '../core/result.js';

/** The report formats the harness can write. `console` goes to a terminal; the others go to files. */
export type ReportFormat = 'console' | 'json' | 'junit' | 'markdown' | 'html';

/** Options shared by every formatter. Formatters ignore options that mean nothing to them. */
export interface FormatterOptions {
  /** Emit ANSI colour escapes (console only). Default false. */
  readonly color?: boolean;
  /**
   * Console: also the full table of every scenario × TLS version and every finding of Sessions and identity (default:
   * only what needs reading).
   */
  readonly verbose?: boolean;
}

/**
 * A report writer: a pure function from a versioned {@link RunResult} to the full text of one report.
 * It never reads the clock, the environment or the file system, so the same run always renders the same bytes.
 */
export interface Formatter {
  (run: RunResult, opts?: FormatterOptions): string;
}
