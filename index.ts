/**
 * mtls-harness as a library: generate fixtures, run the catalogue, drive load, format reports — everything the CLI
 * does, for QA scripts that want the results as data.
 *
 *   import { generateFixtures, loadManifest, catalogue, runSuite, startTargets, parseTarget } from 'mtls-harness';
 */
export * from './core/alerts.js';
export * from './core/errors.js';
export * from './core/manifest.js';
export * from './core/result.js';
export * from './core/scenario.js';
export type * from './core/load-result.js';
export { VERSION } from './core/version.js';

export { generateFixtures, buildPki, parseClock, type GenerateOptions } from './fixtures-gen/generate.js';
export { PkiBuilder } from './fixtures-gen/builder.js';
export { startOcspResponder, queryOcsp, type OcspResponder } from './fixtures-gen/ocsp.js';

export {
  startEchoBackend,
  fetchEchoRecord,
  type EchoBackend,
  type EchoBackendOptions,
  type EchoRecord,
} from './services/echo-backend.js';

export { catalogue, checkCatalogue, CATALOGUE_VERSION, TOPICS } from './suites/index.js';

export { runSuite, HARNESS_FEATURES, type RunSuiteOptions, type BackendChoice } from './engine/run-suite.js';
export { applyDeviation, mechanism, type Deviation } from './engine/classify.js';
export { assess, defectStep } from './engine/evidence.js';
export { judge, type Evidence, type Judgement } from './engine/verdict.js';
export { isGating, isWarning } from './core/gate.js';
export { coverageOf, topicOf } from './engine/coverage.js';
export { selectScenarios, globMatcher } from './engine/select.js';
export { probeNode, clientContext, type NodeProbeOptions } from './engine/probe-node.js';
export { compareWithBaseline, loadBaseline } from './engine/baseline.js';

export { wireProbe, WIRE_MUTATIONS, type WireProbeOptions, type WireResult } from './wire/index.js';

export { startBuiltinServer, type BuiltinServerOptions } from './targets/builtin.js';
export { parseTarget, startTargets, describeTargets, type TargetSpec } from './targets/registry.js';
export { loadExpectations } from './targets/expectations.js';
export type { StartedTarget, Endpoint } from './targets/target.js';
export { PROXY_PATH, FORGEABLE_IDENTITY_HEADERS, type ProxyMode } from './targets/proxy.js';

export * as load from './load/index.js';

export { FORMATTERS, REPORT_FILES, parseFormats, writeReports } from './reports/index.js';
export type { ReportFormat } from './reports/types.js';
