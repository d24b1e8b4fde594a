import { gates } from '../core/gate.js';
import type { RunResult, ScenarioResult } from '../core/result.js';
import type { ServerPolicy } from '../core/scenario.js';
import {
  describeClients,
  describeExpected,
  describeObserved,
  describeOutcome,
  namespaceOf,
  policiesOf,
  tlsLabel,
} from './common.js';

// Characters XML 1.0 forbids (§2.2), lone surrogates, and the C1 controls it discourages.
const NOT_XML = /[^\u0009\u000a\u000d\u0020-\u007e\u00a0-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu;

/** Removes every character an XML 1.0 document may not (or should not) contain. */
export function stripXmlInvalid(text: string): string {
  return text.replace(NOT_XML, '');
}

/** Escapes character data for an XML element body. */
export function xmlText(text: string): string {
  return stripXmlInvalid(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Escapes a value for a double- or single-quoted XML attribute. Tabs and line breaks become character references,
 * because attribute-value normalisation would otherwise turn them into spaces.
 */
export function xmlAttr(text: string): string {
  return xmlText(text)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}

function attrs(values: Readonly<Record<string, string | number | undefined>>): string {
  return Object.entries(values)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([name, value]) => ` ${name}="${xmlAttr(String(value))}"`)
    .join('');
}

function seconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3);
}

interface Counts {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
  time: number;
}

function details(result: ScenarioResult): string {
  return [
    `${result.title} (${result.severity})`,
    `expected: ${describeExpected(result.expected)}`,
    `observed: ${describeObserved(result.observed)}`,
    ...(result.observations.length > 1 ? [`clients: ${describeClients(result.observations)}`] : []),
    `reason: ${result.reason}`,
    ...(result.change ? [`baseline: ${result.change}`] : []),
  ].join('\n');
}

/** One `<testcase>` and its child, and the counts it contributes. */
function testcase(result: ScenarioResult, counts: Counts, gate: RunResult['gate']): string {
  counts.tests += 1;
  counts.time += result.duration;
  const open = `    <testcase${attrs({
    classname: namespaceOf(result.id),
    name: `${result.id} [${tlsLabel(result.tls)}]`,
    time: seconds(result.duration),
  })}`;
  const expectedVsObserved = `expected ${describeExpected(result.expected)}, observed ${describeOutcome(result.observed)}`;
  switch (result.verdict) {
    case 'pass':
      return `${open}/>`;
    case 'fail':
      if (!gates(result, gate)) {
        // A failure the gate lets through passes, and its output says why it is a warning.
        const why =
          result.severity === 'advisory'
            ? `advisory finding, never gating: ${result.finding ?? ''}`
            : gate.mode === 'regressions' && result.change === 'unchanged'
              ? 'already failing in the baseline, accepted by --gate regressions'
              : 'protocol severity, not gating without --strict';
        return `${open}>\n      <system-out>${xmlText(`WARNING (${why}): ${expectedVsObserved}: ${result.reason}\n${details(result)}`)}</system-out>\n    </testcase>`;
      }
      counts.failures += 1;
      return `${open}>\n      <failure${attrs({ message: `${expectedVsObserved}: ${result.reason}`, type: 'fail' })}>${xmlText(details(result))}</failure>\n    </testcase>`;
    case 'xpass':
      if (!gates(result, gate)) {
        return `${open}>\n      <system-out>${xmlText(`WARNING (already an unexpected pass in the baseline, accepted by --gate regressions): ${result.reason}\n${details(result)}`)}</system-out>\n    </testcase>`;
      }
      counts.failures += 1;
      return `${open}>\n      <failure${attrs({ message: `unexpected pass of a known deviation: ${result.reason}`, type: 'xpass' })}>${xmlText(details(result))}</failure>\n    </testcase>`;
    case 'error':
      counts.errors += 1;
      return `${open}>\n      <error${attrs({ message: result.reason, type: result.observed.error?.kind ?? 'error' })}>${xmlText(details(result))}</error>\n    </testcase>`;
    case 'skip':
      counts.skipped += 1;
      return `${open}>\n      <skipped${attrs({ message: result.reason })}/>\n    </testcase>`;
    case 'xfail':
      // A known deviation is not a CI failure: it passes, and says why in its output.
      return `${open}>\n      <system-out>${xmlText(`xfail (known deviation): ${result.reason}\n${details(result)}`)}</system-out>\n    </testcase>`;
  }
}

function properties(run: RunResult, policy: ServerPolicy | undefined): string {
  const props: Record<string, string | number | undefined> = {
    'tool.name': run.tool.name,
    'tool.version': run.tool.version,
    'catalogue.version': run.catalogue.version,
    'catalogue.scenarios': run.catalogue.scenarios,
    'target.name': run.target.name,
    'target.version': run.target.version,
    'target.endpoint': run.target.endpoint,
    'target.probe': run.target.probe,
    policy: policy ?? run.policy,
    strictness: run.strictness,
    clock: run.clock,
    'baseline.file': run.baseline?.file,
  };
  const lines = Object.entries(props)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([name, value]) => `      <property${attrs({ name, value: String(value) })}/>`);
  return `    <properties>\n${lines.join('\n')}\n    </properties>`;
}

/**
 * JUnit XML for CI systems (GitHub test reporters, GitLab, Jenkins): one `<testsuite>` per server policy, one
 * `<testcase classname="<namespace>" name="<id> [TLS x]">` per result. A gating `fail` (security severity, or any
 * under --strict) and `xpass` become `<failure>`, a protocol-severity `fail` passes with a WARNING `<system-out>`, `error`
 * becomes `<error>`, `skip` becomes `<skipped>`, and `xfail` passes with a `<system-out>` note. A run error gets its
 * own suite with one errored test case, so that CI shows it. The counts in the attributes are those of the elements.
 */
export function formatJunit(run: RunResult): string {
  const total: Counts = { tests: 0, failures: 0, errors: 0, skipped: 0, time: 0 };
  const suites: string[] = [];
  const policies = policiesOf(run.results);
  const groups: { policy: ServerPolicy | undefined; results: readonly ScenarioResult[] }[] =
    policies.length > 0
      ? policies.map((policy) => ({ policy, results: run.results.filter((r) => r.policy === policy) }))
      : [{ policy: undefined, results: [] }];

  for (const group of groups) {
    const counts: Counts = { tests: 0, failures: 0, errors: 0, skipped: 0, time: 0 };
    const cases = group.results.map((r) => testcase(r, counts, run.gate));
    suites.push(
      `  <testsuite${attrs({
        name: `${run.tool.name} ${run.target.name} (${group.policy ?? run.policy})`,
        tests: counts.tests,
        failures: counts.failures,
        errors: counts.errors,
        skipped: counts.skipped,
        time: seconds(counts.time),
        timestamp: run.startedAt,
      })}>\n${properties(run, group.policy)}\n${cases.map((c) => c + '\n').join('')}  </testsuite>`,
    );
    total.tests += counts.tests;
    total.failures += counts.failures;
    total.errors += counts.errors;
    total.skipped += counts.skipped;
  }

  if (run.error) {
    total.tests += 1;
    total.errors += 1;
    suites.push(
      `  <testsuite${attrs({
        name: `${run.tool.name} ${run.target.name} (run)`,
        tests: 1,
        failures: 0,
        errors: 1,
        skipped: 0,
        time: seconds(0),
        timestamp: run.startedAt,
      })}>\n    <testcase${attrs({ classname: run.tool.name, name: 'run', time: seconds(0) })}>\n      <error${attrs({
        message: run.error.message,
        type: run.error.code,
      })}>${xmlText(`${run.error.code}: ${run.error.message}`)}</error>\n    </testcase>\n  </testsuite>`,
    );
  }

  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<testsuites${attrs({
      name: run.tool.name,
      tests: total.tests,
      failures: total.failures,
      errors: total.errors,
      skipped: total.skipped,
      time: seconds(run.duration),
      timestamp: run.startedAt,
    })}>\n${suites.join('\n')}\n</testsuites>\n`
  );
}
