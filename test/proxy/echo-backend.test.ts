import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isHarnessError } from '../../core/errors.js';
import { fetchEchoRecord, startEchoBackend, type EchoBackend, type EchoRecord } from '../../services/echo-backend.js';
import { runCli } from '../helpers/cli.js';
import { refused, stackLines, startCli } from '../signals/helpers.js';

// Issue 12: the echo backend a proxy under test forwards to — the record of each request, kept by its nonce.

/** One plain HTTP request to the backend; the status and the body parsed as JSON. */
function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: EchoRecord & { seen?: boolean } }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }),
        );
      })
      .on('error', reject);
  });
}

/** Writes a raw request and resolves with the raw answer once the backend closes. */
function raw(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => s.write(request));
    let out = '';
    s.on('data', (d: Buffer) => (out += d.toString('latin1')));
    s.on('close', () => resolve(out));
    s.on('error', reject);
  });
}

describe('the echo backend', () => {
  let echo: EchoBackend;
  beforeAll(async () => {
    echo = await startEchoBackend();
  });
  afterAll(() => echo.close());

  it('answers a request with every header line it received, duplicates and order kept, and keeps it by nonce', async () => {
    const r = await get(echo.port, '/proxied/echo/nonce-one-1234', {
      'X-SSL-Client-Verify': 'SUCCESS',
      'X-Client-Cert': 'a, b',
    });
    expect(r.status).toBe(200);
    expect(r.body.nonce).toBe('nonce-one-1234');
    expect(r.body.url).toBe('/proxied/echo/nonce-one-1234');
    expect(r.body.headers).toContainEqual(['X-SSL-Client-Verify', 'SUCCESS']);
    expect(r.body.headers).toContainEqual(['X-Client-Cert', 'a, b']);
    // Two lines of one name stay two lines (node's own header object would join them).
    await raw(
      echo.port,
      'GET /echo/nonce-dup-12345 HTTP/1.1\r\nHost: x\r\nX-SSL-Client-Verify: SUCCESS\r\nX-SSL-Client-Verify: NONE\r\nConnection: close\r\n\r\n',
    );
    const dup = await fetchEchoRecord(echo, 'nonce-dup-12345', 2000);
    expect(dup).not.toBeInstanceOf(Error);
    expect((dup as EchoRecord).headers.filter(([n]) => n === 'X-SSL-Client-Verify')).toEqual([
      ['X-SSL-Client-Verify', 'SUCCESS'],
      ['X-SSL-Client-Verify', 'NONE'],
    ]);
  });

  it('finds the nonce after /echo/ under any prefix, or in X-Echo-Nonce; a request without one is answered, not kept', async () => {
    await get(echo.port, '/a/b/echo/nonce-path-5678?x=1');
    await get(echo.port, '/rewritten', { 'X-Echo-Nonce': 'nonce-header-9012' });
    const none = await get(echo.port, '/no/nonce/here');
    expect(none.body.nonce).toBeNull();
    expect(((await fetchEchoRecord(echo, 'nonce-path-5678', 2000)) as EchoRecord).url).toBe(
      '/a/b/echo/nonce-path-5678?x=1',
    );
    expect(((await fetchEchoRecord(echo, 'nonce-header-9012', 2000)) as EchoRecord).url).toBe('/rewritten');
  });

  it('answers a lookup of a nonce it never received with 404 (undefined), and never mixes concurrent requests', async () => {
    expect(await fetchEchoRecord(echo, 'never-sent-0000', 2000)).toBeUndefined();
    const lookup = await get(echo.port, '/_seen/never-sent-0000');
    expect(lookup.status).toBe(404);
    const nonces = Array.from({ length: 20 }, (_, i) => `concurrent-${String(i).padStart(4, '0')}`);
    await Promise.all(nonces.map((n) => get(echo.port, `/echo/${n}`, { 'X-Which': n })));
    for (const n of nonces) {
      const rec = (await fetchEchoRecord(echo, n, 2000)) as EchoRecord;
      expect(rec.headers.filter(([h]) => h === 'X-Which')).toEqual([['X-Which', n]]);
    }
  });

  it('keeps a request its HTTP parser refused (a header split by a bare CR), with the raw head, under its nonce', async () => {
    const answer = await raw(
      echo.port,
      'GET /proxied/echo/nonce-bad-3456 HTTP/1.1\r\nHost: x\r\nX-SSL-Client-S-DN: CN=a\r\rX-Injected: yes\r\n\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    const rec = (await fetchEchoRecord(echo, 'nonce-bad-3456', 2000)) as EchoRecord;
    expect(rec.malformed).toMatch(/^HPE_/);
    expect(rec.raw).toContain('X-SSL-Client-S-DN: CN=a\r\rX-Injected: yes');
  });

  it('refuses a busy port with MTLS_ERR_PORT', async () => {
    const err = await startEchoBackend({ port: echo.port }).catch((e: unknown) => e);
    expect(isHarnessError(err) && err.code).toBe('MTLS_ERR_PORT');
    expect(String((err as Error).message)).toMatch(/EADDRINUSE/);
  });

  it('fetchEchoRecord says so when nothing answers', async () => {
    const closed = await startEchoBackend();
    const port = closed.port;
    await closed.close();
    expect(await fetchEchoRecord({ host: '127.0.0.1', port }, 'whatever-1234', 2000)).toBeInstanceOf(Error);
  });
});

describe('mtls-harness echo-backend', () => {
  it('starts, answers with the headers by nonce, and stops on SIGINT with exit 0', async () => {
    const cli = startCli(['echo-backend', '--port', '0']);
    const port = Number((await cli.waitFor(/listening on http:\/\/127\.0\.0\.1:(\d+)\//))[1]);
    const r = await get(port, '/proxied/echo/cli-nonce-1234', { 'X-SSL-Client-S-DN': 'CN=forged' });
    expect(r.body.headers).toContainEqual(['X-SSL-Client-S-DN', 'CN=forged']);
    const seen = await get(port, '/_seen/cli-nonce-1234');
    expect(seen.status).toBe(200);
    expect(seen.body.headers).toContainEqual(['X-SSL-Client-S-DN', 'CN=forged']);
    process.kill(cli.pid, 'SIGINT');
    const ended = await cli.ended;
    expect(ended.code, cli.stderr()).toBe(0);
    expect(stackLines(cli.stderr())).toEqual([]);
    expect(cli.stdout()).toMatch(/answered 2 requests/);
    expect(await refused(port)).toBe(true);
  });

  it('a busy port: one line, MTLS_ERR_PORT, exit 2', async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as net.AddressInfo).port;
    try {
      const r = await runCli(['echo-backend', '--port', String(port)], { timeoutMs: 30_000 });
      expect(r.status, r.stderr).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^mtls-harness: error MTLS_ERR_PORT: .*127\\.0\\.0\\.1:${port}.*EADDRINUSE`));
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  });

  it('refuses a bad --port or --host before starting', async () => {
    const [port, host] = await Promise.all([
      runCli(['echo-backend', '--port', 'http']),
      runCli(['echo-backend', '--host', 'bad host']),
    ]);
    expect(port.status).toBe(2);
    expect(port.stderr).toMatch(/^mtls-harness: error MTLS_ERR_USAGE: bad --port 'http'/);
    expect(host.status).toBe(2);
    expect(host.stderr).toMatch(/^mtls-harness: error MTLS_ERR_USAGE: bad --host 'bad host'/);
  });
});
