// NOTE: @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export { x509 };
/** Node's WebCrypto, typed as the DOM Crypto @peculiar/x509 expects. */
export const subtle = webcrypto.subtle as unknown as SubtleCrypto;
