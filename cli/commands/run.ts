import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { openFixtures } from '../fixtures-source.js';
import { HarnessError, type ErrorCode } from '../../core/errors.js';
import { gates } from '../../core/gate.js';
import { checkOutDir } from '../../core/out-dir.js';
import type { RunResult } from '../../core/result.js';
import type { Feature } from '../../core/scenario.js';
import { applyGate, compareWithBaseline, loadBaseline } from '../../engine/baseline.js';
import { checkFixturesInDate } from '../../engine/clock-distance.js';
import { runSuite } from '../../engine/run-suite.js';
import { formatConsole, formatProgressLine, runStatusLine } from '../../reports/console.js';
import { FORMATTERS, writeReports, type ReportFormat } from '../../reports/index.js';
import { formatMarkdown } from '../../reports/markdown.js';
import { catalogue, CATALOGUE_VERSION, TOPICS } from '../../suites/index.js';
import { loadExpectations } from '../../targets/expectations.js';
import { CRL_VARIANTS, type CrlVariantName, type FixtureSet } from '../../core/manifest.js';
import { startOcspResponder, type OcspResponder } from '../../fixtures-gen/ocsp.js';
import { checkControlUrl } from '../../fixtures-gen/ocsp-control.js';
import { checkProduct } from '../../targets/server-config.js';
import type { Endpoint } from '../../targets/target.js';
import { fetchEchoRecord, startEchoBackend, type EchoBackend } from '../../services/echo-backend.js';
import {
  checkPolicies,
  DECLARABLE_CAPABILITIES,
  productCapabilities,
  maxConcurrencyOf,
  parseTarget,
  startTargets,
  targetName,
  type ExternalResumption,
  type TargetSpec,
} from '../../targets/registry.js';
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
  servernameFlag,
  timeoutHelp,
  verbosityFlag,
} from '../args.js';
import { appendStepSummary } from '../step-summary.js';
import { EXIT } from '../exit-codes.js';
import {
  clockFlag,
  POLICY_VALUES,
  policiesOf,
  SCENARIO_FLAGS,
  scenarioFlags,
  suiteScenarios,
} from '../scenario-flags.js';
import { interruption, SIGNAL_EXIT, throwIfInterrupted } from '../signals.js';

/** The report formats of `run`, in the order help texts list them. */
const REPORT_FORMATS = Object.keys(FORMATTERS) as ReportFormat[];

/** Usage of `mtls-harness run`. */
export const RUN_USAGE = `Run the client-certificate conformance catalogue against a server.

  mtls-harness run                                     built-in server, fresh fixtures, both policies, TLS 1.2 + 1.3
  mtls-harness run --target 127.0.0.1:8443 --fixtures ./fixtures --policy require
  mtls-harness run --target nginx --policy both       start Debian's nginx on a free port, configured from the fixtures
  mtls-harness run --suite 'validity::*,trust::*' --tls 1.3 --format junit,markdown --out ./report
  mtls-harness run --baseline old/results.json --gate regressions

Flags:
  --target NAME|HOST:PORT      server under test (default builtin): builtin, nginx, haproxy, apache, stunnel,
                               lighttpd, caddy, openssl-s-server (started here; see mtls-harness targets),
                               container:NAME (official image, needs Docker), or HOST:PORT (your own server)
  --fixtures DIR               fixture set the server was configured from (default: generate a fresh one)
  --clock ISO-8601             the fresh set's clock (default now); scenarios whose fixture no longer means what it
                               says at the server's time (now) are skipped with the reason. Not with --fixtures
  --policy require|optional|none|both
                               how the server treats client certificates: required, only requested, or never asked
                               (client auth off); both = require + optional, the default for a target the harness
                               starts (HOST:PORT: require)
  --servername NAME            SNI and expected server name (default localhost)
  --server-ca FILE             CA bundle the server certificate is checked against (default: the fixtures' root)
  --probe http|raw             http reads the status line (default http); raw: any data back means accepted
  --capabilities LIST|none     what an external server checks: crl,ocsp,identity-policy,pinned-clock,
                               per-location-auth,verify-depth (default crl, or what --product checks; pinned-clock: its
                               clock is the fixture clock; per-location-auth: it asks for a certificate after the
                               handshake for one path, see --protected-path; verify-depth: it limits client chains to
                               5 intermediate CAs)
  --protected-path PATH        with per-location-auth: the path that requires a certificate (default /protected/;
                               / must be served without one)
  --crl-variant NAME           HOST:PORT was configured with this alternative CRL bundle of the fixtures
                               (crl/variants/NAME.crl.pem: expired, wrong-key, no-crl-sign, missing-level, delta):
                               its crl-NAME scenario runs; the other variants' are skipped with this hint
  --product NAME               HOST:PORT is this product, configured as server-config renders it: its known
                               deviations and its checks apply (nginx, haproxy, apache, stunnel, lighttpd, caddy,
                               openssl-s-server, node)
  --ocsp-responder             start the fixtures' OCSP responder at the URL the certificates name, for the run
  --echo-backend PORT|HOST:PORT
                               HOST:PORT is a reverse proxy forwarding /proxied/ (path kept) to the echo backend:
                               PORT starts one on 127.0.0.1:PORT for the run; HOST:PORT names one you run
                               (mtls-harness echo-backend). Without it the proxy-identity scenarios are skipped.
                               Builtin and the servers the harness starts get their own
  --sni-no-auth NAME           HOST:PORT also serves NAME without client authentication, sharing its session cache
                               and ticket keys (resumption::*::resume-cross-sni; skipped without it)
  --optional-endpoint HOST:PORT
                               an endpoint of the same server with the optional policy, sharing its session cache
                               and ticket keys (resumption::*::resume-optional-to-require; skipped without it)
  --ocsp-control URL           the loopback control of the fixtures' OCSP responder the server asks (mtls-harness
                               ocsp prints it; --ocsp-responder implies it): resumption::*::resume-after-revocation
  --suite GLOB[,GLOB]          scenario ids to run, e.g. 'validity::*' or 'require::trust::unknown-ca'
  --tls 1.2|1.3|both           TLS versions (default both)
  --strictness any|alert|rfc   any proven rejection passes (default) | an acceptable alert at the declared step is
                               required | the RFC's alert at the declared step
  --strict                     protocol-severity failures fail the gate too (default: shown as warnings)
  --require-coverage all|LIST  skipped scenarios in these topics (e.g. revocation,identity) make the run fail
  --concurrency N              probes in flight (default 4)
${timeoutHelp('per probe')}
  --backend both|node|wire     clients that probe each scenario (default both: node:tls and the wire client, and a
                               rejection counts only when both saw it); message mutations always use the wire client
  --expectations FILE          known deviations (default targets/expectations/<target>.json)
  --out DIR                    report directory (default ./mtls-report): results.json, junit.xml, summary.md,
                               report.html
${formatHelp(REPORT_FORMATS, 'all')}
  --baseline FILE              earlier results.json: mark new failures and fixes
  --gate all|regressions       exit 1 on any failure (default) or only on new failures against --baseline
${outputHelp('every result as it comes; the full table and every finding in the console report')}

Ctrl-C or SIGTERM stops the run: probes in flight finish, the servers it started stop, and the reports of what was
measured are written, marked interrupted (results not run are skips "not run: interrupted"); a second one exits at
once. On GitHub Actions summary.md is also appended to $GITHUB_STEP_SUMMARY.

Exit status: 0 conformant, 1 non-conformant, 2 harness or usage error, 130/143/129 interrupted by SIGINT/SIGTERM/SIGHUP.`;

const TARGET_ERRORS: Record<string, ErrorCode> = {
  refused: 'MTLS_ERR_TARGET_UNREACHABLE',
  dns: 'MTLS_ERR_TARGET_UNREACHABLE',
  'not-tls': 'MTLS_ERR_TARGET_NOT_TLS',
  'server-untrusted': 'MTLS_ERR_TARGET_UNTRUSTED',
};

/** `mtls-harness run`. */
export async function runCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseFlags('run', argv, {
    target: { type: 'string' },
    ...SCENARIO_FLAGS,
    servername: { type: 'string' },
    'server-ca': { type: 'string' },
    probe: { type: 'string' },
    capabilities: { type: 'string' },
    'protected-path': { type: 'string' },
    'crl-variant': { type: 'string' },
    product: { type: 'string' },
    'ocsp-responder': { type: 'boolean' },
    'echo-backend': { type: 'string' },
    'sni-no-auth': { type: 'string' },
    'optional-endpoint': { type: 'string' },
    'ocsp-control': { type: 'string' },
    backend: { type: 'string' },
    expectations: { type: 'string' },
    ...FORMAT_FLAGS,
    baseline: { type: 'string' },
    gate: { type: 'string' },
    strict: { type: 'boolean' },
    'require-coverage': { type: 'string' },
    ...OUTPUT_FLAGS,
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(RUN_USAGE);
    return EXIT.OK;
  }
  // Validate every flag before any work.
  const spec = parseTarget(values.target);
  const policyFlag = enumFlag('policy', values.policy, POLICY_VALUES, spec.kind === 'external' ? 'require' : 'both');
  if (policyFlag === 'both' && spec.kind === 'external') {
    // NOTE: a server at HOST:PORT serves one policy; `both` would run optional-policy scenarios against it too.
    throw new HarnessError(
      'MTLS_ERR_USAGE',
      '--policy both needs a target the harness starts (one per policy); a HOST:PORT server serves one: name it (require, optional or none)',
    );
  }
  const policies = policiesOf(policyFlag);
  checkPolicies(spec, policies);
  const { versions, strictness, concurrency: concurrencyFlag, timeoutMs } = scenarioFlags(values);
  const probe =
    values.probe === undefined ? undefined : enumFlag('probe', values.probe, ['http', 'raw'] as const, 'http');
  const backend = enumFlag('backend', values.backend, ['both', 'node', 'wire'] as const, 'both');
  const requireCoverage = parseCoverage(values['require-coverage']);
  const gate = enumFlag('gate', values.gate, ['all', 'regressions'] as const, 'all');
  const formats = formatFlag(values, REPORT_FORMATS, REPORT_FORMATS);
  const verbosity = verbosityFlag(values);
  const color = colorFlag(values);
  const product = values.product === undefined ? undefined : checkProduct(values.product, '--product');
  if (product && spec.kind !== 'external')
    throw new HarnessError('MTLS_ERR_USAGE', '--product names the product behind a HOST:PORT target');
  if (values['ocsp-responder'] && spec.kind !== 'external')
    throw new HarnessError('MTLS_ERR_USAGE', '--ocsp-responder is for a HOST:PORT target (the harness runs its own)');
  const echoFlag = values['echo-backend'] === undefined ? undefined : parseEchoBackend(values['echo-backend']);
  if (echoFlag && spec.kind !== 'external')
    throw new HarnessError(
      'MTLS_ERR_USAGE',
      '--echo-backend is for a HOST:PORT target (the harness runs its own for the servers it starts)',
    );
  const resumption = resumptionFlags(values, spec);
  const known = product ? productCapabilities(product) : undefined;
  const concurrency = Math.min(concurrencyFlag, maxConcurrencyOf(spec, product) ?? Number.MAX_SAFE_INTEGER);
  const capabilities =
    values.capabilities === 'none'
      ? []
      : values.capabilities !== undefined
        ? listFlag('capabilities', values.capabilities)
        : known
          ? [...known.features]
          : ['crl'];
  for (const c of capabilities) {
    if (!(DECLARABLE_CAPABILITIES as readonly string[]).includes(c)) {
      throw new HarnessError(
        'MTLS_ERR_USAGE',
        `bad --capabilities '${c}': expected some of ${DECLARABLE_CAPABILITIES.join(', ')}`,
      );
    }
  }
  const protectedPath = values['protected-path'];
  if (protectedPath !== undefined) {
    if (spec.kind !== 'external' || !capabilities.includes('per-location-auth'))
      throw new HarnessError(
        'MTLS_ERR_USAGE',
        '--protected-path names the protected path of a HOST:PORT target declared with --capabilities per-location-auth',
      );
    // NOTE: it goes into the request line as it is, and `/` is the unprotected path the controls are served on.
    if (!/^\/[\x21-\x7e]*$/.test(protectedPath) || protectedPath === '/')
      throw new HarnessError(
        'MTLS_ERR_USAGE',
        `bad --protected-path '${protectedPath}': expected a path other than / starting with /, printable without spaces`,
      );
  }
  const crlVariant = values['crl-variant'];
  if (crlVariant !== undefined) {
    if (spec.kind !== 'external')
      throw new HarnessError(
        'MTLS_ERR_USAGE',
        '--crl-variant names the CRL bundle a HOST:PORT target was configured with (the harness starts its own servers with each bundle)',
      );
    if (!(CRL_VARIANTS as readonly string[]).includes(crlVariant))
      throw new HarnessError(
        'MTLS_ERR_USAGE',
        `bad --crl-variant '${crlVariant}': expected one of ${CRL_VARIANTS.join(', ')}`,
      );
  }
  const servername = servernameFlag(values.servername);
  const clock = clockFlag(values);
  const out = values.out ?? 'mtls-report';
  // NOTE: a file or an unwritable path at --out used to be found only after the whole run.
  if (formats.some((f) => f !== 'console')) checkOutDir(out, '--out');
  if (gate === 'regressions' && !values.baseline)
    throw new HarnessError('MTLS_ERR_USAGE', '--gate regressions needs --baseline FILE');
  if (spec.kind === 'external' && !values.fixtures) {
    throw new HarnessError(
      'MTLS_ERR_USAGE',
      '--target HOST:PORT needs --fixtures DIR: the fixture set the server was configured from',
    );
  }
  const baseline = values.baseline ? loadBaseline(values.baseline) : undefined;
  const serverTrustPem = values['server-ca'] ? readServerCa(values['server-ca']) : undefined;
  // NOTE: a container runs the same server as the process form, so it shares its expectation file.
  const deviations = loadExpectations(
    product ? (product === 'node' ? 'builtin' : product) : spec.kind === 'container' ? spec.name : targetName(spec),
    values.expectations,
  );

  const scenarios = suiteScenarios(policies, values.suite);

  const opened = await openFixtures(values.fixtures, clock);
  const fx = opened.fx;
  // A set generated now is in date; a given or back-dated one must still be, unless the server's clock is pinned.
  if ((values.fixtures || clock) && !(spec.kind === 'external' && capabilities.includes('pinned-clock'))) {
    try {
      checkFixturesInDate(fx);
    } catch (err) {
      opened[Symbol.dispose]();
      throw err;
    }
  }
  let targets: Awaited<ReturnType<typeof startTargets>>;
  let responder: OcspResponder | undefined;
  let echo: EchoBackend | undefined;
  let echoAt: Endpoint | undefined;
  try {
    throwIfInterrupted();
    if (values['ocsp-responder']) responder = await startResponderAtManifestUrl(fx);
    // NOTE: the proxy scenarios need an echo backend behind the target: the harness runs one for the servers it
    // starts (and for HOST:PORT with --echo-backend PORT); a user's own is only checked to answer.
    const proxied = scenarios.some((s) => s.requires.includes('proxy-identity'));
    if (echoFlag?.host !== undefined) {
      echoAt = await checkEchoBackend({ host: echoFlag.host, port: echoFlag.port }, timeoutMs);
    } else if (echoFlag || (proxied && (spec.kind === 'builtin' || spec.kind === 'process'))) {
      echo = await startEchoBackend({ port: echoFlag?.port ?? 0 });
      echoAt = { host: echo.host, port: echo.port };
      if (echoFlag && !values.quiet)
        console.log(`mtls-harness: echo backend listening on ${echo.url}/ (point the proxy under test at it)`);
    }
    targets = await startTargets(spec, fx, policies, {
      capabilities: capabilities as Feature[],
      ...(known ? { unchecked: known.unchecked.filter((f) => !capabilities.includes(f)) } : {}),
      ...(servername ? { servername } : {}),
      ...(protectedPath ? { protectedPath } : {}),
      ...(echoAt ? { echoBackend: echoAt } : {}),
      // NOTE: the responder --ocsp-responder starts is the one the server asks: its control is the one to use.
      resumption: {
        ...resumption,
        ...(responder && !resumption.ocspControl ? { ocspControl: responder.controlUrl } : {}),
      },
      ...(crlVariant ? { crlVariant: crlVariant as CrlVariantName } : {}),
    });
  } catch (err) {
    await responder?.close();
    await echo?.close();
    opened[Symbol.dispose]();
    throw err;
  }
  let run: RunResult;
  try {
    throwIfInterrupted();
    if (!values.quiet) {
      const where = Object.values(targets).map((t) => {
        const endpoint = `${t!.endpoint.host}:${t!.endpoint.port}`;
        return `${t!.name === endpoint ? endpoint : `${t!.name} ${endpoint}`} (${t!.policy})`;
      });
      console.log(
        `mtls-harness: ${scenarios.length} scenarios × TLS ${versions.join(', ')} against ${where.join(', ')}`,
      );
    }
    run = await runSuite({
      scenarios,
      fixtures: fx,
      targets,
      tls: versions,
      strictness,
      concurrency,
      timeoutMs,
      backend,
      strict: values.strict === true,
      requireCoverage,
      deviations,
      catalogueVersion: CATALOGUE_VERSION,
      catalogueSize: catalogue().length,
      ...(probe ? { probe } : {}),
      ...(servername ? { servername } : {}),
      ...(serverTrustPem ? { serverTrustPem } : {}),
      // By default only the problems are printed as they come; --verbose prints every result.
      ...(values.quiet
        ? {}
        : {
            onResult: (r) => {
              if (verbosity.verbose || ['fail', 'error', 'xpass'].includes(r.verdict))
                console.log(formatProgressLine(r, { color }));
            },
          }),
      // NOTE: SIGINT/SIGTERM stop the runner first (no new probe); the servers are stopped after it, below.
      signal: interruption().signal,
    });
  } finally {
    await Promise.all(Object.values(targets).map((t) => t!.stop()));
    await responder?.close();
    await echo?.close();
    opened[Symbol.dispose]();
  }
  if (run.error?.code === 'MTLS_ERR_SANITY') {
    // Name the real cause when the sanity probe could not even talk TLS to the target. Only then: a target that died
    // during the run keeps MTLS_ERR_TARGET_UNREACHABLE, whatever a probe in flight saw as the server went (a reset
    // probe looked like a non-TLS peer, and the death was reported as MTLS_ERR_TARGET_NOT_TLS).
    const kind = run.results.find((r) => r.id.includes('::sanity::') && r.observed.outcome === 'error')?.observed.error
      ?.kind;
    const code = (kind && TARGET_ERRORS[kind]) || run.error.code;
    run = { ...run, error: { code, message: run.error.message } };
  }
  if (baseline && values.baseline) run = compareWithBaseline(run, baseline, values.baseline);
  if (gate === 'regressions') run = applyGate(run, 'regressions');

  const written = await writeReports(run, out, formats);
  // NOTE: on GitHub Actions the Markdown summary goes on the job's page by itself.
  appendStepSummary(formatMarkdown(run));
  if (formats.includes('console') && !verbosity.quiet)
    console.log(formatConsole(run, { color, verbose: verbosity.verbose }));
  else if (formats.includes('console')) console.log(runStatusLine(run));
  if (written.length && !values.quiet) console.log(`reports: ${written.join(', ')}`);
  const sig = interruption().received;
  if (sig) {
    const notRun = run.results.filter((r) => r.skip?.kind === 'interrupted').length;
    console.error(
      `mtls-harness: INTERRUPTED by ${sig}: ${run.results.length - notRun} of ${run.results.length} results run, no verdict${written.length ? `; reports of what was measured: ${written.join(', ')}` : ''}`,
    );
    return SIGNAL_EXIT[sig];
  }
  return exitStatus(run, gate);
}

/**
 * The exit status of a run. A gating failure is proof of non-conformance on its own (an accepted bad certificate is
 * an application-data round trip), so it outranks errors: 1. Otherwise a run error or an unjudged result: 2.
 */
export function exitStatus(run: RunResult, gate: 'all' | 'regressions'): number {
  const failing = run.summary.gating + run.coverage.missing.length;
  const problem = run.error
    ? `error ${run.error.code}: ${run.error.message}`
    : run.summary.error > 0
      ? `error MTLS_ERR_SANITY: ${run.summary.error} result(s) could not be judged (see the reports)`
      : undefined;
  if (failing > 0) {
    const what =
      gate === 'regressions'
        ? `${failing} new failure(s) against the baseline`
        : [
            run.summary.gating > 0 ? `${run.summary.gating} gating failure(s)` : '',
            run.coverage.missing.length > 0 ? `coverage required but missing (${run.coverage.missing.join('; ')})` : '',
          ]
            .filter(Boolean)
            .join(', ');
    const named = run.results.filter((r) => gates(r, run.gate)).map((r) => `${r.id} [TLS ${r.tls}]`);
    const list = named.length > 0 ? `: ${named.slice(0, 5).join(', ')}${named.length > 5 ? ', …' : ''}` : '';
    console.error(`mtls-harness: NOT CONFORMANT: ${what}${list}${problem ? `; also ${problem}` : ''}`);
    return EXIT.NON_CONFORMANT;
  }
  if (problem) {
    console.error(`mtls-harness: ${problem}`);
    return EXIT.ERROR;
  }
  return EXIT.OK;
}

/**
 * Starts the fixtures' OCSP responder where the certificates say it is (their AIA URL): a server under test that checks
 * OCSP asks there. The URL must be a loopback address the harness can bind.
 */
async function startResponderAtManifestUrl(fx: FixtureSet): Promise<OcspResponder> {
  const url = new URL(fx.manifest.ocsp.url);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!['127.0.0.1', 'localhost', '::1'].includes(host)) {
    throw new HarnessError(
      'MTLS_ERR_USAGE',
      `--ocsp-responder: the certificates name ${url.href}, not a loopback address the harness can serve`,
    );
  }
  return startOcspResponder(fx, { host: host === 'localhost' ? '127.0.0.1' : host, port: Number(url.port || 80) });
}

/** The resumption shapes of a HOST:PORT target (`--sni-no-auth`, `--optional-endpoint`, `--ocsp-control`). */
function resumptionFlags(
  values: { 'sni-no-auth'?: string; 'optional-endpoint'?: string; 'ocsp-control'?: string },
  spec: TargetSpec,
): ExternalResumption {
  const given = (['sni-no-auth', 'optional-endpoint', 'ocsp-control'] as const).filter((f) => values[f] !== undefined);
  if (given.length === 0) return {};
  if (spec.kind !== 'external')
    throw new HarnessError(
      'MTLS_ERR_USAGE',
      `--${given[0]} is for a HOST:PORT target (the harness renders the resumption shapes of the servers it starts)`,
    );
  const sni = values['sni-no-auth'];
  if (
    sni !== undefined &&
    (!/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(sni) || isIP(sni))
  )
    throw new HarnessError(
      'MTLS_ERR_USAGE',
      `bad --sni-no-auth '${sni}': expected a DNS name (SNI carries no address)`,
    );
  let optional: Endpoint | undefined;
  if (values['optional-endpoint'] !== undefined) {
    let parsed: TargetSpec;
    try {
      parsed = parseTarget(values['optional-endpoint']);
    } catch {
      parsed = { kind: 'builtin' };
    }
    if (parsed.kind !== 'external')
      throw new HarnessError(
        'MTLS_ERR_USAGE',
        `bad --optional-endpoint '${values['optional-endpoint']}': expected HOST:PORT (e.g. 127.0.0.1:8444, [::1]:8444)`,
      );
    optional = { host: parsed.host, port: parsed.port };
  }
  const control = values['ocsp-control'];
  if (control !== undefined) checkControlUrl(control);
  return {
    ...(sni ? { sniNoAuth: sni } : {}),
    ...(optional ? { optionalEndpoint: optional } : {}),
    ...(control ? { ocspControl: control } : {}),
  };
}

/** Parses `--echo-backend`: a port (the harness starts the backend on 127.0.0.1) or HOST:PORT (the user runs it). */
function parseEchoBackend(value: string): { readonly host?: undefined; readonly port: number } | Endpoint {
  if (/^\d{1,5}$/.test(value)) return { port: intFlag('echo-backend', value, 0, 1, 65535) };
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 1 || port > 65535) {
    throw new HarnessError(
      'MTLS_ERR_USAGE',
      `bad --echo-backend '${value}': expected a port (started here on 127.0.0.1) or HOST:PORT of a running mtls-harness echo-backend`,
    );
  }
  return { host: (m[1] ?? m[2])!, port };
}

/** Checks that an echo backend answers at `at` (a lookup of a nonce nobody sent: 404), before any probe. */
async function checkEchoBackend(at: Endpoint, timeoutMs: number): Promise<Endpoint> {
  const answer = await fetchEchoRecord(at, 'mtls-harness-liveness-check', timeoutMs);
  if (answer instanceof Error) {
    throw new HarnessError(
      'MTLS_ERR_TARGET_UNREACHABLE',
      `--echo-backend ${at.host}:${at.port}: no echo backend answers there (${answer.message}); start one with mtls-harness echo-backend --port ${at.port}`,
      { cause: answer },
    );
  }
  return at;
}

/** Parses --require-coverage: `all` or a list of catalogue topics. */
function parseCoverage(value: string | undefined): string[] {
  if (value === undefined) return [];
  const topics = value
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  if (topics.length === 0) throw new HarnessError('MTLS_ERR_USAGE', `bad --require-coverage '${value}': empty`);
  for (const t of topics) {
    if (t !== 'all' && !(t in TOPICS)) {
      throw new HarnessError(
        'MTLS_ERR_USAGE',
        `bad --require-coverage '${t}': expected all or some of ${Object.keys(TOPICS).join(', ')}`,
      );
    }
  }
  return topics;
}

/** Reads --server-ca: a PEM bundle with at least one certificate, or a one-line error. */
function readServerCa(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new HarnessError('MTLS_ERR_FILE_MISSING', `cannot read --server-ca '${file}'`, { cause });
  }
  try {
    for (const block of text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [])
      new X509Certificate(block);
  } catch (cause) {
    throw new HarnessError('MTLS_ERR_PEM_MALFORMED', `--server-ca '${file}' holds a malformed certificate`, { cause });
  }
  if (!/-----BEGIN CERTIFICATE-----/.test(text)) {
    throw new HarnessError('MTLS_ERR_PEM_MALFORMED', `--server-ca '${file}' holds no PEM certificate`);
  }
  return text;
}
