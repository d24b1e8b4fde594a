import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { HarnessError } from '../core/errors.js';
import type { FixtureSet } from '../core/manifest.js';
import type { ServerPolicy } from '../core/scenario.js';
import { ADAPTERS, PROCESS_TARGET_NAMES, stagePki, which, type ProcessTargetName } from './process/index.js';

/** Products `server-config` renders a configuration for: every process adapter, and `node` (the built-in server). */
export const CONFIG_PRODUCTS = [...PROCESS_TARGET_NAMES, 'node'] as const;
/** One of {@link CONFIG_PRODUCTS}. */
export type ConfigProduct = (typeof CONFIG_PRODUCTS)[number];

/** True for a product name `server-config` and `run --product` know. */
export function isConfigProduct(value: string): value is ConfigProduct {
  return (CONFIG_PRODUCTS as readonly string[]).includes(value);
}

/** Options of {@link renderServerConfig}. */
export interface ServerConfigOptions {
  readonly product: ConfigProduct;
  readonly fixtures: FixtureSet;
  readonly policy: ServerPolicy;
  readonly port: number;
  /** Address to listen on (default 127.0.0.1). */
  readonly host?: string;
  /**
   * Directory the configuration and its PKI files live in (absolute). The PKI files the configuration names are
   * staged there; the configuration itself is returned, and written by {@link writeServerConfig}.
   */
  readonly dir: string;
  /** How to start the harness's own CLI (for `node`, the built-in server): the command and its leading arguments. */
  readonly cli: readonly string[];
}

/** A rendered server configuration: files (relative to the directory), the command that runs it, and notes. */
export interface ServerConfig {
  readonly product: ConfigProduct;
  readonly dir: string;
  /** Relative path → content (the configuration files; the PKI files are staged already). */
  readonly files: Readonly<Record<string, string>>;
  /** The command line that runs the server in the foreground. */
  readonly command: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** What the reader must know: OCSP responder, capabilities, how the server refuses. */
  readonly notes: readonly string[];
}

/**
 * Renders a complete mTLS configuration for a product from the fixtures, with the same renderer the process targets
 * use: the server certificate and key, the fixtures' root, every CA level's CRL, a verify depth that admits the
 * longest valid chain, and OCSP (pointed at the URL the certificates name) where the product checks it for clients.
 * The PKI files are staged into `dir/pki/`.
 */
export function renderServerConfig(options: ServerConfigOptions): ServerConfig {
  const dir = path.resolve(options.dir);
  const host = options.host ?? '127.0.0.1';
  const fx = options.fixtures;
  if (options.product === 'node') {
    return {
      product: 'node',
      dir,
      files: {},
      command: [
        ...options.cli,
        'serve',
        '--fixtures',
        fx.dir,
        '--port',
        String(options.port),
        '--policy',
        options.policy === 'optional' ? 'optional' : 'require',
      ],
      env: {},
      notes: [
        'the built-in server checks CRLs, OCSP (its own loopback responder) and the identity allow-list',
        'it refuses a client with HTTP 495/496/403 after the handshake',
      ],
    };
  }
  const adapter = ADAPTERS[options.product as ProcessTargetName];
  mkdirSync(dir, { recursive: true });
  // NOTE: servers started as root drop their workers to nobody, which must be able to reach the files.
  chmodSync(dir, 0o711);
  const { trustAnchors } = stagePki(fx, dir);
  const ocsp = adapter.capabilities.features.includes('ocsp');
  const rendered = adapter.render({
    trustAnchors,
    policy: options.policy,
    root: dir,
    listenHost: host,
    port: options.port,
    asRoot: process.getuid?.() === 0,
    ...(ocsp ? { ocspUrl: fx.manifest.ocsp.url } : {}),
  });
  const binary = which(adapter.binaries) ?? adapter.binaries[0]!;
  const notes = [
    `checks: ${adapter.capabilities.features.join(', ') || 'no revocation'}; refuses with ${adapter.capabilities.rejection}`,
    ...(ocsp
      ? [
          `OCSP: the server asks ${fx.manifest.ocsp.url}; run the fixtures' responder there (mtls-harness ocsp --fixtures ${fx.dir}, or run --ocsp-responder)`,
        ]
      : []),
    ...adapter.capabilities.notes,
    ...(process.getuid?.() === 0
      ? [`as root the server may run its workers as nobody: ${dir} and its parents must be searchable by others`]
      : []),
  ];
  return {
    product: options.product,
    dir,
    files: rendered.files,
    command: [binary, ...rendered.args],
    env: rendered.env ?? {},
    notes,
  };
}

/** Quotes a word for a POSIX shell. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The `start.sh` that runs the configuration in the foreground (`exec`, so signals reach the server). */
export function startScript(config: ServerConfig): string {
  return [
    '#!/bin/sh',
    `# ${config.product}: mTLS configuration rendered by mtls-harness server-config; runs in the foreground.`,
    `cd ${shellQuote(config.dir)} || exit 1`,
    ...Object.entries(config.env).map(([k, v]) => `export ${k}=${shellQuote(v)}`),
    `exec ${config.command.map(shellQuote).join(' ')}`,
    '',
  ].join('\n');
}

/** Throws MTLS_ERR_USAGE for a product the renderer does not know. */
export function checkProduct(value: string, flag: string): ConfigProduct {
  if (!isConfigProduct(value)) {
    throw new HarnessError('MTLS_ERR_USAGE', `bad ${flag} '${value}': expected one of ${CONFIG_PRODUCTS.join(', ')}`);
  }
  return value;
}
