import { join } from 'node:path';
import { HarnessError } from '../core/errors.js';
import { ensureDir } from '../core/fs.js';
import { writeReportFiles } from './index.js';
import type { LoadResult } from '../core/load-result.js';
import { formatLoadConsole } from './load-console.js';
import { formatLoadHtml } from './load-html.js';
import { formatLoadJson } from './load-json.js';
import { formatLoadJunit } from './load-junit.js';
import { formatLoadMarkdown } from './load-markdown.js';
import type { FormatterOptions } from './types.js';

export { formatLoadConsole, formatLoadTick, describeLoad, loadStatusLine } from './load-console.js';
export { formatLoadHtml } from './load-html.js';
export { formatLoadJson } from './load-json.js';
export { formatLoadJunit } from './load-junit.js';
export { formatLoadMarkdown } from './load-markdown.js';
export { loadGates, loadStatus, type LoadGate, type LoadGateId, type LoadStatus } from './load-gates.js';

/** Report formats of a load run (or a merge): the same names, and the same file names, as those of `run`. */
export type LoadReportFormat = 'console' | 'json' | 'junit' | 'markdown' | 'html';

/** Every load report format, in the order help texts list them. */
export const LOAD_REPORT_FORMATS: readonly LoadReportFormat[] = ['console', 'json', 'junit', 'markdown', 'html'];

/** A load report writer: a pure function from a {@link LoadResult} to the text of one report. */
export type LoadFormatter = (result: LoadResult, opts?: FormatterOptions) => string;

/** Every load report writer, by format name. */
export const LOAD_FORMATTERS: Readonly<Record<LoadReportFormat, LoadFormatter>> = {
  console: formatLoadConsole,
  json: formatLoadJson,
  junit: formatLoadJunit,
  markdown: formatLoadMarkdown,
  html: formatLoadHtml,
};

/**
 * File names inside the report directory: a public contract (`merge` reads results.json; CI configurations point at
 * junit.xml and summary.md), the same as `run`'s.
 */
export const LOAD_REPORT_FILES: Readonly<Record<Exclude<LoadReportFormat, 'console'>, string>> = {
  json: 'results.json',
  junit: 'junit.xml',
  markdown: 'summary.md',
  html: 'report.html',
};

/** Parses `console,json,junit,markdown,html` (order kept, duplicates dropped); MTLS_ERR_USAGE for anything else. */
export function parseLoadFormats(list: string): LoadReportFormat[] {
  const out: LoadReportFormat[] = [];
  for (const raw of list.split(',')) {
    const name = raw.trim();
    if (!name) continue;
    if (!Object.hasOwn(LOAD_FORMATTERS, name))
      throw new HarnessError(
        'MTLS_ERR_USAGE',
        `Bad value '${name}' in '--format' argument: expected a comma-separated list of ${LOAD_REPORT_FORMATS.join(', ')}`,
      );
    if (!out.includes(name as LoadReportFormat)) out.push(name as LoadReportFormat);
  }
  if (out.length === 0)
    throw new HarnessError(
      'MTLS_ERR_USAGE',
      `Empty '--format' argument: expected some of ${LOAD_REPORT_FORMATS.join(', ')}`,
    );
  return out;
}

/** Writes the file formats into `dir` as one set and returns the paths; MTLS_ERR_OUT_UNWRITABLE on failure. */
export async function writeLoadReports(
  result: LoadResult,
  dir: string,
  formats: readonly LoadReportFormat[],
): Promise<string[]> {
  const files = formats.filter((f): f is Exclude<LoadReportFormat, 'console'> => f !== 'console');
  if (files.length === 0) return [];
  try {
    ensureDir(dir);
  } catch (cause) {
    throw new HarnessError('MTLS_ERR_OUT_UNWRITABLE', `Cannot create report directory '${dir}'`, { cause });
  }
  // As for run reports: written as a set, so a full disk or an interruption never leaves a short results.json.
  const texts = files.map((f) => ({ path: join(dir, LOAD_REPORT_FILES[f]), data: LOAD_FORMATTERS[f](result) }));
  writeReportFiles(dir, texts);
  return texts.map((t) => t.path);
}
