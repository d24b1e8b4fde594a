import type { ProcessTargetName, ServerAdapter } from './adapter.js';
import { apacheAdapter } from './apache.js';
import { caddyAdapter } from './caddy.js';
import { haproxyAdapter } from './haproxy.js';
import { lighttpdAdapter } from './lighttpd.js';
import { nginxAdapter } from './nginx.js';
import { opensslSServerAdapter } from './openssl-s-server.js';
import { stunnelAdapter } from './stunnel.js';

export * from './adapter.js';
export { freePort, isAlive, liveServerPids } from './spawn.js';

/** Every real-server adapter by name. */
export const ADAPTERS: Readonly<Record<ProcessTargetName, ServerAdapter>> = {
  nginx: nginxAdapter,
  haproxy: haproxyAdapter,
  apache: apacheAdapter,
  stunnel: stunnelAdapter,
  lighttpd: lighttpdAdapter,
  caddy: caddyAdapter,
  'openssl-s-server': opensslSServerAdapter,
};
