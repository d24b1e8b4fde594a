import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';

// deploy/k8s/load-job.yaml cannot run here (no cluster); this checks it parses and is an Indexed Job whose agents
// write results.json to a shared volume, plus the merge step. The `yaml` parser is only a transitive dependency:
// without it the structural check is skipped, with the reason printed.
const file = path.resolve(import.meta.dirname, '../../../deploy/k8s/load-job.yaml');
const text = readFileSync(file, 'utf8');
type Doc = { kind?: string; spec?: Record<string, unknown>; metadata?: { name?: string } };
let parse: ((src: string) => Doc[]) | undefined;
try {
  const yaml = (await import('yaml')) as { parseAllDocuments(src: string): { toJS(): Doc }[] };
  parse = (src) => yaml.parseAllDocuments(src).map((d) => d.toJS());
} catch {
  console.warn('test/unit/load/k8s: the yaml package is not installed: skipping the structural check');
}

it('mentions the Indexed Job, the agents and the merge in plain text', () => {
  expect(text).toMatch(/completionMode: Indexed/);
  expect(text).toMatch(/JOB_COMPLETION_INDEX/);
  expect(text).toMatch(/mtls-harness[", ]+load/);
  expect(text).toMatch(/mtls-harness[", ]+merge/);
});

it.skipIf(!parse)('parses as YAML: an Indexed Job with completions = parallelism, and a merge Job', () => {
  const docs = parse!(text).filter((d) => d && d.kind);
  const jobs = docs.filter((d) => d.kind === 'Job');
  expect(jobs.length).toBeGreaterThanOrEqual(2);
  const agents = jobs.find((j) => j.spec?.completionMode === 'Indexed')!;
  expect(agents.spec?.completions).toBe(agents.spec?.parallelism);
  expect(docs.some((d) => d.kind === 'PersistentVolumeClaim')).toBe(true);
});
