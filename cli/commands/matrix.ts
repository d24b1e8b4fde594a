import { ensureDir } from '../../core/fs.js';
import { openFixtures } from '../fixtures-source.js';
import path from 'node:path';
import { HarnessError } from '../../core/errors.js';
import { checkOutDir } from '../../core/out-dir.js';
import { checkFixturesInDate } from '../../engine/clock-distance.js';
import type { RunResult } from '../../core/result.js';
import type { ServerPolicy } from '../../core/scenario.js';
import { VERSION } from '../../core/version.js';
import { runSuite } from '../../engine/run-suite.js';
import { formatProgressLine } from '../../reports/console.js';
import {
  formatMatrixConsole,
  MATRIX_FILES,
  MATRIX_FORMATS,
  MATRIX_FORMATTERS,
  matrixStatusLine,
  matrixStatusOf,
  type MatrixInput,
  type MatrixTarget,
} from '../../reports/matrix.js';
import { writeReportFiles } from '../../reports/index.js';
import { catalogue, CATALOGUE_VERSION } from '../../suites/index.js';
import { loadExpectations } from '../../targets/expectations.js';
import {
  checkPolicies,
  describeTargets,
  maxConcurrencyOf,
  parseTarget,
  startTargets,
  targetName,
  type TargetSpec,
} from '../../targets/registry.js';
import type { StartedTarget } from '../../targets/target.js';
import {
  colorFlag,
  enumFlag,
  FORMAT_FLAGS,
  formatFlag,
  formatHelp,
  intFlag,
  listFlag,
  OUTPUT_FLAGS,
  outputHelp,
  parseFlags,
  timeoutHelp,
  verbosityFlag,
} from '../args.js';
import { EXIT } from '../exit-codes.js';
import {
  clockFlag,
  POLICY_VALUES,
  policiesOf,
  SCENARIO_FLAGS,
  scenarioFlags,
  suiteScenarios,
} from '../scenario-flags.js';
import { interruption, SIGNAL_EXIT } from '../signals.js';

/** Usage of `mtls-harness matrix`. */
export const MATRIX_USAGE = `Run the catalogue against several servers and compare them side by side.

  mtls-harness matrix --targets nginx,haproxy,apache,stunnel,lighttpd,caddy,openssl-s-server,builtin
  mtls-harness matrix --targets builtin,openssl-s-server --policy require --tls 1.3 --out ./matrix
  mtls-harness matrix --targets nginx,apache --suite 'revocation::*,trust::*' --parallel 2
  mtls-harness matrix --targets builtin,nginx --format json --quiet --out ./matrix    # matrix.json only

Flags:
  --targets LIST               targets the harness starts (see: mtls-harness targets); default: every available one
  --policy require|optional|none|both
                               client-certificate policy each server is configured with, as for run (default both:
                               require + optional); none (client auth off) only with builtin
  --tls 1.2|1.3|both           TLS versions (default both)
  --suite GLOB[,GLOB]          scenario ids to run (default: the whole catalogue)
  --fixtures DIR               fixture set to configure the servers from (default: generate a fresh one)
  --clock ISO-8601             the fresh set's clock (default now), as for run; scenarios whose fixture no longer
                               means what it says at the servers' time (now) are skipped with the reason. Not with
                               --fixtures
  --strictness any|alert|rfc   as for run (default any)
  --concurrency N              probes in flight per target (default 4; openssl s_server always 1)
${timeoutHelp('per probe')}
  --parallel N                 targets run at once, each on its own free ports (default 1)
  --deadline SECONDS           bound on the whole matrix; a target still running then is an error (default 900)
  --allow-unavailable          an unavailable target is shown as such and does not make the exit status 2
  --out DIR                    report directory (default ./mtls-matrix)
${formatHelp(MATRIX_FORMATS, 'all')}
${outputHelp('every result as it comes, and each row the targets disagree on')}

Formats: console is the summary printed at the end (a line per target, the verdict last); json, markdown and html
are the files matrix.json, matrix.md and matrix.html in --out.

Ctrl-C or SIGTERM stops the matrix: the target being run stops after its probes in flight, the matrix of what was
measured is written, each target not finished marked interrupted (not a verdict on it); a second one exits at once.

Exit status: 0 every target conformant, 1 a target is non-conformant, 2 a target errored, could not start or is
unavailable (unless --allow-unavailable), or a usage error, 130/143/129 interrupted by SIGINT/SIGTERM/SIGHUP.`;

/** `mtls-harness matrix`. */
export async function matrixCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseFlags('matrix', argv, {
    targets: { type: 'string' },
    ...SCENARIO_FLAGS,
    parallel: { type: 'string' },
    deadline: { type: 'string' },
    'allow-unavailable': { type: 'boolean' },
    ...FORMAT_FLAGS,
    ...OUTPUT_FLAGS,
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(MATRIX_USAGE);
    return EXIT.OK;
  }
  // NOTE: the same values as run's --policy (issue 11); none is refused below for a target that cannot serve it.
  const policies = policiesOf(enumFlag('policy', values.policy, POLICY_VALUES, 'both'));
  const { versions, strictness, concurrency, timeoutMs } = scenarioFlags(values);
  const parallel = intFlag('parallel', values.parallel, 1, 1, 16);
  const deadlineMs = intFlag('deadline', values.deadline, 900, 1, 86_400) * 1000;
  const formats = formatFlag(values, MATRIX_FORMATS, MATRIX_FORMATS);
  const verbosity = verbosityFlag(values);
  const color = colorFlag(values);
  const quiet = verbosity.quiet;
  const log = (line: string) => {
    if (!quiet) console.log(line);
  };

  let names: string[];
  if (values.targets === undefined) {
    names = (await describeTargets({ containers: false })).filter((t) => t.available).map((t) => t.name);
  } else {
    names = listFlag('targets', values.targets);
  }
  if (names.length === 0) throw new HarnessError('MTLS_ERR_USAGE', '--targets names no target');
  if (new Set(names).size !== names.length) throw new HarnessError('MTLS_ERR_USAGE', '--targets names a target twice');
  const specs: TargetSpec[] = names.map((n) => {
    const spec = parseTarget(n);
    if (spec.kind === 'external') {
      throw new HarnessError(
        'MTLS_ERR_USAGE',
        `--targets '${n}': the matrix configures each server itself; test your own server with: mtls-harness run --target ${n}`,
      );
    }
    // NOTE: the same refusal, in the same words, as run gives for a target that cannot serve --policy none.
    checkPolicies(spec, policies);
    return spec;
  });
  const scenarios = suiteScenarios(policies, values.suite);
  const out = values.out ?? 'mtls-matrix';
  const files = formats.filter((f): f is keyof typeof MATRIX_FILES => f !== 'console');
  // NOTE: checked, not created: a matrix that fails before it has anything to write leaves no directory behind.
  if (files.length > 0) checkOutDir(out, '--out');

  const started = Date.now();
  const clock = clockFlag(values);
  const opened = await openFixtures(values.fixtures, clock);
  const fx = opened.fx;
  if (values.fixtures || clock) {
    try {
      checkFixturesInDate(fx);
    } catch (err) {
      opened[Symbol.dispose]();
      throw err;
    }
  }
  const availability = new Map((await describeTargets()).map((t) => [t.name, t]));
  const deadline = started + deadlineMs;

  const stop = interruption();
  const notRun = (name: string): MatrixTarget => ({
    name,
    status: 'interrupted',
    reason: `not run: the matrix was interrupted by ${stop.received ?? 'a signal'}`,
  });
  const runOne = async (spec: TargetSpec): Promise<MatrixTarget> => {
    const name = targetName(spec);
    if (stop.signal.aborted) return notRun(name);
    const info = availability.get(name);
    if (info && !info.available) {
      log(`${name}: unavailable (${info.reason ?? 'unknown reason'})`);
      return { name, status: 'unavailable', ...(info.reason ? { reason: info.reason } : {}) };
    }
    if (Date.now() >= deadline)
      return { name, status: 'error', reason: `not started: the ${deadlineMs / 1000} s deadline passed` };
    let targets: Partial<Record<ServerPolicy, StartedTarget>> = {};
    try {
      targets = await startTargets(spec, fx, policies, { capabilities: [] });
      if (stop.signal.aborted) return notRun(name);
      const first = Object.values(targets)[0];
      log(
        `${name}: started ${Object.values(targets)
          .map((t) => `${t!.endpoint.host}:${t!.endpoint.port} (${t!.policy})`)
          .join(', ')}`,
      );
      const running = runSuite({
        scenarios,
        fixtures: fx,
        targets,
        tls: versions,
        strictness,
        concurrency: Math.min(concurrency, maxConcurrencyOf(spec) ?? concurrency),
        timeoutMs,
        deviations: loadExpectations(spec.kind === 'container' ? spec.name : name),
        catalogueVersion: CATALOGUE_VERSION,
        catalogueSize: catalogue().length,
        // --verbose: every result as it comes, as run prints it, named by its target (targets may run in parallel).
        ...(verbosity.verbose ? { onResult: (r) => log(`${name}:${formatProgressLine(r, { color })}`) } : {}),
        // NOTE: a stop ends the run without blaming the target: results not run are skips, the status interrupted.
        signal: stop.signal,
      });
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<'deadline'>((resolve) => {
        timer = setTimeout(() => resolve('deadline'), Math.max(0, deadline - Date.now()));
      });
      const run: RunResult | 'deadline' = await Promise.race([running, expired]);
      clearTimeout(timer);
      if (run === 'deadline') {
        // Stopping the servers makes the remaining probes fail fast; the run is then discarded.
        await Promise.all(Object.values(targets).map((t) => t!.stop()));
        await running.catch(() => undefined);
        return {
          name,
          status: 'error',
          ...(first?.version ? { version: first.version } : {}),
          reason: `the ${deadlineMs / 1000} s deadline passed before the run finished`,
        };
      }
      const status = matrixStatusOf(run);
      log(
        `${name}: ${status} (${run.summary.pass} pass, ${run.summary.fail} fail, ${run.summary.xfail} xfail, ${run.summary.skip} skip, ${run.summary.error} error)`,
      );
      return {
        name,
        status,
        ...(run.target.version ? { version: run.target.version } : {}),
        ...(run.error ? { reason: `${run.error.code}: ${run.error.message}` } : {}),
        run,
      };
    } catch (err) {
      // A target whose start was cut short by the stop did not fail: it was not run.
      if (stop.signal.aborted) return notRun(name);
      const reason = err instanceof HarnessError ? `${err.code}: ${err.message}` : String(err);
      log(`${name}: error ${reason.split('\n')[0]}`);
      return {
        name,
        status: err instanceof HarnessError && err.code === 'MTLS_ERR_TARGET_UNAVAILABLE' ? 'unavailable' : 'error',
        reason,
      };
    } finally {
      await Promise.all(Object.values(targets).map((t) => t!.stop()));
    }
  };

  const results: MatrixTarget[] = new Array(specs.length);
  try {
    let next = 0;
    const worker = async () => {
      while (next < specs.length) {
        const i = next++;
        results[i] = await runOne(specs[i]!);
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, specs.length) }, worker));
  } finally {
    opened[Symbol.dispose]();
  }

  const input: MatrixInput = {
    tool: { name: 'mtls-harness', version: VERSION },
    catalogueVersion: CATALOGUE_VERSION,
    clock: fx.manifest.clock,
    startedAt: new Date(started).toISOString(),
    duration: Date.now() - started,
    policies,
    tls: versions,
    targets: results,
  };
  const written = files.map((f) => ({ path: path.join(out, MATRIX_FILES[f]), data: MATRIX_FORMATTERS[f](input) }));
  if (written.length > 0) {
    try {
      ensureDir(out);
    } catch (cause) {
      throw new HarnessError('MTLS_ERR_OUT_UNWRITABLE', `cannot write the matrix to '${out}'`, { cause });
    }
    // Written as one set (temporary names, then renamed): never a matrix.md of this run beside a matrix.json of another.
    writeReportFiles(out, written);
  }
  const allowUnavailable = values['allow-unavailable'] === true;
  if (formats.includes('console'))
    process.stdout.write(
      quiet
        ? `${matrixStatusLine(input, { color, allowUnavailable })}\n`
        : formatMatrixConsole(input, { color, verbose: verbosity.verbose, allowUnavailable }),
    );
  if (written.length > 0) log(`matrix: ${written.map((f) => f.path).join(', ')}`);
  const sig = stop.received;
  if (sig) {
    console.error(
      `mtls-harness: INTERRUPTED by ${sig}: ${results.filter((t) => t.status !== 'interrupted').length} of ${results.length} target(s) finished; the matrix of what was measured is in ${out}`,
    );
    return SIGNAL_EXIT[sig];
  }
  for (const t of results) {
    if (t.status !== 'conformant')
      console.error(`mtls-harness: ${t.name}: ${t.status}${t.reason ? ` (${t.reason.split('\n')[0]})` : ''}`);
  }
  const errored = results.some((t) => t.status === 'error' || (t.status === 'unavailable' && !allowUnavailable));
  if (errored) return EXIT.ERROR;
  return results.some((t) => t.status === 'not-conformant') ? EXIT.NON_CONFORMANT : EXIT.OK;
}
