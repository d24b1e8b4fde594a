import type { Coverage, ScenarioResult } from '../core/result.js';

/** The topic of a scenario id `<policy>::<topic>::<name>`. */
export function topicOf(id: string): string {
  return id.split('::')[1] ?? id;
}

const VERIFIED = new Set(['pass', 'fail', 'xfail', 'xpass']);

/**
 * What a run verified and what it did not, per topic. A skipped result is a gap in what the verdict says: a run
 * that skipped every revocation scenario says nothing about revocation, and the reports must say so. Topics in
 * `required` (every topic for `['all']`) with a skipped result are `missing`: the run is then non-conformant.
 */
export function coverageOf(results: readonly ScenarioResult[], required: readonly string[]): Coverage {
  const topics: Record<string, { verified: number; skipped: number; errors: number }> = {};
  const reasons: Record<string, Record<string, number>> = {};
  const skippedByReason: Record<string, number> = {};
  /** Skips that are gaps of the target or the fixtures (not results an interruption left unrun). */
  const gaps: Record<string, number> = {};
  let verified = 0;
  let skipped = 0;
  let errors = 0;
  for (const r of results) {
    const topic = topicOf(r.id);
    const t = (topics[topic] ??= { verified: 0, skipped: 0, errors: 0 });
    if (VERIFIED.has(r.verdict)) {
      t.verified++;
      verified++;
    } else if (r.verdict === 'skip') {
      t.skipped++;
      skipped++;
      if (r.skip?.kind !== 'interrupted') gaps[topic] = (gaps[topic] ?? 0) + 1;
      const why = r.skip?.detail ?? r.reason;
      skippedByReason[why] = (skippedByReason[why] ?? 0) + 1;
      const byTopic = (reasons[topic] ??= {});
      byTopic[why] = (byTopic[why] ?? 0) + 1;
    } else {
      t.errors++;
      errors++;
    }
  }
  const notVerified: string[] = [];
  for (const [topic, t] of Object.entries(topics)) {
    const total = t.verified + t.skipped + t.errors;
    if (t.skipped > 0) {
      const why = Object.keys(reasons[topic] ?? {}).join('; ');
      notVerified.push(
        t.verified === 0 && t.errors === 0
          ? `${topic} not verified: ${t.skipped} result(s) skipped — ${why}`
          : `${topic} partly verified: ${t.skipped} of ${total} result(s) skipped — ${why}`,
      );
    }
    if (t.errors > 0) notVerified.push(`${topic}: ${t.errors} of ${total} result(s) could not be judged (error)`);
  }
  const wanted = required.includes('all') ? Object.keys(topics) : [...required];
  // NOTE: results an interruption left unrun are not a coverage gap of the target: the run says it was interrupted.
  const missing = wanted
    .filter((topic) => (gaps[topic] ?? 0) > 0)
    .map((topic) => `${topic}: ${gaps[topic]} result(s) skipped (--require-coverage)`);
  return {
    results: results.length,
    verified,
    skipped,
    errors,
    skippedByReason,
    topics,
    notVerified,
    required: wanted,
    missing,
  };
}
