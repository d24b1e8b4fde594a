import { loadManifest } from '../../core/manifest.js';
import { startBuiltinServer } from '../../targets/builtin.js';
import { enumFlag, intFlag, parseFlags } from '../args.js';
import { EXIT } from '../exit-codes.js';
import { interruption } from '../signals.js';

/** Usage of `mtls-harness serve`. */
export const SERVE_USAGE = `Run the built-in reference mTLS server (HTTPS echo of the authenticated identity).

  mtls-harness serve --fixtures ./fixtures --port 8443
  mtls-harness serve --fixtures ./fixtures --policy optional

Flags:
  --fixtures DIR               fixture set (required)
  --port N                     port on 127.0.0.1 (default 0: any free port, printed)
  --policy require|optional    client certificates required (default) or only requested
  --log                        print the server's accept/reject log lines

It checks CRLs for every CA level, OCSP against its own loopback responder, and the identity allow-list.
Stops on Ctrl-C or SIGTERM (exit 0).`;

/** `mtls-harness serve`. */
export async function serveCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseFlags('serve', argv, {
    fixtures: { type: 'string' },
    port: { type: 'string' },
    policy: { type: 'string' },
    log: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(SERVE_USAGE);
    return EXIT.OK;
  }
  const policy = enumFlag('policy', values.policy, ['require', 'optional'] as const, 'require');
  const port = intFlag('port', values.port, 0, 0, 65535);
  const fx = loadManifest(values.fixtures ?? './fixtures');
  const target = await startBuiltinServer({ fixtures: fx, policy, port });
  console.log(
    `mtls-harness built-in server (${policy}) listening on https://${target.endpoint.host}:${target.endpoint.port}/`,
  );
  // NOTE: SIGINT and SIGTERM are this command's normal end: it closes what it started and exits 0.
  await interruption().wait();
  if (values.log) console.log(target.logs());
  await target.stop();
  return EXIT.OK;
}
