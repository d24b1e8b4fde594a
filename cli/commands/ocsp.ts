import { loadManifest } from '../../core/manifest.js';
import { startOcspResponder } from '../../fixtures-gen/ocsp.js';
import { intFlag, parseFlags } from '../args.js';
import { EXIT } from '../exit-codes.js';
import { interruption } from '../signals.js';

/** Usage of `mtls-harness ocsp`. */
export const OCSP_USAGE = `Serve OCSP (RFC 6960 / RFC 5019, POST and GET) and the CRLs for a fixture set on 127.0.0.1.

  mtls-harness ocsp --fixtures ./fixtures               port from the manifest's OCSP URL (default 18888)
  mtls-harness ocsp --fixtures ./fixtures --port 0      any free port (printed)

Routes: POST /ocsp, GET /ocsp/<base64 request>, GET /crl/<ca-id>.crl. A failure mode as the last path segment
(/ocsp/try-later, unknown, unauthorized, wrong-signer, other-serial, stale, future, no-answer, refused) answers as
that mode, as does the serial of an ocsp-<mode> fixture. Stops on Ctrl-C or SIGTERM (exit 0).`;

/** `mtls-harness ocsp`: runs the responder until interrupted. */
export async function ocspCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseFlags('ocsp', argv, {
    fixtures: { type: 'string' },
    port: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(OCSP_USAGE);
    return EXIT.OK;
  }
  const fx = loadManifest(values.fixtures ?? './fixtures');
  const fromManifest = Number(new URL(fx.manifest.ocsp.url).port || 80);
  const port = intFlag('port', values.port, fromManifest, 0, 65535);
  const responder = await startOcspResponder(fx, { port });
  console.log(`OCSP responder for ${fx.dir} listening on ${responder.ocspUrl} (CRLs under ${responder.baseUrl}/crl/)`);
  // NOTE: SIGINT and SIGTERM are this command's normal end: it closes what it started and exits 0.
  await interruption().wait();
  await responder.close();
  console.log(`answered ${responder.requests} OCSP requests`);
  return EXIT.OK;
}
