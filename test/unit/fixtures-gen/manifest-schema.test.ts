import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ALERTS } from '../../../core/alerts.js';
import { KEY_PROFILES, loadManifest } from '../../../core/manifest.js';
import { generateFixtures } from '../../../fixtures-gen/generate.js';
import { validate, type Schema } from '../../helpers/json-schema.js';
import { ROOT } from '../../helpers/cli.js';

const schema = JSON.parse(readFileSync(path.join(ROOT, 'schemas/manifest.schema.json'), 'utf8')) as Schema;
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('manifest.schema.json', () => {
  it('validates a generated manifest, and rejects broken ones', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'mtls-ms-'));
    dirs.push(out);
    const manifest = await generateFixtures({ out, clock: '2026-02-01T00:00:00Z' });
    const value = JSON.parse(JSON.stringify(manifest));
    expect(validate(schema, value)).toEqual([]);
    expect(validate(schema, { ...value, schemaVersion: 2 }).length).toBeGreaterThan(0);
    const broken = structuredClone(value);
    broken.fixtures[0].expect.decision = 'maybe';
    expect(validate(schema, broken).length).toBeGreaterThan(0);
    const extra = structuredClone(value);
    extra.fixtures[0].surprise = true;
    expect(validate(schema, extra).length).toBeGreaterThan(0);
  });

  it('lists exactly the alert names and key profiles the code knows', () => {
    const defs = schema.$defs as Record<string, { enum: string[] }>;
    expect(defs.alertName!.enum).toEqual(Object.keys(ALERTS));
    expect(defs.keyProfile!.enum).toEqual([...KEY_PROFILES]);
  });

  it('every path in the manifest exists, relative to the manifest', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'mtls-ms-'));
    dirs.push(out);
    await generateFixtures({ out, clock: '2026-02-01T00:00:00Z', only: ['valid', 'revoked'] });
    const fx = loadManifest(out);
    const m = fx.manifest;
    const paths = [
      m.trust,
      m.crl.bundle,
      m.server.cert,
      m.server.key,
      m.server.chain,
      ...m.cas.flatMap((c) => [c.cert, c.key!, ...(c.crl ? [c.crl.pem, c.crl.der] : [])]),
      ...m.fixtures.flatMap((f) => [f.cert, f.key, f.chain]),
    ];
    for (const p of paths) {
      expect(path.isAbsolute(p), p).toBe(false);
      expect(() => readFileSync(fx.resolve(p)), p).not.toThrow();
    }
  });
});
