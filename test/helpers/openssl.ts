import { execFile } from 'node:child_process';

/** Output and exit status of one openssl invocation (never throws on a non-zero status). */
export function openssl(
  args: readonly string[],
  options: { cwd?: string; input?: string } = {},
): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = execFile('openssl', [...args], { cwd: options.cwd, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
    child.stdin?.on('error', () => {}); // openssl may exit before reading its input
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}
