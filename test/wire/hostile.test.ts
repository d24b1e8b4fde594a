import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type net from 'node:net';
import { wireProbe, type WireProbeOptions } from '../../wire/index.js';
import { freePort, makePki, rawServer, type Pki, type TestServer } from './helpers.js';

let pki: Pki;
beforeAll(async () => {
  pki = await makePki('ecdsa-p256', ['valid']);
});
afterAll(() => pki.cleanup());

const TIMEOUT = 800;

function options(port: number, tls: '1.2' | '1.3'): WireProbeOptions {
  return {
    host: '127.0.0.1',
    port,
    servername: 'localhost',
    tls,
    trustPem: pki.read('trust.pem'),
    ...pki.client('valid'),
    timeoutMs: TIMEOUT,
  };
}

/** Runs a probe against a raw server that reacts to the first bytes it gets. */
async function against(onHello: (socket: net.Socket) => void, tls: '1.2' | '1.3' = '1.3') {
  const server: TestServer = await rawServer((s) => s.once('data', () => onHello(s)));
  try {
    const started = Date.now();
    const result = await wireProbe(options(server.port, tls));
    return { ...result, elapsed: Date.now() - started };
  } finally {
    await server.close();
  }
}

const serverHelloHeader = (length: number): Buffer => Buffer.from([22, 3, 3, (length >> 8) & 0xff, length & 0xff]);

describe('hostile or broken servers end in a clear observation, within the timeout', () => {
  it('garbage bytes → error not-tls', async () => {
    const r = await against((s) => s.end(Buffer.from('\x00\xff\x13garbage garbage garbage')));
    expect(r.observation).toMatchObject({
      outcome: 'error',
      error: { kind: 'not-tls' },
      probe: 'wire',
      handshakeCompleted: false,
    });
    expect(r.elapsed).toBeLessThan(TIMEOUT);
  });

  it('a record header of length 0xFFFF, then close → error not-tls (record_overflow)', async () => {
    const r = await against((s) => s.end(serverHelloHeader(0xffff)));
    expect(r.observation).toMatchObject({ outcome: 'error', error: { kind: 'not-tls' } });
    expect(r.observation.error?.message).toMatch(/record_overflow/);
  });

  it('a truncated record, then close → closed', async () => {
    const r = await against((s) => s.end(Buffer.concat([serverHelloHeader(100), Buffer.alloc(10, 2)])));
    expect(r.observation).toMatchObject({ outcome: 'closed', step: 'client-hello' });
  });

  it('a handshake message claiming 16 MiB → error not-tls', async () => {
    const body = Buffer.from([2, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
    const r = await against((s) => s.write(Buffer.concat([serverHelloHeader(body.length), body])));
    expect(r.observation).toMatchObject({ outcome: 'error', error: { kind: 'not-tls' } });
  });

  it('a ServerHello that does not parse → error not-tls', async () => {
    const body = Buffer.from([2, 0, 0, 4, 3, 3, 0, 0]);
    const r = await against((s) => s.write(Buffer.concat([serverHelloHeader(body.length), body])));
    expect(r.observation).toMatchObject({ outcome: 'error', error: { kind: 'not-tls' } });
  });

  it('a plaintext alert in answer to ClientHello → rejected-alert at client-hello', async () => {
    const r = await against((s) => s.end(Buffer.from([21, 3, 3, 0, 2, 2, 40])), '1.2');
    expect(r.observation).toMatchObject({
      outcome: 'rejected-alert',
      alert: { name: 'handshake_failure', code: 40 },
      step: 'client-hello',
    });
  });

  it('a silent server → timeout, bounded by timeoutMs', async () => {
    const r = await against(() => undefined);
    expect(r.observation).toMatchObject({ outcome: 'timeout', handshakeCompleted: false });
    expect(r.elapsed).toBeGreaterThanOrEqual(TIMEOUT - 50);
    expect(r.elapsed).toBeLessThan(TIMEOUT + 500);
  });

  it('a reset right after ClientHello → reset', async () => {
    const r = await against((s) => s.resetAndDestroy());
    expect(r.observation.outcome).toBe('reset');
  });

  it('a plaintext HTTP server → error not-tls naming what it spoke', async () => {
    const server = http.createServer((_req, res) => res.end('hello'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      for (const tls of ['1.3', '1.2'] as const) {
        const r = await wireProbe(options(port, tls));
        expect(r.observation).toMatchObject({ outcome: 'error', error: { kind: 'not-tls' } });
        expect(r.observation.error?.message).toContain('HTTP/1.1');
      }
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('nothing listening → error refused at tcp-connect', async () => {
    const port = await freePort();
    const r = await wireProbe(options(port, '1.3'));
    expect(r.observation).toMatchObject({ outcome: 'error', error: { kind: 'refused' }, step: 'tcp-connect' });
  });

  it('an unknown mutation → error client-setup, without connecting', async () => {
    const r = await wireProbe({ ...options(1, '1.3'), mutation: 'no-such-mutation' });
    expect(r.observation).toMatchObject({ outcome: 'error', error: { kind: 'client-setup' } });
  });
});
