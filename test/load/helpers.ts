import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadManifest, type FixtureSet } from '../../core/manifest.js';
import { generateFixtures } from '../../fixtures-gen/generate.js';
import type { TlsVersion } from '../../core/scenario.js';
import { identityPems } from '../../load/identities.js';
import { runLoad } from '../../load/run-load.js';
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

/** What one engine's run gave, beside the lines the server logged for it. */
export interface JudgedRun {
  readonly result: Awaited<ReturnType<typeof runLoad>>;
  /** The server's log lines written for this run (one per handshake, and one for the priming handshake if any). */
  readonly lines: readonly string[];
  /** Lines the server marks as a resumed session. */
  readonly reused: number;
  /** What the engine counted: full, resumed and refused handshakes (the engines must agree on these). */
  readonly counts: { readonly full: number; readonly resumed: number; readonly rejected: number };
}

/**
 * Runs 30 handshakes with each engine (wire, then node:tls) against a server that logs one line per request, and
 * collects the lines each run caused. One connection loop: the engines compare exactly (with two loops sharing one
 * TLS 1.3 ticket, node:tls now and then resumed one handshake fewer than asked, which the server's log showed). The
 * server writes its line when the request ends and our proof is its answer, so the lines are waited for (bounded).
 */
export async function bothEnginesJudgedByLog(options: {
  readonly fx: FixtureSet;
  readonly port: number;
  readonly tls: TlsVersion;
  readonly mode: 'full' | 'resumed' | 'mixed';
  readonly logged: () => readonly string[];
  readonly isReused: (line: string) => boolean;
}): Promise<{ readonly wire: JudgedRun; readonly node: JudgedRun }> {
  const { fx, mode, logged } = options;
  const runs: Partial<Record<'wire' | 'node', JudgedRun>> = {};
  for (const engine of ['wire', 'node'] as const) {
    const before = logged().length;
    const result = await runLoad({
      host: '127.0.0.1',
      port: options.port,
      trustPem: readFileSync(fx.resolve(fx.manifest.trust), 'utf8'),
      identities: identityPems(fx, ['valid']),
      tls: options.tls,
      mode,
      engine,
      ...(mode === 'mixed' ? { resumeRatio: 0.5 } : {}),
      handshakes: 30,
      connections: 1,
      workerKind: 'inline',
      sanity: false,
    });
    const expected = result.handshakes.succeeded + (mode === 'full' ? 0 : 1);
    const deadline = Date.now() + 20_000;
    while (logged().length - before < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const lines = logged().slice(before);
    const { full, resumed, rejected } = result.handshakes;
    runs[engine] = {
      result,
      lines,
      reused: lines.filter(options.isReused).length,
      counts: { full, resumed, rejected },
    };
  }
  return { wire: runs.wire!, node: runs.node! };
}
