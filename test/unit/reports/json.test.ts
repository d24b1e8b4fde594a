import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALERTS, type AlertName } from '../../../core/alerts.js';
import { ERROR_CODES, type ErrorCode } from '../../../core/errors.js';
import type {
  ClientObservation,
  ControlResult,
  Coverage,
  Observation,
  Outcome,
  RunResult,
  ScenarioResult,
  Strictness,
  UnrelatedError,
  Verdict,
} from '../../../core/result.js';
import { ALL_POLICIES, TLS_VERSIONS, type HandshakeStep } from '../../../core/scenario.js';
import { formatJson } from '../../../reports/json.js';
import { validate, type Schema } from '../../helpers/json-schema.js';
import { baselineRun, conformantRun, erroredRun, sampleRun } from './sample.js';

const schema = JSON.parse(
  readFileSync(new URL('../../../schemas/results.schema.json', import.meta.url), 'utf8'),
) as Schema;

/** Returns the list unchanged, and fails to compile unless it names every member of `T`. */
function allOf<T>() {
  return <const L extends readonly T[]>(list: L & ([Exclude<T, L[number]>] extends [never] ? unknown : never)): L =>
    list;
}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
type RequiredKeys<T> = { [K in keyof T]-?: {} extends Pick<T, K> ? never : K }[keyof T];

// Runtime copies of the TS unions (core/ exports no arrays for these); allOf() keeps them complete.
const VERDICTS = allOf<Verdict>()(['pass', 'fail', 'skip', 'error', 'xfail', 'xpass']);
const OUTCOMES = allOf<Outcome>()([
  'accepted',
  'rejected-alert',
  'rejected-http',
  'closed',
  'reset',
  'timeout',
  'error',
  'not-run',
]);
const STRICTNESS = allOf<Strictness>()(['any', 'alert', 'rfc']);
const UNRELATED = allOf<UnrelatedError>()([
  'refused',
  'dns',
  'not-tls',
  'server-untrusted',
  'protocol-version',
  'client-setup',
  'internal',
]);
const STEPS = allOf<HandshakeStep>()([
  'tcp-connect',
  'client-hello',
  'server-hello',
  'certificate-request',
  'client-certificate',
  'client-key-exchange',
  'certificate-verify',
  'client-finished',
  'post-handshake',
  'application-data',
]);
const CHANGES = allOf<NonNullable<ScenarioResult['change']>>()(['new-failure', 'fixed', 'unchanged', 'new']);
const TARGET_PROBES = allOf<RunResult['target']['probe']>()(['raw', 'http']);
const OBSERVATION_PROBES = allOf<NonNullable<Observation['probe']>>()(['node', 'http', 'wire']);
const ALERT_TIMINGS = allOf<NonNullable<Observation['alertTiming']>>()(['handshake', 'post-handshake']);
const DECISIONS = allOf<ScenarioResult['expected']['decision']>()(['accept', 'reject', 'either']);
const BACKENDS = allOf<ClientObservation['backend']>()(['node', 'wire']);
const SEVERITIES = allOf<ScenarioResult['severity']>()(['security', 'protocol', 'advisory']);
const EVIDENCE = allOf<ClientObservation['evidence']>()([
  'acceptance',
  'conclusive-rejection',
  'inconclusive-rejection',
  'early-rejection',
  'no-decision',
]);
const SKIP_KINDS = allOf<NonNullable<ScenarioResult['skip']>['kind']>()([
  'capability',
  'fixture',
  'clock',
  'clock-distance',
  'deviation',
  'client',
  'interrupted',
]);
const CLIENTS = allOf<ScenarioResult['clients']>()(['agree', 'disagree', 'single']);
const ALERT_NAMES = Object.keys(ALERTS) as AlertName[];
const ERROR_CODE_NAMES = Object.keys(ERROR_CODES) as ErrorCode[];

/** The key lists of one interface, erased to strings once checked. */
type Shape = { keys: readonly PropertyKey[]; required: readonly PropertyKey[] };
function shape<T>() {
  return <const K extends readonly (keyof T)[], const R extends readonly RequiredKeys<T>[]>(
    keys: K & ([Exclude<keyof T, K[number]>] extends [never] ? unknown : never),
    required: R & ([Exclude<RequiredKeys<T>, R[number]>] extends [never] ? unknown : never),
  ): Shape => ({ keys, required });
}

/** Every object in RunResult, with its keys and required keys checked against the TS interface at compile time. */
const OBJECTS: Record<string, { pointer: string[]; shape: Shape }> = {
  RunResult: {
    pointer: [],
    shape: shape<RunResult>()(
      [
        'schemaVersion',
        'tool',
        'catalogue',
        'target',
        'policy',
        'clock',
        'strictness',
        'startedAt',
        'duration',
        'results',
        'controls',
        'coverage',
        'gate',
        'summary',
        'conformant',
        'interrupted',
        'signal',
        'error',
        'baseline',
      ],
      [
        'schemaVersion',
        'tool',
        'catalogue',
        'target',
        'policy',
        'clock',
        'strictness',
        'startedAt',
        'duration',
        'results',
        'controls',
        'coverage',
        'gate',
        'summary',
        'conformant',
        'interrupted',
      ],
    ),
  },
  gate: {
    pointer: ['properties', 'gate'],
    shape: shape<RunResult['gate']>()(['strict', 'mode'], ['strict', 'mode']),
  },
  Coverage: {
    pointer: ['$defs', 'coverage'],
    shape: shape<Coverage>()(
      ['results', 'verified', 'skipped', 'errors', 'skippedByReason', 'topics', 'notVerified', 'required', 'missing'],
      ['results', 'verified', 'skipped', 'errors', 'skippedByReason', 'topics', 'notVerified', 'required', 'missing'],
    ),
  },
  coverageTopic: {
    pointer: ['$defs', 'coverage', 'properties', 'topics', 'additionalProperties'],
    shape: shape<Coverage['topics'][string]>()(['verified', 'skipped', 'errors'], ['verified', 'skipped', 'errors']),
  },
  ControlResult: {
    pointer: ['$defs', 'controlResult'],
    shape: shape<ControlResult>()(
      [
        'id',
        'policy',
        'backend',
        'tls',
        'probe',
        'servername',
        'family',
        'fixture',
        'observed',
        'accepted',
        'duration',
      ],
      [
        'id',
        'policy',
        'backend',
        'tls',
        'probe',
        'servername',
        'family',
        'fixture',
        'observed',
        'accepted',
        'duration',
      ],
    ),
  },
  ClientObservation: {
    pointer: ['$defs', 'clientObservation'],
    shape: shape<ClientObservation>()(
      ['backend', 'observed', 'evidence', 'note'],
      ['backend', 'observed', 'evidence', 'note'],
    ),
  },
  skip: {
    pointer: ['$defs', 'scenarioResult', 'properties', 'skip'],
    shape: shape<NonNullable<ScenarioResult['skip']>>()(['kind', 'detail'], ['kind', 'detail']),
  },
  transport: {
    pointer: ['$defs', 'observation', 'properties', 'transport'],
    shape: shape<NonNullable<Observation['transport']>>()(
      ['serverRecords', 'truncatedRecord', 'clientFlightSent'],
      ['serverRecords', 'truncatedRecord', 'clientFlightSent'],
    ),
  },
  tool: {
    pointer: ['properties', 'tool'],
    shape: shape<RunResult['tool']>()(['name', 'version'], ['name', 'version']),
  },
  catalogue: {
    pointer: ['properties', 'catalogue'],
    shape: shape<RunResult['catalogue']>()(['version', 'scenarios'], ['version', 'scenarios']),
  },
  target: {
    pointer: ['properties', 'target'],
    shape: shape<RunResult['target']>()(['name', 'endpoint', 'version', 'probe'], ['name', 'endpoint', 'probe']),
  },
  summary: {
    pointer: ['properties', 'summary'],
    shape: shape<RunResult['summary']>()(
      ['pass', 'fail', 'skip', 'error', 'xfail', 'xpass', 'total', 'gating', 'warnings'],
      ['pass', 'fail', 'skip', 'error', 'xfail', 'xpass', 'total', 'gating', 'warnings'],
    ),
  },
  error: {
    pointer: ['properties', 'error'],
    shape: shape<NonNullable<RunResult['error']>>()(['code', 'message'], ['code', 'message']),
  },
  baseline: {
    pointer: ['properties', 'baseline'],
    shape: shape<NonNullable<RunResult['baseline']>>()(
      ['file', 'newFailures', 'fixed'],
      ['file', 'newFailures', 'fixed'],
    ),
  },
  ScenarioResult: {
    pointer: ['$defs', 'scenarioResult'],
    shape: shape<ScenarioResult>()(
      [
        'id',
        'title',
        'tls',
        'policy',
        'fixture',
        'severity',
        'expected',
        'observed',
        'observations',
        'controls',
        'clients',
        'skip',
        'finding',
        'verdict',
        'reason',
        'duration',
        'change',
      ],
      [
        'id',
        'title',
        'tls',
        'policy',
        'fixture',
        'severity',
        'expected',
        'observed',
        'observations',
        'controls',
        'clients',
        'verdict',
        'reason',
        'duration',
      ],
    ),
  },
  expected: {
    pointer: ['$defs', 'scenarioResult', 'properties', 'expected'],
    shape: shape<ScenarioResult['expected']>()(['decision', 'alerts', 'step'], ['decision', 'alerts']),
  },
  Observation: {
    pointer: ['$defs', 'observation'],
    shape: shape<Observation>()(
      [
        'outcome',
        'alert',
        'alertTiming',
        'step',
        'handshakeCompleted',
        'httpStatus',
        'error',
        'protocol',
        'probe',
        'backend',
        'transport',
        'detail',
      ],
      ['outcome', 'step', 'handshakeCompleted'],
    ),
  },
  alert: {
    pointer: ['$defs', 'observation', 'properties', 'alert'],
    shape: shape<NonNullable<Observation['alert']>>()(['name', 'code'], ['name', 'code']),
  },
  observationError: {
    pointer: ['$defs', 'observation', 'properties', 'error'],
    shape: shape<NonNullable<Observation['error']>>()(['kind', 'message'], ['kind', 'message']),
  },
};

function at(pointer: readonly string[]): Schema {
  let node: unknown = schema;
  for (const part of pointer) node = (node as Record<string, unknown>)[part];
  expect(node, pointer.join('/')).toBeTypeOf('object');
  return node as Schema;
}

const sorted = (values: readonly unknown[]): string[] => values.map(String).sort();

describe('formatJson', () => {
  it('is the RunResult as indented JSON with a final newline', () => {
    const run = sampleRun();
    const text = formatJson(run);
    expect(text.endsWith('}\n')).toBe(true);
    expect(text).toContain('\n  "schemaVersion": 2,');
    expect(JSON.parse(text)).toEqual(run);
  });
});

describe('schemas/results.schema.json', () => {
  it('is a draft 2020-12 schema pinned to schemaVersion 2', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(at(['properties', 'schemaVersion'])).toMatchObject({ const: 2 });
    expect(at(['properties', 'tool', 'properties', 'name'])).toMatchObject({ const: 'mtls-harness' });
  });

  it.each([
    ['sample', sampleRun()],
    ['conformant', conformantRun()],
    ['errored', erroredRun()],
    ['baseline', baselineRun()],
  ])('accepts the %s run as written by formatJson', (_name, run) => {
    expect(validate(schema, JSON.parse(formatJson(run)))).toEqual([]);
  });

  it('has enums equal to the TypeScript unions', () => {
    const enums: [string[], readonly unknown[]][] = [
      [['$defs', 'verdict'], VERDICTS],
      [['$defs', 'outcome'], OUTCOMES],
      [['$defs', 'serverPolicy'], ALL_POLICIES],
      [['$defs', 'tlsVersion'], TLS_VERSIONS],
      [['$defs', 'strictness'], STRICTNESS],
      [['$defs', 'alertName'], ALERT_NAMES],
      [['$defs', 'handshakeStep'], STEPS],
      [['$defs', 'unrelatedError'], UNRELATED],
      [['$defs', 'errorCode'], ERROR_CODE_NAMES],
      [['$defs', 'scenarioResult', 'properties', 'change'], CHANGES],
      [['$defs', 'scenarioResult', 'properties', 'expected', 'properties', 'decision'], DECISIONS],
      [['$defs', 'observation', 'properties', 'probe'], OBSERVATION_PROBES],
      [['$defs', 'observation', 'properties', 'alertTiming'], ALERT_TIMINGS],
      [['$defs', 'backend'], BACKENDS],
      [['$defs', 'severity'], SEVERITIES],
      [['$defs', 'observationEvidence'], EVIDENCE],
      [['$defs', 'skipKind'], SKIP_KINDS],
      [['$defs', 'scenarioResult', 'properties', 'clients'], CLIENTS],
      [['properties', 'target', 'properties', 'probe'], TARGET_PROBES],
    ];
    for (const [pointer, values] of enums) {
      expect(sorted(at(pointer).enum as unknown[]), pointer.join('/')).toEqual(sorted(values));
    }
    // An observed alert may also be 'unknown'; an expected one may not.
    const alertName = at(['$defs', 'observation', 'properties', 'alert', 'properties', 'name']);
    expect(validate(alertName, 'unknown', schema)).toEqual([]);
    expect(validate(alertName, 'certificate_expired', schema)).toEqual([]);
    expect(validate(alertName, 'nope', schema)).not.toEqual([]);
  });

  it('has exactly the properties and required keys of each TypeScript interface, and no others', () => {
    for (const [name, { pointer, shape: expected }] of Object.entries(OBJECTS)) {
      const node = at(pointer);
      expect(node.type, name).toBe('object');
      expect(node.additionalProperties, name).toBe(false);
      expect(sorted(Object.keys(node.properties as object)), `${name} properties`).toEqual(sorted(expected.keys));
      expect(sorted(node.required as string[]), `${name} required`).toEqual(sorted(expected.required));
    }
  });

  it('rejects runs that break the contract', () => {
    const good = JSON.parse(formatJson(sampleRun())) as Record<string, unknown> & {
      results: Record<string, unknown>[];
    };
    const broken: [string, (run: typeof good) => void][] = [
      ['schemaVersion 1', (r) => (r.schemaVersion = 1)],
      ['missing controls', (r) => delete r.controls],
      ['missing severity', (r) => delete (r.results[0] as Record<string, unknown>).severity],
      ['bad severity', (r) => ((r.results[0] as Record<string, unknown>).severity = 'cosmetic')],
      ['bad evidence', (r) => ((r.results[0]?.observations as Record<string, unknown>[])[0]!.evidence = 'maybe')],
      ['missing summary', (r) => delete r.summary],
      ['extra top-level key', (r) => (r.extra = true)],
      ['bad verdict', (r) => ((r.results[0] as Record<string, unknown>).verdict = 'maybe')],
      ['bad tls', (r) => ((r.results[0] as Record<string, unknown>).tls = '1.1')],
      ['fractional count', (r) => ((r.summary as Record<string, unknown>).pass = 1.5)],
      ['bad error code', (r) => (r.error = { code: 'MTLS_ERR_NOPE', message: 'x' })],
      ['negative duration', (r) => (r.duration = -1)],
      ['missing observed.step', (r) => delete (r.results[0]?.observed as Record<string, unknown>).step],
      ['bad expected alert', (r) => ((r.results[2]?.expected as { alerts: string[] }).alerts = ['unknown'])],
    ];
    for (const [label, mutate] of broken) {
      const copy = structuredClone(good);
      mutate(copy);
      expect(validate(schema, copy), label).not.toEqual([]);
    }
  });
});
