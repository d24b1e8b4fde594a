import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadManifest } from '../../core/manifest.js';
import { checkOutDir } from '../../core/out-dir.js';
import {
  checkProduct,
  CONFIG_PRODUCTS,
  renderServerConfig,
  shellQuote,
  startScript,
} from '../../targets/server-config.js';
import { enumFlag, hostFlag, intFlag, parseFlags } from '../args.js';
import { EXIT } from '../exit-codes.js';

/** Usage of `mtls-harness server-config`. */
export const SERVER_CONFIG_USAGE = `Print a complete, working mTLS configuration for your server, rendered from the fixtures.

  mtls-harness server-config --product nginx --fixtures ./fixtures
  mtls-harness server-config --product haproxy --fixtures ./fixtures --port 9443 --out ./haproxy-mtls
  ./haproxy-mtls/start.sh &                      runs the server in the foreground (it is a plain shell script)
  mtls-harness run --target 127.0.0.1:9443 --fixtures ./fixtures --product haproxy

The configuration is the one the harness itself starts that product with (CRLs for every CA level, a verify depth
that admits every valid chain, OCSP where the product checks it for client certificates, pointed at the URL the
certificates name). Its files, the PKI files it names and start.sh are written to --out (default
FIXTURES/server-config/PRODUCT); the configuration is also printed.

Flags:
  --product NAME               ${CONFIG_PRODUCTS.join(', ')}
  --fixtures DIR               the fixture set (default ./fixtures)
  --policy require|optional    client certificates required (default) or only requested
  --port N                     port to listen on (default 8443)
  --host ADDR                  address to listen on (default 127.0.0.1)
  --out DIR                    where to write the configuration and start.sh`;

/** `mtls-harness server-config`. */
export async function serverConfigCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseFlags('server-config', argv, {
    product: { type: 'string' },
    fixtures: { type: 'string' },
    policy: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(SERVER_CONFIG_USAGE);
    return EXIT.OK;
  }
  if (values.product === undefined) {
    console.error(`mtls-harness: error MTLS_ERR_USAGE: server-config needs --product (${CONFIG_PRODUCTS.join(', ')})`);
    return EXIT.ERROR;
  }
  const product = checkProduct(values.product, '--product');
  const policy = enumFlag('policy', values.policy, ['require', 'optional'] as const, 'require');
  const port = intFlag('port', values.port, 8443, 1, 65535);
  // NOTE: the address is written into the product's configuration file: only an address or a name goes in.
  const host = values.host === undefined ? undefined : hostFlag(values.host);
  const fx = loadManifest(values.fixtures ?? './fixtures');
  const dir = path.resolve(values.out ?? path.join(fx.dir, 'server-config', product));
  checkOutDir(dir, '--out');
  // NOTE: the harness's own CLI as it was started (node, its loader flags, this script), for the built-in server.
  const cli = [process.execPath, ...process.execArgv, process.argv[1] ?? 'mtls-harness'];
  const config = renderServerConfig({
    product,
    fixtures: fx,
    policy,
    port,
    ...(host ? { host } : {}),
    dir,
    cli,
  });
  mkdirSync(dir, { recursive: true });
  for (const [rel, content] of Object.entries(config.files)) {
    const file = path.join(dir, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  const start = path.join(dir, 'start.sh');
  writeFileSync(start, startScript(config), { mode: 0o755 });
  chmodSync(start, 0o755);

  const out: string[] = [`# ${product} (${policy}) on ${values.host ?? '127.0.0.1'}:${port}, written to ${dir}`];
  for (const note of config.notes) out.push(`# ${note}`);
  for (const [rel, content] of Object.entries(config.files)) {
    out.push('', `# ---- ${path.join(dir, rel)} ----`, content.trimEnd());
  }
  out.push(
    '',
    `# ---- start it (foreground, from ${dir}) ----`,
    `${Object.entries(config.env)
      .map(([k, v]) => `${k}=${shellQuote(v)} `)
      .join('')}${config.command.map(shellQuote).join(' ')}`,
    `# or: ${start}`,
  );
  console.log(out.join('\n'));
  return EXIT.OK;
}
