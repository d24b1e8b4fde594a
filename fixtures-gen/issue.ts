/**
 * Client certificates issued at run time from a fixture set's intermediate CA (issue 12): a certificate valid for a
 * few seconds (`resume-after-expiry`), or one of its own serial whose OCSP answer can be changed without touching the
 * certificates other scenarios use (`resume-after-revocation`). Nothing is written to the fixture set.
 */
import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import type { FixtureSet } from '../core/manifest.js';
import { PkiBuilder, type CaHandle } from './builder.js';
import { generateKey, importKeyPair, keyKindOf } from './profiles.js';
import { x509 } from './x509.js';

/** Options of {@link issueClientCertificate}. */
export interface IssueOptions {
  /** Default: now − 1 minute. */
  readonly notBefore?: Date;
  /** Default: now + 1 day. */
  readonly notAfter?: Date;
  /**
   * Subject common name; default the CN of the fixture `valid`, so that a server with an identity allow-list accepts
   * it as it accepts that fixture.
   */
  readonly commonName?: string;
  /** A label for the SAN and the serial's derivation (default `issued`). */
  readonly label?: string;
}

/** A certificate issued at run time, with its key; PEM strings only, nothing on disk. */
export interface IssuedCertificate {
  /** The leaf alone. */
  readonly certPem: string;
  /** Leaf followed by the intermediate (as the fixtures' chains are). */
  readonly chainPem: string;
  /** PKCS#8 PEM; never printed or written by this module. */
  readonly keyPem: string;
  /** Lower-case hex serial number. */
  readonly serial: string;
  readonly subject: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/**
 * Issues a valid client certificate (clientAuth, digitalSignature, the fixtures' OCSP and CRL URLs) from the fixture
 * set's intermediate CA, with a fresh key of the set's key profile and a random serial. Throws when the set has no
 * intermediate CA key.
 */
export async function issueClientCertificate(
  fixtures: FixtureSet,
  options: IssueOptions = {},
): Promise<IssuedCertificate> {
  const m = fixtures.manifest;
  const ca = m.cas.find((c) => c.id === 'intermediate');
  if (!ca?.key) throw new Error(`the fixtures in '${fixtures.dir}' hold no intermediate CA key to issue with`);
  const privateKey = createPrivateKey(fixtures.read(ca.key));
  const kind = keyKindOf(privateKey);
  if (!kind) throw new Error('the intermediate CA key is not a key fixtures-gen can sign with');
  const caCertPem = fixtures.read(ca.cert);
  const issuer: CaHandle = {
    id: ca.id,
    description: ca.description,
    cert: new x509.X509Certificate(caCertPem),
    key: await importKeyPair(kind, { privateKey, publicKey: createPublicKey(privateKey) }),
    parent: undefined,
    inTrustedHierarchy: true,
    imported: false,
  };
  const now = Date.now();
  const notBefore = options.notBefore ?? new Date(now - 60_000);
  const notAfter = options.notAfter ?? new Date(now + 86_400_000);
  const valid = m.fixtures.find((f) => f.id === 'valid');
  const commonName = options.commonName ?? /CN=([^,]+)/.exec(valid?.subject ?? '')?.[1] ?? 'mtls-harness client issued';
  // NOTE: the builder derives serials from its clock and the id: a random id gives each certificate its own serial.
  const id = `${options.label ?? 'issued'}-${randomBytes(6).toString('hex')}`;
  const builder = new PkiBuilder(new Date(now), { ocspUrl: m.ocsp.url, crlUrl: m.crl.url });
  const key = await generateKey(m.keyProfile);
  const leaf = await builder.leaf({ id, issuer, key, notBefore, notAfter, commonName });
  const nl = (s: string) => (s.endsWith('\n') ? s : `${s}\n`);
  const certPem = nl(leaf.toString('pem'));
  return {
    certPem,
    chainPem: certPem + nl(caCertPem),
    keyPem: key.privatePem,
    serial: leaf.serialNumber.toLowerCase(),
    subject: leaf.subject,
    notBefore: leaf.notBefore,
    notAfter: leaf.notAfter,
  };
}
