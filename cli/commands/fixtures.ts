import { HarnessError } from '../../core/errors.js';
import { generateFixtures } from '../../fixtures-gen/generate.js';
import { parseFlags } from '../args.js';
import { EXIT } from '../exit-codes.js';
import { interruption, throwIfInterrupted } from '../signals.js';

/** Usage of `mtls-harness fixtures`. */
export const FIXTURES_USAGE = `Generate a client-certificate test PKI and its manifest.json.

  mtls-harness fixtures --out ./fixtures
  mtls-harness fixtures --out ./fixtures --clock 2026-01-01T00:00:00Z --key-profile rsa-2048
  mtls-harness fixtures --out ./fixtures --ca-cert my-ca.pem --ca-key my-ca.key

Flags:
  --out DIR            output directory (required)
  --clock ISO-8601     instant every validity period is computed from (default: now): a calendar instant with a
                       zone, 1951-02-05T00:00:00Z..9990-01-02T23:59:59Z. A live server judges at now: a set is
                       usable until clock + 365 days, and scenarios it no longer means are skipped (see README)
  --key-profile P      ecdsa-p256 (default) | ecdsa-p384 | rsa-2048 | rsa-pss-2048 | ed25519
  --ca-cert FILE       issue everything from this existing CA certificate (with --ca-key)
  --ca-key FILE        private key of --ca-cert
  --ocsp-url URL       OCSP URL in the certificates' AIA (default http://127.0.0.1:18888/ocsp)
  --crl-url URL        base URL of CRL distribution points (default http://127.0.0.1:18888/crl)
  --quiet              print nothing but errors`;

/** `mtls-harness fixtures`: writes the PKI and prints a one-line summary. */
export async function fixturesCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseFlags('fixtures', argv, {
    out: { type: 'string' },
    clock: { type: 'string' },
    'key-profile': { type: 'string' },
    'ca-cert': { type: 'string' },
    'ca-key': { type: 'string' },
    'ocsp-url': { type: 'string' },
    'crl-url': { type: 'string' },
    quiet: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(FIXTURES_USAGE);
    return EXIT.OK;
  }
  if (!values.out) {
    throw new HarnessError('MTLS_ERR_USAGE', 'fixtures: --out DIR is required');
  }
  const started = performance.now();
  // NOTE: a Ctrl-C or SIGTERM while generating leaves `--out` as it was: the new set replaces the old one only whole.
  const manifest = await generateFixtures({
    out: values.out,
    clock: values.clock,
    keyProfile: values['key-profile'],
    caCert: values['ca-cert'],
    caKey: values['ca-key'],
    ocspUrl: values['ocsp-url'],
    crlUrl: values['crl-url'],
    signal: interruption().signal,
  }).catch((err: unknown) => {
    throwIfInterrupted(`--out '${values.out}' was left as it was`);
    throw err;
  });
  if (!values.quiet) {
    const ms = Math.round(performance.now() - started);
    console.log(
      `wrote ${manifest.fixtures.length} client fixtures, ${manifest.cas.length} CAs, ${manifest.cas.filter((c) => c.crl).length} CRLs ` +
        `(${manifest.keyProfile}, clock ${manifest.clock}) to ${values.out}/manifest.json in ${ms} ms`,
    );
  }
  return EXIT.OK;
}
