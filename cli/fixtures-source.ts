import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadManifest, type FixtureSet } from '../core/manifest.js';
import { generateFixtures } from '../fixtures-gen/generate.js';

/** The fixture set a command works on, and how to let go of it. */
export interface OpenedFixtures extends Disposable {
  readonly fx: FixtureSet;
  /** True when the set was generated for this command (and is removed by dispose). */
  readonly generated: boolean;
}

/**
 * `--fixtures DIR` when given; otherwise a fresh set in a temporary directory that dispose removes, generated at
 * `clock` (default: now; `run --clock`).
 */
export async function openFixtures(dir: string | undefined, clock?: Date): Promise<OpenedFixtures> {
  if (dir) return { fx: loadManifest(dir), generated: false, [Symbol.dispose]: () => {} };
  const temp = mkdtempSync(path.join(os.tmpdir(), 'mtls-harness-fixtures-'));
  try {
    await generateFixtures({ out: temp, ...(clock ? { clock } : {}) });
    return {
      fx: loadManifest(temp),
      generated: true,
      [Symbol.dispose]: () => rmSync(temp, { recursive: true, force: true }),
    };
  } catch (err) {
    rmSync(temp, { recursive: true, force: true });
    throw err;
  }
}
