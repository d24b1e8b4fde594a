import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

/**
 * Issue 11: every runtime dependency is used (autocannon was declared and never imported), dev-only packages are not
 * imported by the code that ships, and testcontainers (an optional peer) is only ever loaded lazily.
 */

const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
};

/** The TypeScript that tsconfig.build.json compiles into dist/ (what ships), read as text. */
function shippedSources(): { file: string; text: string }[] {
  const build = JSON.parse(readFileSync(path.join(ROOT, 'tsconfig.build.json'), 'utf8')) as { include: string[] };
  const out: { file: string; text: string }[] = [];
  const visit = (rel: string) => {
    const abs = path.join(ROOT, rel);
    if (rel.endsWith('.ts')) {
      out.push({ file: rel, text: readFileSync(abs, 'utf8') });
      return;
    }
    for (const e of readdirSync(abs, { withFileTypes: true })) {
      if (e.isDirectory()) visit(path.join(rel, e.name));
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) visit(path.join(rel, e.name));
    }
  };
  build.include.forEach(visit);
  return out;
}

/** The package a specifier names (`@scope/name/sub` → `@scope/name`), or undefined for relative and node: ones. */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('node:')) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

const sources = shippedSources();
// Package → the files importing it (a file once), statically (`import … from`, `import '…'`) or dynamically.
const staticImports = new Map<string, Set<string>>();
const dynamicImports = new Map<string, Set<string>>();
const add = (map: Map<string, Set<string>>, p: string, file: string) => map.set(p, (map.get(p) ?? new Set()).add(file));
for (const { file, text } of sources) {
  for (const m of text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'([^']+)'|^\s*import\s+'([^']+)'/gms)) {
    const p = packageOf((m[1] ?? m[2])!);
    if (p) add(staticImports, p, file);
  }
  // NOTE: `typeof import('x')` is a type, erased at run time; only an awaited import() loads anything.
  for (const m of text.matchAll(/\bawait\s+import\(\s*'([^']+)'\s*\)/g)) {
    const p = packageOf(m[1]!);
    if (p) add(dynamicImports, p, file);
  }
}

describe('dependencies (issue 11)', () => {
  it('reads the shipped sources', () => {
    expect(sources.map((s) => s.file)).toContain('cli/main.ts');
    expect(sources.length).toBeGreaterThan(50);
  });

  it('every runtime dependency is imported by the code that ships', () => {
    const unused = Object.keys(pkg.dependencies).filter((d) => !staticImports.has(d) && !dynamicImports.has(d));
    expect(unused).toEqual([]);
    expect(Object.keys(pkg.dependencies)).not.toContain('autocannon');
  });

  it('the code that ships imports no package it does not declare as a dependency or optional peer', () => {
    const declared = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.peerDependencies)]);
    const undeclared = [...staticImports.keys(), ...dynamicImports.keys()].filter((p) => !declared.has(p));
    expect(undeclared).toEqual([]);
  });

  it('testcontainers is an optional peer, kept for our tests, and only loaded lazily', () => {
    expect(pkg.peerDependenciesMeta.testcontainers?.optional).toBe(true);
    expect(Object.keys(pkg.dependencies)).not.toContain('testcontainers');
    expect(Object.keys(pkg.devDependencies)).toContain('testcontainers');
    expect([...(staticImports.get('testcontainers') ?? [])]).toEqual([]);
    expect([...(dynamicImports.get('testcontainers') ?? [])]).toEqual(['targets/container/container-target.ts']);
  });
});
