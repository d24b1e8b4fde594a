import type { LatencyMs, LoadResult } from '../core/load-result.js';
import { xmlAttr, xmlText } from './junit.js';
import { describeLoad, formatRate, kneeLine, latencyLine } from './load-figures.js';
import { loadGates, type LoadGate } from './load-gates.js';

function attrs(values: Readonly<Record<string, string | number | undefined>>): string {
  return Object.entries(values)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([name, value]) => ` ${name}="${xmlAttr(String(value))}"`)
    .join('');
}

const counts = (record: Readonly<Record<string, number>>): string =>
  Object.entries(record)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ') || 'none';

/** The figures of a run as plain lines, for the suite's `<system-out>`. */
function figures(r: LoadResult): string {
  const lines = [
    `${r.target.name} (${r.target.endpoint})${r.target.version ? ` ${r.target.version}` : ''}`,
    describeLoad(r),
    `measured ${(r.durationMs / 1000).toFixed(2)} s from ${r.startedAt}${r.agents > 1 ? `, ${r.agents} agents merged` : ''}${r.interrupted ? `, interrupted${r.signal ? ` by ${r.signal}` : ''}` : ''}`,
  ];
  if (r.http) {
    lines.push(
      `requests/s ${formatRate(r.http.requestsPerSecond)} (${r.http.succeeded} accepted, ${r.http.rejected} refused, ${r.http.failed} failed)`,
      `latency ${latencyLine(r.http.latencyMs)}`,
      `status codes ${counts(r.http.statusCodes)}`,
    );
  } else {
    const h = r.handshakes;
    lines.push(
      `handshakes/s ${formatRate(r.handshakesPerSecond.total)} (full ${formatRate(r.handshakesPerSecond.full)}, resumed ${formatRate(r.handshakesPerSecond.resumed)})`,
      `handshakes ${h.succeeded} accepted of ${h.attempted} (full ${h.full}, resumed ${h.resumed}; refused ${h.rejected}, failed ${h.failed})`,
      `latency ${latencyLine(r.latencyMs)}`,
    );
    if (r.resumedRatio !== null) lines.push(`resumed ratio ${(r.resumedRatio * 100).toFixed(2)} %`);
  }
  if (r.byVersion)
    for (const v of ['1.2', '1.3'] as const) {
      const f = r.byVersion[v];
      lines.push(
        `TLS ${v}: ${formatRate(f.handshakesPerSecond)} handshakes/s, ${f.succeeded} accepted of ${f.attempted}, latency ${latencyLine(f.latencyMs)}`,
      );
    }
  const knee = kneeLine(r);
  if (knee) lines.push(`knee ${knee}`);
  if (r.ticketsReceived !== null && r.ticketsReceived !== undefined)
    lines.push(`tickets received ${r.ticketsReceived}`);
  if (r.chainCache)
    lines.push(
      `server chain verifications ${r.chainCache.verifications}, cache hits ${r.chainCache.hits}, invalidations ${r.chainCache.invalidations}, failures ${r.chainCache.failures}`,
    );
  if (r.acceptances !== null) lines.push(`acceptances ${r.acceptances}`);
  lines.push(
    `refusals ${r.rejectionsTotal} (${counts(r.rejections)})`,
    `errors ${r.errorsTotal} (${counts(r.errors)})`,
  );
  if (r.config.rate !== null || !!r.config.stages) lines.push(`dropped arrivals ${r.dropped}`);
  if (r.errorRate !== null) lines.push(`error rate ${(r.errorRate * 100).toFixed(2)} %`);
  if (r.clientCpuMsPerHandshake !== null) lines.push(`generator CPU ${r.clientCpuMsPerHandshake} ms per unit of work`);
  for (const note of r.notes) lines.push(`note: ${note}`);
  return lines.join('\n');
}

/** `latency.p50` … `latency.stdev` (ms), for the suite's properties. */
function latencyProps(prefix: string, l: LatencyMs): Record<string, number | undefined> {
  return {
    [`${prefix}.p50`]: l.p50,
    [`${prefix}.p90`]: l.p90,
    [`${prefix}.p95`]: l.p95,
    [`${prefix}.p99`]: l.p99,
    [`${prefix}.p999`]: l.p999,
    [`${prefix}.max`]: l.max,
    [`${prefix}.mean`]: l.mean,
    [`${prefix}.stdev`]: l.stdev,
  };
}

interface Counts {
  tests: number;
  failures: number;
  errors: number;
}

/** One `<testcase>` for a gate: a `<failure>` per breach, an `<error>` for no verdict, the figures in its output. */
function testcase(g: LoadGate, counts: Counts): string {
  counts.tests += 1;
  const open = `    <testcase${attrs({ classname: 'mtls-harness.load', name: g.name, time: '0.000' })}>`;
  const children: string[] = [];
  for (const f of g.failures) {
    counts.failures += 1;
    children.push(`      <failure${attrs({ message: f, type: g.id })}>${xmlText(f)}</failure>`);
  }
  for (const e of g.errors) {
    counts.errors += 1;
    children.push(`      <error${attrs({ message: e, type: 'MTLS_ERR_UNDECIDED' })}>${xmlText(e)}</error>`);
  }
  const out = [g.limit ? `limit: ${g.limit}` : '', g.measured ? `measured: ${g.measured}` : ''].filter(Boolean);
  if (out.length > 0) children.push(`      <system-out>${xmlText(out.join('\n'))}</system-out>`);
  return children.length > 0 ? `${open}\n${children.join('\n')}\n    </testcase>` : `${open.slice(0, -1)}/>`;
}

/**
 * JUnit XML of a load run (or a merge), for CI test reporters: one `<testsuite>`, one `<testcase>` per gate that was
 * checked — the p99 threshold, the rate threshold, the error-rate threshold, resumption, acceptances with
 * `--scenario`, a valid client accepted without it — with a `<failure>` for each breach the result lists, and a
 * `completed` test case that errors when the run was interrupted (never a pass). The suite's `<system-out>` carries the
 * figures. Target-controlled text is escaped, characters XML forbids are dropped.
 */
export function formatLoadJunit(r: LoadResult): string {
  const counts: Counts = { tests: 0, failures: 0, errors: 0 };
  const cases = loadGates(r).map((g) => testcase(g, counts));
  counts.tests += 1;
  if (r.interrupted) {
    counts.errors += 1;
    const message = `interrupted${r.signal ? ` by ${r.signal}` : ''}: the figures cover part of what was asked, no verdict`;
    cases.push(
      `    <testcase${attrs({ classname: 'mtls-harness.load', name: 'completed', time: '0.000' })}>\n      <error${attrs({ message, type: 'interrupted' })}>${xmlText(message)}</error>\n    </testcase>`,
    );
  } else {
    cases.push(`    <testcase${attrs({ classname: 'mtls-harness.load', name: 'completed', time: '0.000' })}/>`);
  }
  const time = (Math.max(0, r.durationMs) / 1000).toFixed(3);
  const name = `${r.tool.name} load ${r.target.name} (${r.target.endpoint})`;
  const props: Record<string, string | number | undefined> = {
    'tool.name': r.tool.name,
    'tool.version': r.tool.version,
    'target.name': r.target.name,
    'target.endpoint': r.target.endpoint,
    'target.version': r.target.version,
    tls: r.config.tls,
    mode: r.config.mode,
    scenario: r.config.scenario?.id,
    agents: r.agents,
    ...latencyProps('latency', r.http ? r.http.latencyMs : r.latencyMs),
    ...(r.byVersion
      ? {
          ...latencyProps('tls1.2.latency', r.byVersion['1.2'].latencyMs),
          'tls1.2.handshakesPerSecond': r.byVersion['1.2'].handshakesPerSecond,
          ...latencyProps('tls1.3.latency', r.byVersion['1.3'].latencyMs),
          'tls1.3.handshakesPerSecond': r.byVersion['1.3'].handshakesPerSecond,
        }
      : {}),
    ...(r.knee
      ? {
          'knee.heldRate': r.knee.heldRate ?? undefined,
          'knee.heldSecond': r.knee.heldSecond ?? undefined,
          'knee.firstBreachSecond': r.knee.firstBreach?.second,
        }
      : {}),
  };
  const properties = Object.entries(props)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([n, value]) => `      <property${attrs({ name: n, value: String(value) })}/>`)
    .join('\n');
  const suiteAttrs = {
    tests: counts.tests,
    failures: counts.failures,
    errors: counts.errors,
    skipped: 0,
    time,
    timestamp: r.startedAt,
  };
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<testsuites${attrs({ name: `${r.tool.name} load`, ...suiteAttrs })}>\n` +
    `  <testsuite${attrs({ name, ...suiteAttrs })}>\n    <properties>\n${properties}\n    </properties>\n` +
    `${cases.join('\n')}\n    <system-out>${xmlText(figures(r))}</system-out>\n  </testsuite>\n</testsuites>\n`
  );
}
