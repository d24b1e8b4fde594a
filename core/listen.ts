import type { AddressInfo, Server } from 'node:net';
import { HarnessError } from './errors.js';

/**
 * Binds a server (TCP, TLS or HTTP) and resolves with the port it got. A bind that fails — the port taken, privileged
 * or the address not local — is MTLS_ERR_PORT naming `what` and the address, never an unhandled 'error' event; the
 * listener for that first error is removed once bound, and a later server error (a socket's) is left to the caller.
 */
export function listenOn(server: Server, host: string, port: number, what?: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const onError = (cause: NodeJS.ErrnoException) =>
      reject(
        new HarnessError(
          'MTLS_ERR_PORT',
          `${what ? `${what} ` : ''}cannot listen on ${host}:${port} (${cause.code ?? cause.message})`,
          { cause },
        ),
      );
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
