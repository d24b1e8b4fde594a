import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wireProbe } from '../../wire/index.js';
import { makePki, nodeClientDecision, nodeServer, opensslServer, type Pki, type TestServer } from './helpers.js';

// Chain-validation fixtures: the wire client and node:tls must reach the same verdict against the same server.
const FIXTURES = ['valid', 'expired', 'unknown-ca', 'revoked', 'not-yet-valid', 'eku-server-auth-only'];

let pki: Pki;
const servers: Record<'openssl' | 'node', TestServer | undefined> = { openssl: undefined, node: undefined };

beforeAll(async () => {
  pki = await makePki('ecdsa-p256', FIXTURES);
  // NOTE: -CAfile also loads the CRLs of a PEM file; s_server's -CRL would take only the first CRL of the bundle.
  const trustWithCrls = path.join(pki.dir, 'trust-with-crls.pem');
  writeFileSync(trustWithCrls, pki.read('trust.pem') + pki.read(pki.manifest.crl.bundle));
  servers.openssl = await opensslServer(pki, ['-crl_check_all', '-CAfile', trustWithCrls]);
  servers.node = await nodeServer(pki, { crl: true });
});

afterAll(async () => {
  await servers.openssl?.close();
  await servers.node?.close();
  pki.cleanup();
});

describe.each(['openssl', 'node'] as const)('wire client and node:tls agree against %s', (name) => {
  for (const tls of ['1.3', '1.2'] as const) {
    it.each(FIXTURES)(`TLS ${tls}: %s`, async (fixture) => {
      const server = servers[name]!;
      const wire = await wireProbe({
        host: '127.0.0.1',
        port: server.port,
        servername: 'localhost',
        tls,
        trustPem: pki.read('trust.pem'),
        ...pki.client(fixture),
      });
      const node = await nodeClientDecision(server.port, pki, fixture, tls);
      const wireDecision = wire.observation.outcome === 'accepted' ? 'accept' : 'reject';
      expect(wireDecision, JSON.stringify(wire.observation)).toBe(node);
      const expected = pki.manifest.fixtures.find((f) => f.id === fixture)!.expect.decision;
      expect(wireDecision).toBe(expected);
      if (wireDecision === 'reject') {
        expect(['rejected-alert', 'closed', 'reset']).toContain(wire.observation.outcome);
        expect(wire.observation.step).toBe('client-certificate');
      }
    });
  }
});
