import path from 'node:path';
import { HarnessError } from '../../core/errors.js';
import { undecidedReason } from '../../load/aggregate.js';
import { mergeLoadResults, readLoadResult } from '../../load/merge.js';
import {
  formatLoadConsole,
  formatLoadMarkdown,
  LOAD_REPORT_FORMATS,
  loadStatusLine,
  writeLoadReports,
} from '../../reports/load-index.js';
import { checkOutDir } from '../../core/out-dir.js';
import {
  colorFlag,
  FORMAT_FLAGS,
  formatFlag,
  formatHelp,
  helpRow,
  OUTPUT_FLAGS,
  outputHelp,
  parseFlags,
  verbosityFlag,
} from '../args.js';
import { appendStepSummary } from '../step-summary.js';
import { EXIT } from '../exit-codes.js';

/** Usage of `mtls-harness merge`. */
export const MERGE_USAGE = `Add the results of several load agents into one report.

  mtls-harness merge agent-0/results.json agent-1/results.json --out ./merged
  mtls-harness merge results/*/results.json --out ./merged --max-p99 50 --min-rate 2000

Counters are summed, HDR histograms added exactly (percentiles of the whole), timelines aligned on each agent's start,
generator CPU summed, rates taken over the union of the agents' measured windows; thresholds apply to the merged
figures. Results of different runs (TLS version, mode, HTTP or handshakes, scenario, target) are refused
(MTLS_ERR_MERGE_MISMATCH).

Flags:
${helpRow('--out DIR', 'report directory (default ./mtls-load-merged)')}
${formatHelp(LOAD_REPORT_FORMATS, 'all')}
${helpRow('--max-p99 MS', 'exit 1 when the merged p99 is above MS')}
${helpRow('--min-rate R', 'exit 1 when the merged handshakes (or requests) per second are below R')}
${helpRow('--max-error-rate R', 'exit 1 when the merged (errors + refusals) / attempts is above R, 0..1 (default 0)')}
${outputHelp('the per-kind details (refusals, errors, the merged timeline)')}

The files in --out are those of load: results.json, junit.xml, summary.md, report.html; on GitHub Actions summary.md
is also appended to $GITHUB_STEP_SUMMARY.

Exit status: 0 pass, 1 a failure in the merged result, 2 usage error, unreadable or mismatched input, or merged
--scenario results with no probe decided.`;

/** Parses a threshold that must be above 0, or throws MTLS_ERR_USAGE naming the flag. */
function positive(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(value) || Number(value) <= 0)
    throw new HarnessError('MTLS_ERR_USAGE', `bad --${name} '${value}': expected a number above 0`);
  return Number(value);
}

/** Parses a share from 0 to 1, or throws MTLS_ERR_USAGE naming the flag. */
function share(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(value) || Number(value) > 1)
    throw new HarnessError('MTLS_ERR_USAGE', `bad --${name} '${value}': expected a share from 0 to 1`);
  return Number(value);
}

/** `mtls-harness merge A.json B.json … --out DIR`. */
export async function mergeCommand(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    'merge',
    argv,
    {
      out: { type: 'string' },
      ...FORMAT_FLAGS,
      'max-p99': { type: 'string' },
      'min-rate': { type: 'string' },
      'max-error-rate': { type: 'string' },
      ...OUTPUT_FLAGS,
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (values.help) {
    console.log(MERGE_USAGE);
    return EXIT.OK;
  }
  // Validate every flag and every input before any work.
  const formats = formatFlag(values, LOAD_REPORT_FORMATS, LOAD_REPORT_FORMATS);
  const verbosity = verbosityFlag(values);
  const color = colorFlag(values);
  const maxP99Ms = positive('max-p99', values['max-p99']);
  const minRate = positive('min-rate', values['min-rate']);
  const maxErrorRate = share('max-error-rate', values['max-error-rate']);
  if (positionals.length === 0) throw new HarnessError('MTLS_ERR_USAGE', 'merge: name at least one results.json');
  const twice = positionals.find((p, i) => positionals.findIndex((q) => path.resolve(q) === path.resolve(p)) !== i);
  if (twice !== undefined)
    throw new HarnessError('MTLS_ERR_USAGE', `merge: '${twice}' is named twice (its counts would be added twice)`);
  const out = values.out ?? 'mtls-load-merged';
  if (formats.some((f) => f !== 'console')) checkOutDir(out, '--out');
  const inputs = positionals.map(readLoadResult);
  const merged = mergeLoadResults(
    inputs,
    {
      ...(maxP99Ms !== undefined ? { maxP99Ms } : {}),
      ...(minRate !== undefined ? { minRate } : {}),
      ...(maxErrorRate !== undefined ? { maxErrorRate } : {}),
    },
    positionals.map((p) => `'${p}'`),
  );
  const written = await writeLoadReports(merged, out, formats);
  appendStepSummary(formatLoadMarkdown(merged));
  if (formats.includes('console'))
    console.log(
      verbosity.quiet
        ? loadStatusLine(merged, { color })
        : formatLoadConsole(merged, { color, verbose: verbosity.verbose }).trimEnd(),
    );
  if (written.length && !verbosity.quiet) console.log(`reports: ${written.join(', ')}`);
  const undecided = undecidedReason(merged);
  if (undecided) throw new HarnessError('MTLS_ERR_UNDECIDED', `merge: ${undecided}`);
  if (!merged.passed) console.error(`mtls-harness: FAIL: ${merged.failures.join('; ')}`);
  return merged.passed ? EXIT.OK : EXIT.NON_CONFORMANT;
}
