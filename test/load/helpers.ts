import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadManifest, type FixtureSet } from '../../core/manifest.js';
import { generateFixtures } from '../../fixtures-gen/generate.js';
import { identityPems } from '../../load/identities.js';
import type { LoadOptions } from '../../load/validate.js';
import type { StartedTarget } from '../../targets/target.js';

/** A fresh fixture set in a temporary directory. */
export async function freshFixtures(): Promise<{ fx: FixtureSet; dir: string; dispose(): void }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mtls-load-test-'));
  await generateFixtures({ out: path.join(dir, 'fx') });
  return { fx: loadManifest(path.join(dir, 'fx')), dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Load options against a started target with the `valid` identity; small and bounded for tests. */
export function loadOptions(fx: FixtureSet, target: StartedTarget, extra: Partial<LoadOptions> = {}): LoadOptions {
  return {
    host: target.endpoint.host,
    port: target.endpoint.port,
    servername: target.servername,
    target: { name: target.name },
    trustPem: readFileSync(fx.resolve(fx.manifest.trust), 'utf8'),
    identities: identityPems(fx, ['valid']),
    probe: target.probe,
    connections: 4,
    handshakes: 120,
    workerKind: 'inline',
    timeoutMs: 5000,
    ...extra,
  };
}
