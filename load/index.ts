/** The load module: mTLS handshake throughput, proven resumption, and HTTP over mTLS. */
export { runLoad, LoadRun, type LoadRunEvents } from './run-load.js';
export { validate, type LoadOptions, type ResolvedLoadOptions } from './validate.js';
export { DEFAULT_LOAD_OPTIONS, DEFAULT_MULTI_WORKER_KIND } from './default-options.js';
export { mergeLoadResults, readLoadResult } from './merge.js';
export { addMeasured, buildLoadResult, undecidedReason, unionWindows, windowsLengthMs } from './aggregate.js';
export {
  HISTOGRAM_PRECISION,
  createHistogram,
  decodeHistogram,
  encodeHistogram,
  addEncoded,
  latencySummary,
} from './histogram.js';
export { issueIdentities, identityPems, loadIdentityIds, identityId } from './identities.js';
export type { IdentityPem, LoadEvent } from './protocol.js';
export type { LoadEngine } from './wire-engine/options.js';
export { GROUP_NAMES, SUITE_NAMES, SIGALG_NAMES } from './wire-engine/names.js';
export {
  parseStages,
  checkStages,
  stagedSchedule,
  constantSchedule,
  offeredInSecond,
  type ArrivalSchedule,
} from './stages.js';
export { findKnee, timelineLine, TimelineFile, SecondsCollector } from './timeline.js';
export { parseVersionShare, VersionPicker, EVEN_SHARE, type VersionShare } from './versions.js';
