import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FixtureSet } from '../../core/manifest.js';

let extraFiles = 0;

/**
 * The `openssl s_client` arguments that present a fixture's identity: its certificate and key, and the rest of its
 * chain through `-cert_chain` (a file written under `scratch`). One file per call: concurrent replays of one fixture
 * (TLS 1.2 and 1.3 at once) must not rewrite a file a running s_client reads — a shared one was read empty.
 */
export function identityArgs(fx: FixtureSet, fixtureId: string, scratch: string): string[] {
  const f = fx.fixture(fixtureId);
  const blocks =
    readFileSync(fx.resolve(f.chain), 'utf8').match(
      /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/g,
    ) ?? [];
  const args = ['-cert', fx.resolve(f.cert), '-key', fx.resolve(f.key)];
  if (blocks.length > 1) {
    const extra = path.join(scratch, `${fixtureId}-${++extraFiles}-extra.pem`);
    writeFileSync(extra, blocks.slice(1).join(''));
    args.push('-cert_chain', extra);
  }
  return args;
}
