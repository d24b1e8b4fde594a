import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HarnessError } from '../../../core/errors.js';
import { FORMATTERS, parseFormats, REPORT_FILES, writeReports } from '../../../reports/index.js';
import { sampleRun } from './sample.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mtls-reports-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

function usageError(fn: () => unknown): HarnessError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(HarnessError);
    return err as HarnessError;
  }
  throw new Error('expected a HarnessError');
}

describe('FORMATTERS and REPORT_FILES', () => {
  it('register every format, and file names are the public ones', () => {
    expect(Object.keys(FORMATTERS).sort()).toEqual(['console', 'html', 'json', 'junit', 'markdown']);
    expect(REPORT_FILES).toEqual({
      json: 'results.json',
      junit: 'junit.xml',
      markdown: 'summary.md',
      html: 'report.html',
    });
  });

  it('are pure: the same run renders the same text', () => {
    for (const format of Object.values(FORMATTERS)) expect(format(sampleRun())).toBe(format(sampleRun()));
  });
});

describe('parseFormats', () => {
  it('parses a comma list, trimming, dropping empties and duplicates, keeping order', () => {
    expect(parseFormats('json')).toEqual(['json']);
    expect(parseFormats(' junit, markdown ,,html,junit,')).toEqual(['junit', 'markdown', 'html']);
    expect(parseFormats('console,json,junit,markdown,html')).toHaveLength(5);
  });

  it('rejects an unknown name with MTLS_ERR_USAGE naming the value and the flag', () => {
    const err = usageError(() => parseFormats('json,xml'));
    expect(err.code).toBe('MTLS_ERR_USAGE');
    expect(err.message).toContain("'xml'");
    expect(err.message).toContain('--format');
    expect(usageError(() => parseFormats('JSON')).code).toBe('MTLS_ERR_USAGE');
    expect(usageError(() => parseFormats('toString')).code).toBe('MTLS_ERR_USAGE');
  });

  it('rejects an empty list', () => {
    expect(usageError(() => parseFormats(' , ')).code).toBe('MTLS_ERR_USAGE');
  });
});

describe('writeReports', () => {
  it('creates the directory, writes each file format under its public name, and skips console', async () => {
    const dir = join(await tempDir(), 'nested', 'out');
    const run = sampleRun();
    const paths = await writeReports(run, dir, ['console', 'html', 'json', 'junit', 'markdown']);
    expect(paths).toEqual([
      join(dir, 'report.html'),
      join(dir, 'results.json'),
      join(dir, 'junit.xml'),
      join(dir, 'summary.md'),
    ]);
    expect((await readdir(dir)).sort()).toEqual(['junit.xml', 'report.html', 'results.json', 'summary.md']);
    expect(await readFile(join(dir, 'results.json'), 'utf8')).toBe(FORMATTERS.json(run));
    expect(await readFile(join(dir, 'junit.xml'), 'utf8')).toBe(FORMATTERS.junit(run));
    expect(JSON.parse(await readFile(join(dir, 'results.json'), 'utf8'))).toEqual(run);
  });

  it('writes nothing, not even the directory, for console alone', async () => {
    const dir = join(await tempDir(), 'never');
    expect(await writeReports(sampleRun(), dir, ['console'])).toEqual([]);
    await expect(readdir(dir)).rejects.toThrow();
  });

  it('fails with MTLS_ERR_OUT_UNWRITABLE when the directory cannot be created', async () => {
    const file = join(await tempDir(), 'a-file');
    await writeFile(file, 'x');
    await expect(writeReports(sampleRun(), join(file, 'sub'), ['json'])).rejects.toMatchObject({
      name: 'HarnessError',
      code: 'MTLS_ERR_OUT_UNWRITABLE',
    });
  });
});
