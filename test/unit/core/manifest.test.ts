import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isHarnessError } from '../../../core/errors.js';
import { schemaErrors } from '../../../core/json-schema.js';
import { fixtureSet, loadManifest, pathProblem, type Manifest } from '../../../core/manifest.js';
import { generateFixtures } from '../../../fixtures-gen/generate.js';

let root: string;
let template: string;
beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'mtls-manifest-'));
  template = path.join(root, 'template');
  await generateFixtures({ out: template, only: ['valid', 'expired'] });
}, 60_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
/** A fresh copy of the template set (under its own parent directory), with its manifest edited. */
function copy(edit?: (m: Record<string, unknown> & Manifest, dir: string) => void): string {
  const parent = path.join(root, `case-${++n}`);
  const dir = path.join(parent, 'fx');
  mkdirSync(parent);
  cpSync(template, dir, { recursive: true });
  if (edit) {
    const file = path.join(dir, 'manifest.json');
    const m = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown> & Manifest;
    edit(m, dir);
    writeFileSync(file, JSON.stringify(m));
  }
  return dir;
}

/** The code and message loadManifest throws for `dir` (undefined when it loads). */
function refusal(dir: string): { code: string; message: string } | undefined {
  try {
    loadManifest(dir);
    return undefined;
  } catch (err) {
    if (!isHarnessError(err)) throw err;
    expect(err.message).not.toMatch(/\n/);
    return { code: err.code, message: err.message };
  }
}

/* eslint-disable @typescript-eslint/no-explicit-any -- NOTE: the cases break the manifest on purpose. */
describe('loadManifest validates the whole manifest against its schema', () => {
  it('loads a generated set', () => {
    expect(refusal(copy())).toBeUndefined();
  });

  it.each([
    ['server: {}', (m: any) => (m.server = {}), /server\.cert: required, missing/],
    ['fixtures: [null]', (m: any) => (m.fixtures = [null]), /fixtures\[0\]: expected object, got null/],
    ['an unknown field', (m: any) => (m.surprise = 1), /surprise: unknown field/],
    ['a string opensslVerifyError', (m: any) => (m.fixtures[0].expect.opensslVerifyError = '0'), /opensslVerifyError/],
    ['an unknown alert', (m: any) => (m.fixtures[1].expect.alerts = ['oops']), /fixtures\[1\]\.expect\.alerts\[0\]/],
    ['a missing cas', (m: any) => delete m.cas, /cas: required, missing/],
    ['clock 2026-02-30', (m: any) => (m.clock = '2026-02-30T00:00:00Z'), /clock/],
    ['an OCSP URL that is not http', (m: any) => (m.ocsp.url = 'file:///etc/passwd'), /ocsp\.url/],
    ['a fixture id twice', (m: any) => m.fixtures.push(m.fixtures[0]), /'valid' is used twice/],
    ['a CA issued by no CA', (m: any) => (m.cas[1].issuer = 'ghost'), /cas\[1\]\.issuer: no CA 'ghost'/],
  ])('%s is MTLS_ERR_MANIFEST_INVALID naming the field', (_what, edit, field) => {
    const r = refusal(copy(edit));
    expect(r?.code).toBe('MTLS_ERR_MANIFEST_INVALID');
    expect(r?.message).toMatch(field);
  });
});

describe('every manifest path is confined to the fixtures directory', () => {
  it.each([
    ['an absolute trust', (m: any) => (m.trust = path.join(template, 'trust.pem')), /field trust: .* is absolute/],
    ['a key climbing out', (m: any) => (m.server.key = '../fx/server/key.pem'), /server\.key: .*climbs out/],
    [
      'a chain climbing out from a subdirectory',
      (m: any) => (m.fixtures[0].chain = 'clients/valid/../../../x.pem'),
      /fixtures\[0\]\.chain/,
    ],
    ['a CRL bundle of ..', (m: any) => (m.crl.bundle = '..'), /crl\.bundle/],
  ])('%s is MTLS_ERR_MANIFEST_PATH', (_what, edit, field) => {
    const r = refusal(copy(edit));
    expect(r?.code).toBe('MTLS_ERR_MANIFEST_PATH');
    expect(r?.message).toMatch(field);
  });

  it('a file linked to outside the directory is refused, naming where it leads', () => {
    const dir = copy((_m, d) => {
      renameSync(path.join(d, 'trust.pem'), path.join(d, '..', 'trust.pem'));
      symlinkSync(path.join(d, '..', 'trust.pem'), path.join(d, 'trust.pem'));
    });
    const r = refusal(dir);
    expect(r?.code).toBe('MTLS_ERR_MANIFEST_PATH');
    expect(r?.message).toMatch(/field trust: 'trust\.pem' leads out of the fixtures directory through a link/);
  });

  it('a directory linked to outside is refused too', () => {
    const dir = copy((_m, d) => {
      renameSync(path.join(d, 'clients/expired'), path.join(d, '..', 'expired'));
      symlinkSync(path.join(d, '..', 'expired'), path.join(d, 'clients/expired'));
    });
    expect(refusal(dir)?.code).toBe('MTLS_ERR_MANIFEST_PATH');
  });

  it('links that stay inside, a path through .. that stays inside, and a linked fixtures directory are fine', () => {
    const dir = copy((m, d) => {
      renameSync(path.join(d, 'trust.pem'), path.join(d, 'ca/trust-copy.pem'));
      symlinkSync('ca/trust-copy.pem', path.join(d, 'trust.pem'));
      (m.server as { chain: string }).chain = 'ca/../server/chain.pem';
    });
    expect(refusal(dir)).toBeUndefined();
    const link = path.join(root, `link-${++n}`);
    symlinkSync(dir, link);
    expect(refusal(link)).toBeUndefined();
  });

  it('a missing file is MTLS_ERR_FILE_MISSING naming the field', () => {
    const r = refusal(copy((_m, d) => rmSync(path.join(d, 'clients/expired/key.pem'))));
    expect(r?.code).toBe('MTLS_ERR_FILE_MISSING');
    expect(r?.message).toMatch(/fixtures\[1\]\.key: file 'clients\/expired\/key\.pem' is missing/);
  });

  it('a trust anchor file without a certificate is MTLS_ERR_PEM_MALFORMED', () => {
    const empty = refusal(copy((_m, d) => writeFileSync(path.join(d, 'trust.pem'), '')));
    expect(empty?.code).toBe('MTLS_ERR_PEM_MALFORMED');
    const keyOnly = refusal(
      copy((_m, d) => writeFileSync(path.join(d, 'trust.pem'), readFileSync(path.join(d, 'ca/root.key.pem')))),
    );
    expect(keyOnly?.code).toBe('MTLS_ERR_PEM_MALFORMED');
    expect(keyOnly?.message).not.toMatch(/PRIVATE KEY/);
  });

  it('a fixture set built in code resolves only paths inside its directory', () => {
    const fx = fixtureSet(template, loadManifest(template).manifest);
    expect(fx.resolve('trust.pem')).toBe(path.join(template, 'trust.pem'));
    for (const bad of ['/etc/passwd', '../x', 'a/../../x', ''])
      expect(() => fx.read(bad)).toThrow(expect.objectContaining({ code: 'MTLS_ERR_MANIFEST_PATH' }));
  });

  it.each([
    ['trust.pem', undefined],
    ['clients/valid/../valid/cert.pem', undefined],
    ['/abs', 'is absolute'],
    ['C:\\x', 'is absolute'],
    ['..', 'climbs out'],
    ['../x', 'climbs out'],
    ['.', 'names the fixtures directory itself'],
    ['', 'is empty'],
    ['a\0b', 'NUL'],
  ])('pathProblem(%j)', (p, problem) => {
    const got = pathProblem(p);
    if (problem === undefined) expect(got).toBeUndefined();
    else expect(got).toMatch(problem);
  });
});

describe('the schema validator', () => {
  it('refuses a schema keyword it does not check, rather than passing everything', () => {
    expect(() => schemaErrors({ type: 'string', pattern: '^a' }, 'b')).toThrow(/unsupported schema keyword pattern/);
  });
});
