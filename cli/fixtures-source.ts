import { makeTempDir, removeTempDir } from '../core/fs.js';
import { loadManifest, type FixtureSet } from '../core/manifest.js';
import { generateFixtures } from '../fixtures-gen/generate.js';

/** The fixture set a command works on, and how to let go of it. */
export interface OpenedFixtures extends Disposable {
  readonly fx: FixtureSet;
  /** True when the set was generated for this command (and is removed by dispose). */
  readonly generated: boolean;
}

/**
 * `--fixtures DIR` when given; otherwise a fresh set generated at `clock` (default: now; `run --clock`) in a 0700
 * directory inside the harness's one temporary directory, removed by dispose — and, whatever happens, at exit.
 */
export async function openFixtures(dir: string | undefined, clock?: Date): Promise<OpenedFixtures> {
  if (dir) return { fx: loadManifest(dir), generated: false, [Symbol.dispose]: () => {} };
  const temp = makeTempDir('fixtures-');
  try {
    await generateFixtures({ out: temp, ...(clock ? { clock } : {}) });
    return {
      fx: loadManifest(temp),
      generated: true,
      [Symbol.dispose]: () => removeTempDir(temp),
    };
  } catch (err) {
    removeTempDir(temp);
    throw err;
  }
}
