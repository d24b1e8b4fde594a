import { openFixtures } from '../fixtures-source.js';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { HarnessError, isHarnessError } from '../../core/errors.js';
import { makeTempDir, removeTempDir } from '../../core/fs.js';
import type { LoadMode, LoadStage, TicketPolicy, WorkerKind } from '../../core/load-result.js';
import { loadManifest, type FixtureSet } from '../../core/manifest.js';
import { checkOutDir } from '../../core/out-dir.js';
import { checkFixturesInDate, clockDistanceProblem } from '../../engine/clock-distance.js';
import type { Scenario, ServerPolicy, TlsVersion } from '../../core/scenario.js';
import { undecidedReason } from '../../load/aggregate.js';
import { identityPems, issueIdentities, loadIdentityIds } from '../../load/identities.js';
import { runLoad } from '../../load/run-load.js';
import { parseStages } from '../../load/stages.js';
import { validate, type LoadOptions } from '../../load/validate.js';
import { engineFlags } from '../../load/wire-engine/flags.js';
import { parseVersionShare, type VersionShare } from '../../load/versions.js';
import {
  formatLoadConsole,
  formatLoadJson,
  formatLoadMarkdown,
  LOAD_REPORT_FORMATS,
  loadStatusLine,
  writeLoadReports,
} from '../../reports/load-index.js';
import { catalogue } from '../../suites/index.js';
import { parseTarget, startTargets } from '../../targets/registry.js';
import type { StartedTarget } from '../../targets/target.js';
import {
  colorFlag,
  DEFAULT_TIMEOUT_MS,
  enumFlag,
  FORMAT_FLAGS,
  formatFlag,
  formatHelp,
  helpRow,
  intFlag,
  OUTPUT_FLAGS,
  outputHelp,
  parseFlags,
  servernameFlag,
  timeoutHelp,
  verbosityFlag,
} from '../args.js';
import { attachLive, timelineFlag } from '../load-live.js';
import { appendStepSummary } from '../step-summary.js';
import { EXIT } from '../exit-codes.js';
import { interruption, SIGNAL_EXIT, throwIfInterrupted } from '../signals.js';

/** Usage of `mtls-harness load`. */
export const LOAD_USAGE = `Measure mTLS handshake throughput (full and resumed, with proof of resumption) or HTTP over mTLS.

  mtls-harness load --tls 1.3 --mode full --connections 8 --duration 10
  mtls-harness load --tls 1.2 --mode resumed --ticket-policy fresh -a 20000 --workers 2
  mtls-harness load --target nginx --mode mixed --resume-ratio 0.8 --rate 500 --duration 30 --max-p99 50
  mtls-harness load --target 10.0.0.5:8443 --fixtures ./fixtures --identities 1000 --connections 200 --duration 60
  mtls-harness load --scenario trust::unknown-ca --connections 16 --duration 10      # bad certificate under load
  mtls-harness load --http --path / --pipelining 4 --connections 16 --duration 10
  mtls-harness load -a 500 --max-p99 50 --format junit,markdown --out ./load --quiet   # a CI gate
  mtls-harness load --stages 10s:100,30s:500,10s:0 --max-p99 50 --timeline ./timeline.ndjson   # find the knee
  mtls-harness load --tls both --tls-share 1.2=30,1.3=70 --mode resumed -a 2000
  mtls-harness load --http --new-handshake-per-request --mode resumed --rate 200 --duration 10
  mtls-harness load --ticket-policy advertise --tls 1.3 -a 1000 --json > result.json

Flags:
${helpRow('--target builtin|NAME|HOST:PORT', 'server under test (default builtin; NAME: nginx, haproxy, …)')}
${helpRow('--fixtures DIR', 'fixture set the server was configured from (default: generate a fresh one)')}
${helpRow('--tls 1.2|1.3|both', 'protocol version (default 1.3); both: each handshake drawn by --tls-share')}
${helpRow('--tls-share 1.2=P,1.3=P', 'with --tls both: percent of handshakes per version, summing to 100 (default 50/50)')}
${helpRow('--mode full|resumed|mixed', 'handshakes to make (default full)')}
${helpRow('--resume-ratio R', 'with --mode mixed: share of handshakes that try to resume (0 < R < 1)')}
${helpRow('--ticket-policy POLICY', "resumed|mixed: reuse (default): one ticket per identity; fresh: the loop's last one")}
${helpRow('', 'full: ignore (default): not waited for; advertise: each waits for its ticket, never used')}
${helpRow('--ticket-timeout MS', 'how long a fresh or advertise TLS 1.3 connection waits for its ticket (default 250)')}
${helpRow('-c, --connections N', 'concurrent connection loops; with --rate the cap in flight (default 8)')}
${helpRow('-d, --duration S', 'seconds to measure (default 10)')}
${helpRow('-a, --handshakes N', "handshakes to make instead of a duration (autocannon's -a, --amount)")}
${helpRow('-R, --rate R', 'open model: R handshakes (--http: requests) per second, latency from the intended start')}
${helpRow('--stages D:R,…', "open model, k6's ramping arrival rate, e.g. 10s:100,30s:500,10s:0; reports the knee")}
${helpRow('--warmup S', 'unrecorded warm-up before measuring (default 0)')}
${helpRow('-w, --workers K', 'workers (default: half the cores for a local target, all for HOST:PORT)')}
${helpRow('--worker-kind auto|thread|process', 'how workers run (auto: the faster kind as measured, see README)')}
${helpRow('--identities N', "N distinct client certificates from the fixtures' intermediate CA (default 1)")}
${helpRow('--scenario ID', "drive a single-probe catalogue scenario's certificate and count acceptances")}
${helpRow('--max-p99 MS', 'exit 1 when the p99 latency is above MS')}
${helpRow('--min-rate R', 'exit 1 when accepted handshakes (or requests) per second are below R')}
${helpRow('--max-error-rate R', 'exit 1 when (errors + refusals) / attempts is above R, 0..1 (default 0)')}
${helpRow('--http', 'HTTP GET over kept-alive mTLS connections (undici Pool, server verified)')}
${helpRow('--new-handshake-per-request', 'with --http: each request on a new connection, its handshake as --mode says')}
${helpRow('--path /P', 'HTTP path (default /)')}
${helpRow('--pipelining P', 'HTTP requests in flight per connection (default 1)')}
${helpRow('--servername NAME', 'SNI and expected server name (default localhost)')}
${helpRow('--engine wire|node', 'handshake client: wire (ours, built for cost) | node (node:tls, the reference)')}
${helpRow('', 'default: the cheapest that supports the run (wire; node with --scenario, --http)')}
${helpRow('--groups LIST', 'key exchange groups, preferred first: X25519,P-256 (wire), P-384,P-521,X448 (node)')}
${helpRow('--ciphers LIST', 'cipher suites (IANA names, TLS 1.2 and 1.3): TLS_AES_128_GCM_SHA256,…')}
${helpRow('--sigalgs LIST', 'signature schemes: ecdsa_secp256r1_sha256,rsa_pss_rsae_sha256,ed25519,…')}
${timeoutHelp('per handshake')}
${helpRow('--out DIR', 'report directory (default ./mtls-load-report)')}
${helpRow('--timeline FILE', 'NDJSON, one line per second as the run goes (0644), then its final state')}
${helpRow('--live', 'the live line on stderr even when it is not a terminal')}
${formatHelp(LOAD_REPORT_FORMATS, 'all').replace('the same as --format json', '--format json, and the result JSON alone on stdout')}
${outputHelp('every live tick on its own line, and the per-kind details (refusals, errors, timeline)')}

-n is not a flag: the handshake count is -a, --handshakes, as autocannon's request count is -a, --amount (its -n is
--no-progress). A handshake counts as accepted only when the server answered the request written after it (TLS 1.3
servers refuse a client certificate after the client saw its handshake complete); refusals are counted by mechanism.
The live line (elapsed/total seconds, the last second's rate, the p99 of the last whole second) goes to stderr when
it is a terminal, rewritten in place, or with --live (--verbose: a line per tick); never with --quiet. Latency is
reported as p50, p90, p95, p99, p99.9, max, mean and standard deviation. The files in --out are results.json,
junit.xml, summary.md and report.html; on GitHub Actions summary.md is also appended to $GITHUB_STEP_SUMMARY. --json
writes results.json and prints the same JSON on stdout, and nothing else there.

With --stages each second is judged on its own (p99 within --max-p99, errors + refusals + dropped within
--max-error-rate): the report names the highest offered rate held before the first second that was not (the knee).

With --rate, an arrival that finds --connections handshakes in flight waits for a slot; one still waiting when the
run ends (or after --timeout) is dropped: counted, its wait recorded as latency, and against --max-error-rate.

Ctrl-C or SIGTERM stops the run (the load generator first, then the server), writes the reports of what was
measured, marked interrupted, and exits 130 (SIGINT) or 143 (SIGTERM); a second one exits at once. Exit status:
0 pass, 1 a threshold breached (error rate, p99, rate), resumption not happening, or a bad certificate accepted,
2 harness or usage error, or --scenario with no probe decided (MTLS_ERR_UNDECIDED), 130/143/129 interrupted (SIGINT/SIGTERM/SIGHUP).`;

/** `--tls-share 1.2=30,1.3=70` (with `--tls both` only), or throws MTLS_ERR_USAGE naming the item at fault. */
function tlsShareFlag(value: string | undefined, tls: TlsVersion | 'both'): VersionShare | undefined {
  if (value === undefined) return undefined;
  if (tls !== 'both') throw new HarnessError('MTLS_ERR_USAGE', '--tls-share needs --tls both');
  const share = parseVersionShare(value);
  if (share instanceof Error) throw new HarnessError('MTLS_ERR_USAGE', `bad --tls-share '${value}': ${share.message}`);
  return share;
}

/** `--stages 10s:100,30s:500,10s:0`, which sets the rate and the length: it excludes --rate, --duration, -a. */
function stagesFlag(value: string | undefined, others: Readonly<Record<string, unknown>>): LoadStage[] | undefined {
  if (value === undefined) return undefined;
  const stages = parseStages(value);
  if (stages instanceof Error) throw new HarnessError('MTLS_ERR_USAGE', `bad --stages '${value}': ${stages.message}`);
  for (const flag of ['rate', 'duration', 'handshakes'])
    if (others[flag] !== undefined)
      throw new HarnessError(
        'MTLS_ERR_USAGE',
        `--stages and --${flag} exclude each other: the stages set the rate and how long the run lasts`,
      );
  return stages;
}

/** `1.2 50 % / 1.3 50 %` */
function describeShare(share: { '1.2': number; '1.3': number } | undefined): string {
  const s = share ?? { '1.2': 0.5, '1.3': 0.5 };
  return `1.2 ${Math.round(s['1.2'] * 1000) / 10} % / 1.3 ${Math.round(s['1.3'] * 1000) / 10} %`;
}

/** Parses a non-negative decimal flag, or throws MTLS_ERR_USAGE naming it. */
function numFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(value))
    throw new HarnessError('MTLS_ERR_USAGE', `bad --${name} '${value}': expected a non-negative number`);
  return Number(value);
}

/** Finds a catalogue scenario by id, with or without its policy prefix (default: require). */
function findScenario(id: string): Scenario {
  const all = catalogue();
  const found = all.find((s) => s.id === id) ?? all.find((s) => s.id === `require::${id}`);
  if (!found) throw new HarnessError('MTLS_ERR_USAGE', `bad --scenario '${id}': no such scenario (mtls-harness list)`);
  // NOTE: a procedure judges more than one probe's acceptance (what a proxy forwarded, what happened after the
  // handshake); counting acceptances of its certificate would misjudge it (a valid certificate "accepted").
  if (found.procedure)
    throw new HarnessError(
      'MTLS_ERR_USAGE',
      `load --scenario takes a single-probe scenario; ${found.id} runs a procedure (${found.procedure.name})`,
    );
  if (
    found.wire ||
    found.requires.some((r) => r === 'wire-client' || r === 'foreign-key-signing' || r === 'pinned-clock')
  )
    throw new HarnessError(
      'MTLS_ERR_USAGE',
      `bad --scenario '${id}': it needs ${found.wire ? 'the wire-level client' : found.requires.join(', ')}, which the load generator (node:tls) cannot drive`,
    );
  return found;
}

/** The flags of `load`. */
const LOAD_FLAGS = {
  target: { type: 'string' },
  fixtures: { type: 'string' },
  tls: { type: 'string' },
  'tls-share': { type: 'string' },
  stages: { type: 'string' },
  'new-handshake-per-request': { type: 'boolean' },
  live: { type: 'boolean' },
  timeline: { type: 'string' },
  mode: { type: 'string' },
  'resume-ratio': { type: 'string' },
  'ticket-policy': { type: 'string' },
  'ticket-timeout': { type: 'string' },
  connections: { type: 'string', short: 'c' },
  duration: { type: 'string', short: 'd' },
  // NOTE: -a as autocannon's -a, --amount (issue 11); -n, which autocannon spends on --no-progress, is no flag here.
  handshakes: { type: 'string', short: 'a' },
  rate: { type: 'string', short: 'R' },
  warmup: { type: 'string' },
  workers: { type: 'string', short: 'w' },
  'worker-kind': { type: 'string' },
  identities: { type: 'string' },
  scenario: { type: 'string' },
  'max-p99': { type: 'string' },
  'min-rate': { type: 'string' },
  'max-error-rate': { type: 'string' },
  http: { type: 'boolean' },
  path: { type: 'string' },
  pipelining: { type: 'string' },
  servername: { type: 'string' },
  engine: { type: 'string' },
  groups: { type: 'string' },
  ciphers: { type: 'string' },
  sigalgs: { type: 'string' },
  timeout: { type: 'string' },
  out: { type: 'string' },
  ...FORMAT_FLAGS,
  ...OUTPUT_FLAGS,
  help: { type: 'boolean', short: 'h' },
} as const;

/** Parses `load`'s flags; `-n` (the handshake count before issue 11) is refused with the flag that replaced it. */
function parseLoadFlags(argv: readonly string[]) {
  try {
    return parseFlags('load', argv, LOAD_FLAGS);
  } catch (err) {
    if (isHarnessError(err) && /Unknown option '-n/.test(err.message))
      throw new HarnessError(
        'MTLS_ERR_USAGE',
        `${err.message.replace(/ \(see: .*\)$/, '')}: the handshake count is -a, --handshakes (autocannon's -a, --amount) (see: mtls-harness load --help)`,
        { cause: err },
      );
    throw err;
  }
}

/** `mtls-harness load`. */
export async function loadCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseLoadFlags(argv);
  if (values.help) {
    console.log(LOAD_USAGE);
    return EXIT.OK;
  }
  // Validate every flag before any work (fixtures, servers).
  const spec = parseTarget(values.target);
  const tls = enumFlag<TlsVersion | 'both'>('tls', values.tls, ['1.2', '1.3', 'both'], '1.3');
  const tlsShare = tlsShareFlag(values['tls-share'], tls);
  const stages = stagesFlag(values.stages, values);
  const mode = enumFlag<LoadMode>('mode', values.mode, ['full', 'resumed', 'mixed'], 'full');
  const ticketPolicy =
    values['ticket-policy'] === undefined
      ? undefined
      : enumFlag<TicketPolicy>(
          'ticket-policy',
          values['ticket-policy'],
          ['reuse', 'fresh', 'ignore', 'advertise'],
          'reuse',
        );
  if (values['new-handshake-per-request'] && !values.http)
    throw new HarnessError('MTLS_ERR_USAGE', '--new-handshake-per-request needs --http');
  if (values.live && values.quiet) throw new HarnessError('MTLS_ERR_USAGE', '--live and --quiet exclude each other');
  const timeline = timelineFlag(values.timeline);
  const workerKind = enumFlag<WorkerKind | 'auto'>(
    'worker-kind',
    values['worker-kind'],
    ['auto', 'thread', 'process'],
    'auto',
  );
  const formats = formatFlag(values, LOAD_REPORT_FORMATS, LOAD_REPORT_FORMATS);
  const verbosity = verbosityFlag(values);
  const color = colorFlag(values);
  const connections = intFlag('connections', values.connections, 8, 1, 100_000);
  const identities = intFlag('identities', values.identities, 1, 1, 100_000);
  const local = spec.kind !== 'external';
  const cores = os.availableParallelism();
  const workers = intFlag(
    'workers',
    values.workers,
    Math.min(connections, local ? Math.max(1, Math.floor(cores / 2)) : cores),
    1,
    256,
  );
  if (!values.http && (values.path !== undefined || values.pipelining !== undefined))
    throw new HarnessError('MTLS_ERR_USAGE', '--path and --pipelining need --http');
  if (identities > 1 && values.scenario)
    throw new HarnessError(
      'MTLS_ERR_USAGE',
      '--identities and --scenario exclude each other (the scenario fixes the certificate)',
    );
  if (spec.kind === 'external' && !values.fixtures)
    throw new HarnessError(
      'MTLS_ERR_USAGE',
      '--target HOST:PORT needs --fixtures DIR: the fixture set the server was configured from',
    );
  const scenario = values.scenario ? findScenario(values.scenario) : undefined;
  const servername = servernameFlag(values.servername);
  if (formats.some((f) => f !== 'console')) checkOutDir(values.out ?? 'mtls-load-report', '--out');
  if (values.fixtures) {
    // The given set is validated now (schema, paths, dates), not after the servers started.
    const given = loadManifest(values.fixtures);
    checkFixturesInDate(given);
    const distance = scenario?.fixture ? clockDistanceProblem(given.manifest, scenario.fixture, Date.now()) : undefined;
    if (distance) throw new HarnessError('MTLS_ERR_FIXTURES_STALE', `--scenario '${values.scenario}': ${distance}`);
  }
  const durationS = numFlag('duration', values.duration);
  const handshakes = values.handshakes === undefined ? undefined : intFlag('handshakes', values.handshakes, 1, 1);
  const pipelining = values.pipelining === undefined ? undefined : intFlag('pipelining', values.pipelining, 1, 1, 256);
  const base: Omit<LoadOptions, 'trustPem' | 'identities'> = {
    host: '127.0.0.1',
    port: 1,
    tls,
    mode,
    ...(values['resume-ratio'] !== undefined ? { resumeRatio: numFlag('resume-ratio', values['resume-ratio'])! } : {}),
    ...(ticketPolicy ? { ticketPolicy } : {}),
    ...(values['ticket-timeout'] !== undefined
      ? { ticketTimeoutMs: intFlag('ticket-timeout', values['ticket-timeout'], 250, 1, 60_000) }
      : {}),
    connections,
    ...(durationS !== undefined ? { durationS } : {}),
    ...(handshakes !== undefined ? { handshakes } : {}),
    ...(values.rate !== undefined ? { rate: numFlag('rate', values.rate)! } : {}),
    ...(values.warmup !== undefined ? { warmupS: numFlag('warmup', values.warmup)! } : {}),
    workers,
    workerKind,
    ...(values['max-p99'] !== undefined ? { maxP99Ms: numFlag('max-p99', values['max-p99'])! } : {}),
    ...(values['min-rate'] !== undefined ? { minRate: numFlag('min-rate', values['min-rate'])! } : {}),
    ...(values['max-error-rate'] !== undefined
      ? { maxErrorRate: numFlag('max-error-rate', values['max-error-rate'])! }
      : {}),
    ...(values.http
      ? {
          http: {
            path: values.path ?? '/',
            ...(pipelining ? { pipelining } : {}),
            ...(values['new-handshake-per-request'] ? { newHandshakePerRequest: true } : {}),
          },
        }
      : {}),
    ...(tlsShare ? { tlsShare } : {}),
    ...(stages ? { stages } : {}),
    ...(servername ? { servername } : {}),
    ...engineFlags(values),
    // NOTE: the library's own default is 10 s; the CLI uses the one default of every command (issue 11).
    timeoutMs: intFlag('timeout', values.timeout, DEFAULT_TIMEOUT_MS, 10, 600_000),
    ...(scenario
      ? { scenario: { id: scenario.id, fixture: scenario.fixture, expect: scenario.expect.decision, identity: null } }
      : {}),
  };
  // The library's own validation, on placeholder PEM, so conflicting flags fail before any work.
  const placeholder = '-----BEGIN CERTIFICATE-----\n';
  const checked = validate({ ...base, trustPem: placeholder, identities: [{ chainPem: '', keyPem: '' }] });
  if (checked instanceof Error) throw new HarnessError('MTLS_ERR_USAGE', `load: ${checked.message}`);

  const temps: string[] = [];
  const disposers: Disposable[] = [];
  let target: StartedTarget | undefined;
  try {
    const opened = await openFixtures(values.fixtures);
    disposers.push(opened);
    let fx: FixtureSet = opened.fx;
    let identityIds = ['valid'];
    if (identities > 1) {
      const dir = makeTempDir('identities-');
      temps.push(dir);
      // NOTE: with --json standard output carries the result alone.
      if (!values.quiet)
        (values.json ? console.error : console.log)(`mtls-harness load: issuing ${identities} client identities…`);
      fx = await issueIdentities(fx, identities, dir);
      identityIds = loadIdentityIds(fx);
    }
    const policy: ServerPolicy = scenario?.policy ?? 'require';
    const started = await startTargets(spec, fx, [policy], {
      capabilities: ['crl'],
      ...(values.servername ? { servername: values.servername } : {}),
    });
    target = started[policy]!;
    // Interrupted while the fixtures were generated or the server started: nothing was measured.
    throwIfInterrupted();
    const scenarioIdentity = scenario && scenario.fixture !== null ? identityPems(fx, [scenario.fixture])[0]! : null;
    const options: LoadOptions = {
      ...base,
      host: target.endpoint.host,
      port: target.endpoint.port,
      servername: values.servername ?? target.servername,
      target: { name: target.name, ...(target.version ? { version: target.version } : {}) },
      trustPem: readFileSync(fx.resolve(fx.manifest.trust), 'utf8'),
      identities: identityPems(fx, identityIds),
      probe: target.probe,
      targetInProcess: spec.kind === 'builtin',
      ...(scenario && base.scenario ? { scenario: { ...base.scenario, identity: scenarioIdentity } } : {}),
    };
    const run = runLoad(options);
    // NOTE: standard output carries the report (with --json: the result JSON and nothing else); the header and the
    // live line go to stderr. The live line is rewritten in place on a terminal; in a log (--live, --verbose) every
    // tick gets its own line, since a log cannot rewrite a line.
    const jsonOut = values.json === true;
    const say = (line: string) => (jsonOut ? console.error(line) : console.log(line));
    const stderrTty = process.stderr.isTTY === true;
    const live = attachLive(run, {
      live: !verbosity.quiet && (values.live === true || verbosity.verbose || stderrTty),
      rewrite: !verbosity.verbose && stderrTty,
      color,
      http: values.http === true,
      scenario: scenario !== undefined,
      timeline,
    });
    if (!verbosity.quiet) {
      run.on('start', ({ workers: k, workerKind: kind }) =>
        say(
          `mtls-harness load: ${target!.name} ${target!.endpoint.host}:${target!.endpoint.port} · TLS ${tls === 'both' ? `both (${describeShare(tlsShare)})` : tls} · ${k} ${kind} worker(s) · Ctrl-C stops and reports`,
        ),
      );
    }
    // SIGINT/SIGTERM: the generator stops first (in-flight handshakes end within --timeout) and the report covers
    // what was measured; the server is stopped after, in `finally`. A second signal exits at once (cli/signals.ts).
    const stopOnSignal = () => run.stop(interruption().received);
    interruption().signal.addEventListener('abort', stopOnSignal, { once: true });
    let result;
    try {
      result = await run;
    } catch (err) {
      live.close();
      throw err;
    } finally {
      interruption().signal.removeEventListener('abort', stopOnSignal);
    }
    live.finish(result);
    const out = values.out ?? 'mtls-load-report';
    const written = await writeLoadReports(result, out, formats);
    // NOTE: on GitHub Actions the Markdown summary goes on the job's page by itself, as for run.
    appendStepSummary(formatLoadMarkdown(result));
    if (jsonOut) process.stdout.write(formatLoadJson(result));
    if (formats.includes('console'))
      console.log(
        verbosity.quiet
          ? loadStatusLine(result, { color })
          : formatLoadConsole(result, { color, verbose: verbosity.verbose }).trimEnd(),
      );
    if (written.length && !verbosity.quiet) say(`reports: ${written.join(', ')}`);
    const sig = interruption().received;
    if (sig) {
      console.error(
        `mtls-harness: INTERRUPTED by ${sig} after ${(result.durationMs / 1000).toFixed(1)} s of load: the reports cover what was measured${written.length ? ` (${written.join(', ')})` : ''}`,
      );
      return SIGNAL_EXIT[sig];
    }
    // NOTE: the reports are written first: they show what every probe ended in.
    const undecided = undecidedReason(result);
    if (undecided) throw new HarnessError('MTLS_ERR_UNDECIDED', `load: ${undecided}`);
    // NOTE: a CI log shows stderr first: the verdict of a failing run is one line there too.
    if (!result.passed) console.error(`mtls-harness: FAIL: ${result.failures.join('; ')}`);
    return result.passed ? EXIT.OK : EXIT.NON_CONFORMANT;
  } finally {
    await target?.stop();
    for (const dir of temps) removeTempDir(dir);
    for (const d of disposers) d[Symbol.dispose]();
  }
}
