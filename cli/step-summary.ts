import { appendFileSync } from 'node:fs';
import { HarnessError } from '../core/errors.js';

/**
 * Appends a Markdown summary to the file `$GITHUB_STEP_SUMMARY` names, when it is set (GitHub Actions): the job's
 * page then shows it without a step of its own. Throws MTLS_ERR_OUT_UNWRITABLE when the file cannot be written.
 */
export function appendStepSummary(markdown: string): void {
  const stepSummary = process.env.GITHUB_STEP_SUMMARY;
  if (!stepSummary) return;
  try {
    appendFileSync(stepSummary, markdown);
  } catch (cause) {
    throw new HarnessError('MTLS_ERR_OUT_UNWRITABLE', `cannot append to $GITHUB_STEP_SUMMARY '${stepSummary}'`, {
      cause,
    });
  }
}
