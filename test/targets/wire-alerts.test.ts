import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { wireProbe } from '../../wire/index.js';
import { ADAPTERS, startProcessTarget, type Availability } from '../../targets/process/index.js';
import { availability, ON_CI, sharedFixtures } from './harness.js';

// Regression: nginx answers a bad client Certificate with a fatal alert and closes while the client is still writing
// the rest of its flight; a write into the resulting reset used to destroy the socket with the alert unread, so the
// observation said `reset` instead of naming the alert (and `--strictness alert` flipped between pass and fail).
describe('wire probe against nginx: alerts are never lost to the reset that follows them', () => {
  const fixtures = sharedFixtures();
  let probe: Availability = { available: false, reason: 'not probed' };
  beforeAll(async () => {
    probe = await availability('nginx');
  });

  it.for([
    ['1.2', 'garbage-leaf-der', 'decode_error'],
    ['1.2', 'omit-certificate', 'unexpected_message'],
    ['1.3', 'cv-bitflip', 'decrypt_error'],
    ['1.3', 'bad-certificate-list-length', 'decode_error'],
    // Issue 13: a CertificateVerify nginx refuses before its signature is checked, and one sent twice.
    ['1.3', 'cv-trailing-bytes', 'decode_error'],
    ['1.2', 'cv-twice', 'unexpected_message'],
  ] as const)('TLS %s %s → %s, every time', async ([tls, mutation, alert], ctx) => {
    if (!probe.available && !ON_CI) ctx.skip();
    const fx = fixtures.get();
    const target = await startProcessTarget(ADAPTERS.nginx, fx, 'require');
    try {
      const valid = fx.fixture('valid');
      const seen: string[] = [];
      for (let i = 0; i < 10; i++) {
        const { observation } = await wireProbe({
          host: target.endpoint.host,
          port: target.endpoint.port,
          servername: 'localhost',
          tls,
          trustPem: readFileSync(fx.resolve(fx.manifest.trust), 'utf8'),
          chainPem: readFileSync(fx.resolve(valid.chain), 'utf8'),
          keyPem: readFileSync(fx.resolve(valid.key), 'utf8'),
          mutation,
        });
        seen.push(observation.outcome === 'rejected-alert' ? (observation.alert?.name ?? '?') : observation.outcome);
      }
      expect(seen).toEqual(Array(10).fill(alert));
    } finally {
      await target.stop();
    }
  });
});
