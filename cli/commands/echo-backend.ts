import { startEchoBackend } from '../../services/echo-backend.js';
import { hostFlag, intFlag, parseFlags } from '../args.js';
import { EXIT } from '../exit-codes.js';
import { interruption } from '../signals.js';

/** Usage of `mtls-harness echo-backend`. */
export const ECHO_BACKEND_USAGE = `Run the echo backend a reverse proxy under test forwards to (answers with the headers received, by nonce).

  mtls-harness echo-backend --port 18080
  mtls-harness echo-backend --port 0                    any free port (printed)
  mtls-harness echo-backend --host 0.0.0.0 --port 18080 reachable from a proxy on another machine

Flags:
  --port N       port (default 0: any free port, printed)
  --host ADDR    address to listen on (default 127.0.0.1)

It answers every request 200 with {nonce, method, url, headers: [[name, value], …]}, every header line as received,
and keeps it under the request's nonce: the path segment after /echo/ (GET /proxied/echo/3f9a1c2e7b) or an
X-Echo-Nonce header. GET /_seen/<nonce> answers what was received for that nonce (404 if nothing). Point your proxy
at it, forwarding /proxied/ with the path kept, and run the proxy scenarios:
  mtls-harness run --target HOST:PORT --fixtures DIR --policy optional --echo-backend ADDR:PORT \\
    --suite 'proxy-identity::*'
Stops on Ctrl-C or SIGTERM (exit 0).`;

/** `mtls-harness echo-backend`: runs the echo backend until interrupted. */
export async function echoBackendCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseFlags('echo-backend', argv, {
    port: { type: 'string' },
    host: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(ECHO_BACKEND_USAGE);
    return EXIT.OK;
  }
  const port = intFlag('port', values.port, 0, 0, 65535);
  const host = values.host === undefined ? '127.0.0.1' : hostFlag(values.host);
  const backend = await startEchoBackend({ host, port });
  console.log(`mtls-harness echo backend listening on ${backend.url}/ (lookups: ${backend.url}/_seen/<nonce>)`);
  // NOTE: SIGINT and SIGTERM are this command's normal end: it closes what it started and exits 0.
  await interruption().wait();
  await backend.close();
  console.log(`answered ${backend.requests} requests`);
  return EXIT.OK;
}
