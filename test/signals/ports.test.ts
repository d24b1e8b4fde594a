import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFixtures } from '../../fixtures-gen/generate.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { refused, stackLines, startCli } from './helpers.js';

// Issue 10: `serve --port <busy>` printed MTLS_ERR_PORT and never exited (its OCSP responder kept the process alive).

const dir = tempDir('mtls-ports-');
const fx = path.join(dir.path, 'fx');
let busy: net.Server;
let port: number;
beforeAll(async () => {
  await generateFixtures({ out: fx });
  busy = net.createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  port = (busy.address() as net.AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => busy?.close(resolve));
  dir[Symbol.dispose]();
});

describe('a busy --port: one line, MTLS_ERR_PORT, exit 2, and the process ends', () => {
  it.each([['serve'], ['ocsp']])('%s', async (command) => {
    // NOTE: runCli kills the child after the bound; a process that hangs ends with status null, not 2.
    const r = await runCli([command, '--fixtures', fx, '--port', String(port)], { timeoutMs: 30_000 });
    expect(r.status, r.stderr).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^mtls-harness: error MTLS_ERR_PORT: .*127\\.0\\.0\\.1:${port}.*EADDRINUSE`));
  });
});

describe('serve and ocsp stop on SIGINT or SIGTERM: their normal end, exit 0', () => {
  it.for([
    ['serve', 'SIGTERM'],
    ['ocsp', 'SIGINT'],
  ] as const)('%s, %s', async ([command, signal]) => {
    const cli = startCli([command, '--fixtures', fx, '--port', '0']);
    const listening = Number((await cli.waitFor(/listening on https?:\/\/127\.0\.0\.1:(\d+)/))[1]);
    expect(await refused(listening)).toBe(false);
    process.kill(cli.pid, signal);
    const ended = await cli.ended;
    expect(ended.code, cli.stderr()).toBe(0);
    expect(stackLines(cli.stderr())).toEqual([]);
    expect(await refused(listening)).toBe(true);
  });
});
