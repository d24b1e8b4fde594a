import { X509Certificate as NodeX509, createPrivateKey, KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { ensurePrivateDir, keepAtExit, makeStagingDir, sweepStaleStaging } from '../core/fs.js';
import path from 'node:path';
import { HarnessError } from '../core/errors.js';
import { checkOutDir } from '../core/out-dir.js';
import {
  CRL_VARIANTS,
  KEY_PROFILES,
  MANIFEST_SCHEMA_VERSION,
  type KeyProfile,
  type Manifest,
  type ManifestCa,
  type ManifestCrlVariant,
  type ManifestFixture,
} from '../core/manifest.js';
import { VERSION } from '../core/version.js';
import { DAY, PkiBuilder, type CaHandle } from './builder.js';
import { FIXTURES } from './fixtures.js';
import { chainAbove, type BuildContext, type BuiltFixture, type FixtureSpec } from './spec.js';
import { ocspModeUrl } from './ocsp-modes.js';
import { buildCrlVariants, type BuiltCrlVariant } from './revocation-fixtures.js';
import { generateKey, importKeyPair, keyKindOf, type KeyPair } from './profiles.js';
import { x509 } from './x509.js';

/** Options of {@link generateFixtures}; the CLI flags of `mtls-harness fixtures` map one-to-one. */
export interface GenerateOptions {
  /** Output directory; created if absent. */
  readonly out: string;
  /** The clock (default: now, truncated to whole seconds). */
  readonly clock?: Date | string;
  /** Key profile of the CAs, the server and the default leaves (default ecdsa-p256). */
  readonly keyProfile?: string;
  /** Issue everything from this existing CA (PEM files) instead of a generated root. */
  readonly caCert?: string;
  readonly caKey?: string;
  /** OCSP URL written into AIA (default http://127.0.0.1:18888/ocsp). */
  readonly ocspUrl?: string;
  /** Base URL for CRL distribution points (default http://127.0.0.1:18888/crl). */
  readonly crlUrl?: string;
  /** Generate only these fixture ids (default: all). */
  readonly only?: readonly string[];
  /**
   * Checked before the new set replaces the old one: once aborted, nothing in `out` is touched and the abort reason
   * is thrown (the CLI's Ctrl-C).
   */
  readonly signal?: AbortSignal;
}

/** Default responder base the certificates point at. */
export const DEFAULT_OCSP_URL = 'http://127.0.0.1:18888/ocsp';
export const DEFAULT_CRL_URL = 'http://127.0.0.1:18888/crl';
/**
 * The second name the server certificate carries (issue 12, `resume-cross-sni`): the virtual host that asks for no
 * client certificate beside `localhost`, which does.
 */
export const PUBLIC_SERVER_NAME = 'public.localhost';

/**
 * How far before the clock the earliest instant our certificates carry lies: the expired fixtures' notBefore
 * (clock − 400 days, fixtures.ts). A fixture reaching further must widen this (the clock tests check every one).
 */
export const EARLIEST_OFFSET_MS = -400 * DAY;
/** How far after the clock the latest instant lies: a CA's notAfter (clock + 10 years, builder.ts). */
export const LATEST_OFFSET_MS = 3650 * DAY;

/**
 * The clocks a fixture set can be generated at, so that openssl reads every date as written.
 *
 * NOTE: RFC 5280 §4.1.2.5 carries years 1950–2049 as UTCTime (two-digit years) and others as GeneralizedTime.
 * @peculiar/asn1-x509 writes any year before 2050 as UTCTime, so a notBefore in 1949 reads back as 2049; and a
 * GeneralizedTime holds a four-digit year, so a notAfter in year 10000 is "Bad time value" to openssl. Found with
 * `openssl x509 -dates` and `openssl verify -attime` on sets generated at each edge and one second beyond
 * (test/unit/fixtures-gen/clock.test.ts holds openssl to it).
 */
export const CLOCK_RANGE = {
  earliest: new Date(Date.UTC(1950, 0, 1) - EARLIEST_OFFSET_MS),
  latest: new Date(Date.UTC(9999, 11, 31, 23, 59, 59) - LATEST_OFFSET_MS),
} as const;

/** `YYYY-MM-DD`, or `YYYY-MM-DDTHH:MM[:SS[.fff]]` with `Z` or `±HH[:]MM`. */
const CLOCK_FORMAT = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|([+-])(\d{2}):?(\d{2}))?)?$/;

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

function daysIn(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
}

const iso = (d: Date): string => d.toISOString().replace('.000Z', 'Z');

function clockError(value: string, why: string): HarnessError {
  return new HarnessError('MTLS_ERR_CLOCK', `bad --clock '${value}': ${why}`);
}

/**
 * Parses a --clock value into a whole-second Date (fractions are dropped: certificates carry whole seconds), or
 * throws MTLS_ERR_CLOCK saying why. The value must be a real calendar instant: a date (midnight UTC) or a date and
 * time with a zone (`Z` or an offset); 2026-02-30, 25:00 or a time without a zone (whose meaning would depend on the
 * machine's time zone) are refused, as is an instant outside {@link CLOCK_RANGE}.
 */
export function parseClock(value: Date | string | undefined): Date {
  let ms: number;
  if (value === undefined) {
    ms = Date.now();
  } else if (value instanceof Date) {
    ms = value.getTime();
    if (Number.isNaN(ms)) throw clockError(String(value), 'not a valid date');
  } else {
    const m = CLOCK_FORMAT.exec(value);
    if (!m)
      throw clockError(value, 'expected an ISO-8601 instant such as 2026-01-01T00:00:00Z (or a date, 2026-01-01)');
    const [, y, mo, d, h, mi, sec, zone, sign, oh, om] = m;
    const year = Number(y);
    const month = Number(mo);
    const day = Number(d);
    if (month < 1 || month > 12) throw clockError(value, `month ${mo} does not exist`);
    if (day < 1 || day > daysIn(year, month))
      throw clockError(value, `${MONTHS[month - 1]} ${y} has no day ${d} (it has ${daysIn(year, month)} days)`);
    if (h !== undefined && zone === undefined)
      throw clockError(value, 'a time needs a zone: add Z (UTC) or an offset such as +01:00');
    const hour = Number(h ?? 0);
    const minute = Number(mi ?? 0);
    const second = Number(sec ?? 0);
    if (hour > 23 || minute > 59 || second > 59)
      throw clockError(value, `${h}:${mi}${sec === undefined ? '' : `:${sec}`} is not a time of day`);
    const offsetMinutes = sign ? (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om)) : 0;
    if (sign && (Number(om) > 59 || Math.abs(offsetMinutes) > 14 * 60))
      throw clockError(value, `offset ${sign}${oh}:${om} is not a time zone offset (at most ±14:00)`);
    // NOTE: Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear takes the year as written.
    const date = new Date(0);
    date.setUTCFullYear(year, month - 1, day);
    date.setUTCHours(hour, minute, second, 0);
    ms = date.getTime() - offsetMinutes * 60_000;
  }
  const clock = new Date(Math.floor(ms / 1000) * 1000);
  const shown = typeof value === 'string' ? value : iso(clock);
  if (clock < CLOCK_RANGE.earliest) {
    throw clockError(
      shown,
      `before ${iso(CLOCK_RANGE.earliest)}: the expired fixtures' notBefore (clock − 400 days) would fall before 1950, which a certificate's UTCTime cannot carry`,
    );
  }
  if (clock > CLOCK_RANGE.latest) {
    throw clockError(
      shown,
      `after ${iso(CLOCK_RANGE.latest)}: the CAs' notAfter (clock + 10 years) would fall after 9999-12-31T23:59:59Z, which a certificate's GeneralizedTime cannot carry`,
    );
  }
  return clock;
}

function parseProfile(value: string | undefined): KeyProfile {
  const profile = value ?? 'ecdsa-p256';
  if (!(KEY_PROFILES as readonly string[]).includes(profile)) {
    throw new HarnessError(
      'MTLS_ERR_PROFILE',
      `unknown --key-profile '${profile}': expected one of ${KEY_PROFILES.join(', ')}`,
    );
  }
  return profile as KeyProfile;
}

function parseUrl(flag: string, value: string): string {
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:') throw new Error('not http');
    return value.replace(/\/$/, '');
  } catch {
    throw new HarnessError('MTLS_ERR_USAGE', `bad ${flag} '${value}': expected an http:// URL`);
  }
}

interface ImportedCa {
  readonly cert: x509.X509Certificate;
  readonly key: KeyPair;
  /** The certificate file as given (written unchanged as the root and the trust anchor). */
  readonly certFile: Buffer;
  /** The key as PKCS#8 PEM, written into the set (mode 0600). */
  readonly keyPem: string;
}

async function importCa(certPath: string, keyPath: string): Promise<ImportedCa> {
  let certFile: Buffer;
  let keyPem: string;
  try {
    certFile = readFileSync(certPath);
    keyPem = readFileSync(keyPath, 'utf8');
  } catch (cause) {
    throw new HarnessError('MTLS_ERR_CA_READ', `cannot read --ca-cert '${certPath}' or --ca-key '${keyPath}'`, {
      cause,
    });
  }
  let nodeCert: NodeX509;
  let privateKey: KeyObject;
  const certPem = certFile.toString('utf8');
  try {
    nodeCert = new NodeX509(certPem);
    privateKey = createPrivateKey(keyPem);
  } catch (cause) {
    throw new HarnessError(
      'MTLS_ERR_CA_READ',
      `--ca-cert '${certPath}' or --ca-key '${keyPath}' is not a PEM certificate / private key`,
      {
        cause,
      },
    );
  }
  if (!nodeCert.checkPrivateKey(privateKey)) {
    throw new HarnessError('MTLS_ERR_CA_MISMATCH', `--ca-key '${keyPath}' does not belong to --ca-cert '${certPath}'`);
  }
  if (!nodeCert.ca) {
    throw new HarnessError(
      'MTLS_ERR_CA_MISMATCH',
      `--ca-cert '${certPath}' is not a CA certificate (basicConstraints cA is not true)`,
    );
  }
  const kind = keyKindOf(privateKey);
  if (!kind) {
    throw new HarnessError(
      'MTLS_ERR_CA_READ',
      `--ca-key '${keyPath}' is a ${privateKey.asymmetricKeyType} key we cannot sign with`,
    );
  }
  const publicKey = nodeCert.publicKey;
  const key = await importKeyPair(kind, { publicKey, privateKey });
  return {
    cert: new x509.X509Certificate(certPem),
    key,
    certFile,
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/** An in-memory fixture PKI, ready to be written. */
export interface GeneratedPki {
  readonly clock: Date;
  readonly profile: KeyProfile;
  readonly cas: readonly CaHandle[];
  readonly crls: ReadonlyMap<string, { crl: x509.X509Crl; revoked: string[] }>;
  readonly server: { cert: x509.X509Certificate; key: KeyPair; rest: x509.X509Certificate[] };
  readonly fixtures: readonly { spec: FixtureSpec; built: BuiltFixture }[];
  readonly ocspUrl: string;
  readonly crlUrl: string;
  readonly imported?: ImportedCa;
  /** The alternative CRL bundles (issue 13). */
  readonly crlVariants: readonly BuiltCrlVariant[];
}

/** Builds the PKI in memory. */
export async function buildPki(options: Omit<GenerateOptions, 'out'>): Promise<GeneratedPki> {
  const clock = parseClock(options.clock);
  const profile = parseProfile(options.keyProfile);
  const ocspUrl = parseUrl('--ocsp-url', options.ocspUrl ?? DEFAULT_OCSP_URL);
  const crlUrl = parseUrl('--crl-url', options.crlUrl ?? DEFAULT_CRL_URL);
  if ((options.caCert === undefined) !== (options.caKey === undefined)) {
    throw new HarnessError('MTLS_ERR_USAGE', '--ca-cert and --ca-key must be given together');
  }
  const imported = options.caCert && options.caKey ? await importCa(options.caCert, options.caKey) : undefined;
  const specs = options.only ? FIXTURES.filter((f) => options.only?.includes(f.id)) : FIXTURES;
  const b = new PkiBuilder(clock, { ocspUrl, crlUrl });

  const root: CaHandle = imported
    ? {
        id: 'root',
        description: 'Imported root CA (--ca-cert).',
        cert: imported.cert,
        key: imported.key,
        parent: undefined,
        inTrustedHierarchy: true,
        imported: true,
      }
    : await b.ca({
        id: 'root',
        description: 'Root CA: the only trust anchor servers are given.',
        key: await generateKey(profile),
      });
  const intermediate = await b.ca({
    id: 'intermediate',
    description: 'Issuing intermediate for the server and the valid clients.',
    parent: root,
    key: await generateKey(profile),
  });

  const cas: CaHandle[] = [root, intermediate];
  const revocations = new Map<string, { serial: string; reason: x509.X509CrlReason; at: Date }[]>();
  const ctx: BuildContext = {
    b,
    profile,
    root,
    intermediate,
    // NOTE: checked before each key, so an interruption does not wait for every key of the set (seconds each for RSA).
    key: (kind) => {
      options.signal?.throwIfAborted();
      return generateKey(kind ?? profile);
    },
    async ca(opts) {
      options.signal?.throwIfAborted();
      const ca = await b.ca({ ...opts, key: opts.key ?? (await generateKey(profile)) });
      cas.push(ca);
      return ca;
    },
    replaceCa(ca) {
      const i = cas.findIndex((c) => c.id === ca.id);
      if (i >= 0) cas[i] = ca;
    },
    revoke(ca, serial, reason) {
      const list = revocations.get(ca.id) ?? [];
      list.push({ serial, reason, at: b.at(-DAY) });
      revocations.set(ca.id, list);
    },
  };

  const serverKey = await generateKey(profile);
  const [server, fixtures] = await Promise.all([
    b.leaf({
      id: 'server',
      issuer: intermediate,
      key: serverKey,
      eku: [x509.ExtendedKeyUsage.serverAuth],
      commonName: 'localhost',
      san: [
        { type: 'dns', value: 'localhost' },
        { type: 'dns', value: PUBLIC_SERVER_NAME },
        { type: 'ip', value: '127.0.0.1' },
        { type: 'ip', value: '::1' },
      ],
    }),
    Promise.all(specs.map(async (spec) => ({ spec, built: await spec.build(ctx) }))),
  ]);

  // Deterministic CA order: the standard pair, then by id.
  const [first, second, ...others] = cas;
  const orderedCas = [first!, second!, ...others.sort((x, y) => x.id.localeCompare(y.id))];
  const crls = new Map<string, { crl: x509.X509Crl; revoked: string[] }>();
  await Promise.all(
    orderedCas
      .filter((ca) => ca.inTrustedHierarchy)
      .map(async (ca) => {
        const entries = revocations.get(ca.id) ?? [];
        crls.set(ca.id, { crl: await b.crl(ca, entries), revoked: entries.map((e) => e.serial) });
      }),
  );
  const crlVariants = await buildCrlVariants(
    b,
    orderedCas,
    [...crls].map(([caId, { crl }]) => ({ caId, crl })),
  );
  return {
    // NOTE: under --only, a bundle whose fixture was not generated has nothing to be judged on.
    crlVariants: CRL_VARIANTS.flatMap((id) =>
      crlVariants.filter((v) => v.id === id && specs.some((spec) => spec.id === v.verify.fixture)),
    ),
    clock,
    profile,
    cas: orderedCas,
    crls,
    server: { cert: server, key: serverKey, rest: chainAbove(intermediate) },
    fixtures,
    ocspUrl,
    crlUrl,
    ...(imported ? { imported } : {}),
  };
}

const pem = (c: x509.X509Certificate): string => c.toString('pem') + '\n';
const crlPem = (crl: x509.X509Crl): string =>
  // NOTE: OpenSSL (and so node:tls) reads CRLs only under the label 'X509 CRL'; the library default 'CRL' fails.
  x509.PemConverter.encode(crl.rawData, 'X509 CRL') + '\n';

function writeFile(file: string, data: string | Uint8Array, mode = 0o644): void {
  writeFileSync(file, data, { mode });
  chmodSync(file, mode); // the umask may have narrowed it; an existing file keeps its old mode otherwise
}

/**
 * A directory of the fixture set, with `mode` whatever the umask: 0700 for those that hold keys (`ca/`, `server/`,
 * `clients/<id>/` and `clients/`), 0755 for the CRLs, which are public.
 */
function makeDir(dir: string, mode = 0o700): void {
  mkdirSync(dir, { mode });
  chmodSync(dir, mode);
}

/** The top-level entries of a fixture set; `manifest.json` is replaced last and removed first. */
const SET_ENTRIES = ['trust.pem', 'ca', 'crl', 'server', 'clients'] as const;

/**
 * Replaces the fixture set in `out` by the one written in `staging` (both in `out`, so every step is a rename): the
 * old manifest goes first — from then on `out` is not a fixture set, never a mix that claims to be one — then each
 * entry, then the new manifest. NOTE: synchronous, so a SIGINT or SIGTERM (handled between event-loop turns) cannot
 * land in the middle; only SIGKILL can, and then `out` has no manifest.json and a later run sweeps the staging dirs.
 */
function swapInto(out: string, staging: string): void {
  const trash = makeStagingDir(out, 'old');
  const moveAside = (name: string) => {
    if (existsSync(path.join(out, name))) renameSync(path.join(out, name), path.join(trash, name));
  };
  moveAside('manifest.json');
  for (const name of SET_ENTRIES) {
    moveAside(name);
    renameSync(path.join(staging, name), path.join(out, name));
  }
  renameSync(path.join(staging, 'manifest.json'), path.join(out, 'manifest.json'));
  rmSync(trash, { recursive: true, force: true });
  keepAtExit(trash);
}

/** The command whose result `expect.opensslVerifyError` records. */
export const OPENSSL_VERIFY_COMMAND =
  'openssl verify -purpose sslclient -auth_level 2 -attime {epoch} -CAfile trust.pem -crl_check_all -CRLfile crl/all.crl.pem -untrusted {chain} {cert}';

/**
 * Generates the fixture PKI and writes it under `options.out`, returning the manifest. Keys are written with mode
 * 0600 and every directory of the set is 0700, whatever the umask (`out` itself when it is created here). Every
 * input is checked and the PKI built in memory before any directory exists; the set is then written in full to a
 * staging directory inside `out` and renamed into place, so a failed or interrupted run (a full disk, a bad clock)
 * leaves the old set as it was — never old and new files mixed — and a new `out` (with the parents made for it)
 * does not stay behind. Throws HarnessError on bad input and MTLS_ERR_OUT_UNWRITABLE when `out` cannot be written.
 */
export async function generateFixtures(options: GenerateOptions): Promise<Manifest> {
  const where = checkOutDir(options.out, '--out');
  const out = where.dir;
  // NOTE: into an existing directory the staging directory is made at once (a failed call removes it; keys take
  // seconds and an interruption must find the old set whole); a new --out is made only once the PKI is built, so
  // bad input never leaves a directory behind.
  const pki = where.exists ? undefined : await buildPki(options);
  options.signal?.throwIfAborted();
  // The directories made for this call, outermost first: removed again if it fails.
  const created: string[] = [];
  if (!where.exists) for (let d = out; d !== where.base; d = path.dirname(d)) created.unshift(d);
  const undo = () => {
    for (const d of [...created].reverse()) rmSync(d, { recursive: true, force: true });
  };
  let staging: string;
  try {
    for (const d of created.slice(0, -1)) makeDir(d, 0o755);
    ensurePrivateDir(out);
    sweepStaleStaging(out);
    staging = makeStagingDir(out, 'new');
  } catch (cause) {
    undo();
    throw new HarnessError('MTLS_ERR_OUT_UNWRITABLE', `cannot write to --out '${options.out}'`, { cause });
  }
  try {
    const built = pki ?? (await buildPki(options));
    options.signal?.throwIfAborted();
    let manifest: Manifest;
    try {
      manifest = writeSet(built, staging);
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code ?? 'error';
      throw new HarnessError(
        'MTLS_ERR_OUT_UNWRITABLE',
        `cannot write the fixtures to --out '${options.out}' (${code})`,
        {
          cause,
        },
      );
    }
    options.signal?.throwIfAborted();
    swapInto(out, staging);
    return manifest;
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    undo();
    throw err;
  } finally {
    rmSync(staging, { recursive: true, force: true });
    keepAtExit(staging);
  }
}

/** Writes every file of the set under `dir` (the staging directory) and returns the manifest. */
function writeSet(pki: GeneratedPki, dir: string): Manifest {
  for (const d of ['ca', 'server', 'clients']) makeDir(path.join(dir, d));
  makeDir(path.join(dir, 'crl'), 0o755);

  const cas: ManifestCa[] = pki.cas.map((ca) => {
    const cert = `ca/${ca.id}.pem`;
    const key = `ca/${ca.id}.key.pem`;
    if (ca.imported && pki.imported) {
      // NOTE: the imported key is copied in (mode 0600), not pointed at: a path outside the set broke when the
      // directory moved and in every copy of it (load --identities), and manifest paths stay inside the set. The
      // set already holds the intermediate's key, which can issue clients the same servers trust.
      writeFile(path.join(dir, cert), pki.imported.certFile);
      writeFile(path.join(dir, key), pki.imported.keyPem, 0o600);
    } else {
      writeFile(path.join(dir, cert), pem(ca.cert));
      writeFile(path.join(dir, key), ca.key.privatePem, 0o600);
    }
    const crlEntry = pki.crls.get(ca.id);
    let crl: ManifestCa['crl'];
    if (crlEntry) {
      crl = { pem: `crl/${ca.id}.crl.pem`, der: `crl/${ca.id}.crl.der`, revokedSerials: crlEntry.revoked };
      writeFile(path.join(dir, crl.pem), crlPem(crlEntry.crl));
      writeFile(path.join(dir, crl.der), new Uint8Array(crlEntry.crl.rawData));
    }
    return {
      id: ca.id,
      description: ca.description,
      cert,
      key,
      issuer: ca.parent?.id ?? null,
      trusted: ca.id === 'root' || ca.trustAnchor === true,
      serial: ca.cert.serialNumber,
      subject: ca.cert.subject,
      notBefore: ca.cert.notBefore.toISOString(),
      notAfter: ca.cert.notAfter.toISOString(),
      ...(crl ? { crl } : {}),
    };
  });
  // NOTE: further trust anchors (the expired-root fixture's) follow the root, or the imported CA file as given.
  const anchors = pki.cas.filter((ca) => ca.trustAnchor).map((ca) => pem(ca.cert));
  const rootPem = pki.imported ? pki.imported.certFile.toString('utf8') : pem(pki.cas[0]!.cert);
  writeFile(
    path.join(dir, 'trust.pem'),
    anchors.length === 0 && pki.imported ? pki.imported.certFile : [rootPem.replace(/\n?$/, '\n'), ...anchors].join(''),
  );
  writeFile(path.join(dir, 'crl/all.crl.pem'), [...pki.crls.values()].map((c) => crlPem(c.crl)).join(''));
  if (pki.crlVariants.length > 0) makeDir(path.join(dir, 'crl/variants'), 0o755);
  const crlVariants: ManifestCrlVariant[] = pki.crlVariants.map((v) => {
    const bundle = `crl/variants/${v.id}.crl.pem`;
    writeFile(path.join(dir, bundle), v.crls.map((c) => crlPem(c.crl)).join(''));
    return { id: v.id, description: v.description, bundle, verify: v.verify };
  });

  writeFile(path.join(dir, 'server/cert.pem'), pem(pki.server.cert));
  writeFile(path.join(dir, 'server/key.pem'), pki.server.key.privatePem, 0o600);
  writeFile(path.join(dir, 'server/chain.pem'), [pki.server.cert, ...pki.server.rest].map(pem).join(''));

  const fixtures: ManifestFixture[] = pki.fixtures.map(({ spec, built }) => {
    const rel = `clients/${spec.id}`;
    makeDir(path.join(dir, rel));
    writeFile(path.join(dir, rel, 'cert.pem'), pem(built.leaf));
    writeFile(path.join(dir, rel, 'key.pem'), built.key.privatePem, 0o600);
    writeFile(path.join(dir, rel, 'chain.pem'), [built.leaf, ...built.rest].map(pem).join(''));
    const revoked = spec.ocsp === 'revoked';
    return {
      id: spec.id,
      description: spec.description,
      cert: `${rel}/cert.pem`,
      key: `${rel}/key.pem`,
      chain: `${rel}/chain.pem`,
      serial: built.leaf.serialNumber,
      subject: built.leaf.subject,
      issuer: built.issuer,
      keyKind: built.leafKind,
      notBefore: built.leaf.notBefore.toISOString(),
      notAfter: built.leaf.notAfter.toISOString(),
      ocsp: revoked
        ? { status: 'revoked', reason: 'keyCompromise', revokedAt: new Date(pki.clock.getTime() - DAY).toISOString() }
        : spec.ocspMode
          ? { status: 'good', mode: spec.ocspMode, url: ocspModeUrl(pki.ocspUrl, spec.ocspMode) }
          : { status: 'good' },
      requires: spec.requires ?? [],
      expect: { decision: spec.decision, alerts: spec.alerts, opensslVerifyError: spec.opensslVerifyError },
    };
  });

  // NOTE: the common name as the certificate holds it, not cut out of the subject string: a CN holding a comma or
  // an escaped character (the dn-injection fixture) was truncated at its first `,` and its client refused as unknown.
  const allow = pki.fixtures
    .filter(({ spec }) => !(spec.requires ?? []).includes('identity-policy'))
    .map(({ built }) => built.leaf.subjectName.getField('CN')[0])
    .filter((cn): cn is string => Boolean(cn));

  const manifest: Manifest = {
    schemaVersion: MANIFEST_SCHEMA_VERSION,
    generator: { name: 'mtls-harness', version: VERSION },
    clock: pki.clock.toISOString().replace('.000Z', 'Z'),
    keyProfile: pki.profile,
    importedCa: Boolean(pki.imported),
    trust: 'trust.pem',
    cas,
    crl: { bundle: 'crl/all.crl.pem', url: pki.crlUrl },
    ocsp: { url: pki.ocspUrl },
    server: {
      cert: 'server/cert.pem',
      key: 'server/key.pem',
      chain: 'server/chain.pem',
      names: ['localhost', PUBLIC_SERVER_NAME, '127.0.0.1', '::1'],
    },
    identityAllowList: allow,
    ...(crlVariants.length > 0 ? { crlVariants } : {}),
    opensslVerify: { command: OPENSSL_VERIFY_COMMAND },
    fixtures,
  };
  writeFile(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}
