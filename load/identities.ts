import { createPrivateKey, createPublicKey } from 'node:crypto';
import { chmodSync, cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { HarnessError } from '../core/errors.js';
import { ensurePrivateDir } from '../core/fs.js';
import { loadManifest, type FixtureSet, type Manifest, type ManifestFixture } from '../core/manifest.js';
import { PkiBuilder, type CaHandle } from '../fixtures-gen/builder.js';
import { chainAbove } from '../fixtures-gen/spec.js';
import { generateKey, importKeyPair, keyKindOf } from '../fixtures-gen/profiles.js';
import { x509 } from '../fixtures-gen/x509.js';
import type { IdentityPem } from './protocol.js';

/** Id of the n-th load identity (1-based, zero-padded so ids sort). */
export function identityId(n: number): string {
  return `load-identity-${String(n).padStart(5, '0')}`;
}

const pem = (c: x509.X509Certificate): string => c.toString('pem') + '\n';

/**
 * `--identities N`: copies the fixture set to `out` and adds N valid client certificates (one device each, as in an
 * IoT fleet) issued by the fixtures' intermediate CA with fixtures-gen's PkiBuilder: distinct keys, serials, subjects
 * (`CN=mtls-harness client load-identity-00001`) and SANs. They are written as manifest fixtures that a strict server
 * accepts (OCSP good, added to the identity allow-list), so the built-in server and its OCSP responder know them.
 * Returns the derived fixture set.
 */
export async function issueIdentities(fixtures: FixtureSet, count: number, out: string): Promise<FixtureSet> {
  const m = fixtures.manifest;
  const ca = m.cas.find((c) => c.id === 'intermediate');
  if (!ca?.key) {
    throw new HarnessError(
      'MTLS_ERR_MANIFEST_INVALID',
      `--identities needs the intermediate CA key in the fixtures ('${fixtures.dir}' has none)`,
    );
  }
  const root = m.cas.find((c) => c.id === ca.issuer);
  ensurePrivateDir(out);
  // NOTE: cpSync keeps the modes of the source: its key directories stay 0700, its keys 0600.
  cpSync(fixtures.dir, out, { recursive: true });
  const read = (rel: string) => readFileSync(fixtures.resolve(rel), 'utf8');
  const privateKey = createPrivateKey(read(ca.key));
  const kind = keyKindOf(privateKey);
  if (!kind) throw new HarnessError('MTLS_ERR_PEM_MALFORMED', `the intermediate CA key is not a key we can sign with`);
  const caKey = await importKeyPair(kind, { privateKey, publicKey: createPublicKey(privateKey) });
  const parent: CaHandle | undefined = root
    ? {
        id: root.id,
        description: root.description,
        cert: new x509.X509Certificate(read(root.cert)),
        key: caKey, // never used to sign: only the issuing CA signs
        parent: undefined,
        inTrustedHierarchy: true,
        imported: m.importedCa,
      }
    : undefined;
  const issuer: CaHandle = {
    id: ca.id,
    description: ca.description,
    cert: new x509.X509Certificate(read(ca.cert)),
    key: caKey,
    parent,
    inTrustedHierarchy: true,
    imported: false,
  };
  const builder = new PkiBuilder(new Date(m.clock), { ocspUrl: m.ocsp.url, crlUrl: m.crl.url });
  const rest = chainAbove(issuer);
  const added: ManifestFixture[] = [];
  const allow: string[] = [];
  // Issue in small batches: key generation and signing run on the libuv pool.
  const batch = 32;
  for (let start = 1; start <= count; start += batch) {
    const ids = Array.from({ length: Math.min(batch, count - start + 1) }, (_, i) => identityId(start + i));
    const issued = await Promise.all(
      ids.map(async (id) => {
        const key = await generateKey(m.keyProfile);
        const leaf = await builder.leaf({ id, issuer, key });
        return { id, key, leaf };
      }),
    );
    for (const { id, key, leaf } of issued) {
      const dir = `clients/${id}`;
      // Each identity's directory holds its key: 0700 whatever the umask.
      ensurePrivateDir(path.join(out, dir));
      writeFileSync(path.join(out, dir, 'cert.pem'), pem(leaf));
      writeFileSync(path.join(out, dir, 'chain.pem'), [leaf, ...rest].map(pem).join(''));
      writeFileSync(path.join(out, dir, 'key.pem'), key.privatePem, { mode: 0o600 });
      chmodSync(path.join(out, dir, 'key.pem'), 0o600);
      const cn = /CN=([^,]+)/.exec(leaf.subject)?.[1];
      if (cn) allow.push(cn);
      added.push({
        id,
        description: 'Load-test identity: a valid client certificate issued by the intermediate CA (--identities).',
        cert: `${dir}/cert.pem`,
        key: `${dir}/key.pem`,
        chain: `${dir}/chain.pem`,
        serial: leaf.serialNumber,
        subject: leaf.subject,
        issuer: issuer.id,
        keyKind: key.kind,
        notBefore: leaf.notBefore.toISOString(),
        notAfter: leaf.notAfter.toISOString(),
        ocsp: { status: 'good' },
        requires: [],
        expect: { decision: 'accept', alerts: [], opensslVerifyError: 0 },
      });
    }
  }
  const derived: Manifest = {
    ...m,
    identityAllowList: [...m.identityAllowList, ...allow],
    fixtures: [...m.fixtures.filter((f) => !f.id.startsWith('load-identity-')), ...added],
  };
  writeFileSync(path.join(out, 'manifest.json'), JSON.stringify(derived, null, 2) + '\n');
  return loadManifest(out);
}

/** Reads the chain and key PEM of the given fixture ids. */
export function identityPems(fixtures: FixtureSet, ids: readonly string[]): IdentityPem[] {
  return ids.map((id) => {
    const f = fixtures.fixture(id);
    try {
      return {
        chainPem: readFileSync(fixtures.resolve(f.chain), 'utf8'),
        keyPem: readFileSync(fixtures.resolve(f.key), 'utf8'),
      };
    } catch (cause) {
      throw new HarnessError('MTLS_ERR_FILE_MISSING', `files of fixture '${id}' named by the manifest are missing`, {
        cause,
      });
    }
  });
}

/** The load identities of a derived fixture set (all of them, in order). */
export function loadIdentityIds(fixtures: FixtureSet): string[] {
  return fixtures.manifest.fixtures.filter((f) => f.id.startsWith('load-identity-')).map((f) => f.id);
}
