import { join } from 'node:path';
import { HarnessError } from '../core/errors.js';
import { ensureDir, writeFilesAtomic } from '../core/fs.js';
import type { RunResult } from '../core/result.js';
import { formatConsole } from './console.js';
import { formatHtml } from './html.js';
import { formatJson } from './json.js';
import { formatJunit } from './junit.js';
import { formatMarkdown } from './markdown.js';
import type { Formatter, FormatterOptions, ReportFormat } from './types.js';

export type { Formatter, FormatterOptions, ReportFormat } from './types.js';
export { formatConsole, formatProgressLine } from './console.js';
export { formatHtml } from './html.js';
export { formatJson } from './json.js';
export { formatJunit } from './junit.js';
export { formatMarkdown } from './markdown.js';

/** Every report writer, by format name (STYLE.md rule 10). */
export const FORMATTERS: Readonly<Record<ReportFormat, Formatter>> = {
  console: formatConsole,
  json: formatJson,
  junit: formatJunit,
  markdown: formatMarkdown,
  html: formatHtml,
};

/**
 * The file each file format is written to inside the report directory. These names are a public contract: CI
 * configurations point at them.
 */
export const REPORT_FILES: Readonly<Record<Exclude<ReportFormat, 'console'>, string>> = {
  json: 'results.json',
  junit: 'junit.xml',
  markdown: 'summary.md',
  html: 'report.html',
};

/** True for a known report format name. */
export function isReportFormat(value: string): value is ReportFormat {
  return Object.hasOwn(FORMATTERS, value);
}

/**
 * Parses a comma-separated list of format names (`json,junit, html`): whitespace around names and empty items are
 * ignored, duplicates are dropped, order is kept. Throws `MTLS_ERR_USAGE` for an unknown name or an empty list.
 */
export function parseFormats(list: string): ReportFormat[] {
  const formats: ReportFormat[] = [];
  for (const raw of list.split(',')) {
    const name = raw.trim();
    if (name === '') continue;
    if (!isReportFormat(name)) {
      throw new HarnessError(
        'MTLS_ERR_USAGE',
        `Bad value '${name}' in '--format' argument: expected a comma-separated list of ${Object.keys(FORMATTERS).join(', ')}`,
      );
    }
    if (!formats.includes(name)) formats.push(name);
  }
  if (formats.length === 0) {
    throw new HarnessError(
      'MTLS_ERR_USAGE',
      `Empty '--format' argument: expected a comma-separated list of ${Object.keys(FORMATTERS).join(', ')}`,
    );
  }
  return formats;
}

/**
 * Writes one file per requested file format into `dir` (created with its parents), named by {@link REPORT_FILES},
 * and returns the paths written in the order of `formats`. `console` is not a file and is ignored here: the CLI
 * prints it. The files are written as a set (each to a temporary name, then all renamed into place): an interruption
 * or a full disk never leaves a short report, or new reports beside old ones. Throws `MTLS_ERR_OUT_UNWRITABLE` when
 * the directory or a file cannot be written; then no report file was replaced.
 */
export async function writeReports(
  run: RunResult,
  dir: string,
  formats: readonly ReportFormat[],
  opts: FormatterOptions = {},
): Promise<string[]> {
  const fileFormats = [...new Set(formats)].filter((f): f is Exclude<ReportFormat, 'console'> => f !== 'console');
  if (fileFormats.length === 0) return [];
  try {
    ensureDir(dir);
  } catch (cause) {
    throw new HarnessError('MTLS_ERR_OUT_UNWRITABLE', `Cannot create report directory '${dir}'`, { cause });
  }
  // NOTE: file reports never carry terminal colour, whatever the caller asked for the console.
  const files = fileFormats.map((format) => ({
    path: join(dir, REPORT_FILES[format]),
    data: FORMATTERS[format](run, { ...opts, color: false }),
  }));
  writeReportFiles(dir, files);
  return files.map((f) => f.path);
}

/**
 * Writes report files as one set ({@link writeFilesAtomic}), or throws MTLS_ERR_OUT_UNWRITABLE naming the directory
 * and the cause (`ENOSPC`), after which none of them was written.
 */
export function writeReportFiles(dir: string, files: readonly { path: string; data: string }[]): void {
  try {
    writeFilesAtomic(files);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? String(cause);
    throw new HarnessError(
      'MTLS_ERR_OUT_UNWRITABLE',
      `Cannot write the reports to '${dir}' (${code}): no report file was written`,
      { cause },
    );
  }
}
