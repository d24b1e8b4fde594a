#!/usr/bin/env node
// Builds dist/ from the TypeScript sources, in a source checkout only.
//
//   node scripts/prepare.mjs          npm's `prepare` (runs on `npm ci` / `npm install` in a clone)
//   node scripts/prepare.mjs --clean  npm's `prepack` (runs on `npm pack` / `npm publish`): a clean build, required
//
// NOTE: why a guarded `prepare` rather than no `prepare` at all (issue 11). The README's first line,
// `npm ci && npx mtls-harness run` in a fresh clone, needs dist/ (package.json `bin` points at dist/cli/main.js), and
// `npm ci` runs `prepare` and no other script of the project itself. A consumer of the published package must never
// run tsc: the tarball carries dist/ (built by `prepack`) but neither the TypeScript sources nor tsconfig.build.json,
// so this script sees no sources there and does nothing. npm does not run `prepare` for a registry install anyway;
// it does for a git dependency, and there the build is exactly what is needed (a git checkout has no dist/).
// The alternative, a bin shim that runs the sources through tsx when dist/ is absent, would give the CLI two ways
// to start and run a stale dist/ after an edit; one build, one entry point, is simpler to reason about.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const clean = process.argv.includes('--clean');
const say = (message) => console.error(`mtls-harness prepare: ${message}`);

/** The build; returns the exit status. */
function prepare() {
  const sources = ['tsconfig.build.json', 'cli/main.ts', 'index.ts'].every((f) => existsSync(path.join(root, f)));
  if (!sources) {
    if (clean) {
      say('no TypeScript sources here (tsconfig.build.json, cli/main.ts): pack from a source checkout');
      return 1;
    }
    // An installed package: dist/ came in the tarball.
    say('installed package (no TypeScript sources): nothing to build');
    return 0;
  }
  // NOTE: `npm pack` and `npm publish` run `prepack` (the clean build) and then `prepare`: building again would only
  // repeat the same work.
  if (!clean && ['pack', 'publish'].includes(process.env.npm_command ?? '')) {
    say(`npm ${process.env.npm_command}: dist/ was built by prepack`);
    return 0;
  }
  let tsc;
  try {
    tsc = createRequire(path.join(root, 'package.json')).resolve('typescript/bin/tsc');
  } catch {
    say('the TypeScript sources are here but typescript is not installed: run `npm ci` with dev dependencies');
    return 1;
  }
  // NOTE: a clean build for the tarball, so a module deleted from the sources cannot linger in dist/ and ship.
  if (clean) rmSync(path.join(root, 'dist'), { recursive: true, force: true });
  const build = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], {
    cwd: root,
    stdio: 'inherit',
  });
  if (build.status !== 0) {
    say(`tsc failed (${build.status ?? build.signal})`);
    return 1;
  }
  // NOTE: tsc writes new files 0644, and npx makes a local project's bin executable only the first time it links it
  // (its cache remembers the path): a dist/ rebuilt from scratch in a checkout npx already ran in left `npx
  // mtls-harness` with "Permission denied". The bin is made executable here, every build.
  const { bin = {} } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  for (const file of Object.values(bin)) chmodSync(path.join(root, file), 0o755);
  say(`built ${path.join(root, 'dist')}`);
  return 0;
}

process.exitCode = prepare();
