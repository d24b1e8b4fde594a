import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { HarnessError } from '../../core/errors.js';
import { makeTempDir, removeTempDir } from '../../core/fs.js';
import type { CrlVariantName, FixtureSet } from '../../core/manifest.js';
import type { Feature, ServerPolicy } from '../../core/scenario.js';
import { PUBLIC_SERVER_NAME } from '../../fixtures-gen/generate.js';
import { startOcspResponder, type OcspResponder } from '../../fixtures-gen/ocsp.js';
import { PROXY_PATH } from '../proxy.js';
import type { Endpoint, StartedTarget } from '../target.js';
import { freePort, PortTakenError, startServerProcess, type ServerProcess } from './spawn.js';

/** The process-target names, in the order `mtls-harness targets` lists them. */
export const PROCESS_TARGET_NAMES = [
  'nginx',
  'haproxy',
  'apache',
  'stunnel',
  'lighttpd',
  'caddy',
  'openssl-s-server',
] as const;
/** A server the harness can start itself. */
export type ProcessTargetName = (typeof PROCESS_TARGET_NAMES)[number];

/**
 * The PKI files as the server sees them, relative to {@link RenderInput.root}. {@link stagePki} copies them from the
 * fixtures into `<dir>/pki/`, so the same rendered configuration works for a process (root = the temp dir) and for a
 * container (root = the mount point).
 */
export const PKI = {
  /** Server certificate followed by its intermediate. */
  chain: 'pki/server-chain.pem',
  /** The server certificate alone. */
  cert: 'pki/server-cert.pem',
  key: 'pki/server-key.pem',
  /** chain + key in one file (haproxy). */
  chainAndKey: 'pki/server-chain-key.pem',
  trust: 'pki/trust.pem',
  /**
   * The n-th trust anchor of trust.pem alone (1-based), for servers whose configuration reads one certificate per
   * file (Caddy's `trusted_ca_cert_file` takes the first PEM block of a file and ignores the rest).
   */
  trustAnchor: (n: number) => `pki/trust-${n}.pem`,
  /** Every CRL of the trusted hierarchy, one per CA level. */
  crls: 'pki/crls.pem',
  /** trust.pem followed by every CRL (servers that read CRLs from their CA file). */
  trustAndCrls: 'pki/trust-and-crls.pem',
  /** Every intermediate CA of the trusted hierarchy: untrusted helpers to verify OCSP responses their CA signed. */
  intermediates: 'pki/intermediates.pem',
} as const;

/** What a configuration is rendered from: pure data, no file system access. */
export interface RenderInput {
  readonly policy: ServerPolicy;
  /** Directory the server sees its files under (the temp dir, or the container mount point). */
  readonly root: string;
  /** Address and port the server listens on. */
  readonly listenHost: string;
  readonly port: number;
  /** URL of the loopback OCSP responder, for servers that check OCSP for client certificates. */
  readonly ocspUrl?: string;
  /** True when the process runs as root (privilege-dropping servers then need a user). */
  readonly asRoot: boolean;
  /**
   * How many trust anchors trust.pem holds, each also staged alone as {@link PKI.trustAnchor} (`stagePki` returns
   * it). Absent: renderers name trust.pem only.
   */
  readonly trustAnchors?: number;
  /** A deliberately broken variant, one of the adapter's {@link ServerAdapter.weakenings}. */
  readonly weaken?: string;
  /** `debian`: the Debian package's layout (default); `image`: the official container image's layout. */
  readonly flavor?: 'debian' | 'image';
  /**
   * For an adapter with a {@link ServerAdapter.protectedLocation}: the port of the per-location shape, a second
   * virtual host that asks for no certificate in the handshake and requires one for the protected path (after the
   * handshake). Absent: not rendered (`server-config`, containers).
   */
  readonly protectedPort?: number;
  /**
   * Proxy mode (issue 12): also forward `/proxied/` to this echo backend, with the verified client identity in the
   * headers the product's documentation recommends and every client-sent identity header overwritten or removed.
   * Adapters without a {@link ServerAdapter.proxyIdentity} ignore it.
   */
  readonly proxy?: Endpoint;
  /**
   * Resumption shapes (issue 12), for an adapter with {@link ServerAdapter.resumptionShapes} under `require`: a second
   * server name on the same port that asks for no client certificate (`sniNoAuth`), and an endpoint with the optional
   * policy on `optionalPort`, both sharing the session cache and ticket keys of the endpoint under test.
   */
  readonly sniNoAuth?: string;
  readonly optionalPort?: number;
}

/** A rendered configuration: files to write under the root, and the command line. */
export interface Rendered {
  /** Relative path → content. */
  readonly files: Readonly<Record<string, string>>;
  /** Arguments after the binary. */
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** Relative paths of log files the server writes. */
  readonly logFiles?: readonly string[];
  /** Relative paths of {@link files} that hold key material (session ticket keys): written mode 0600. */
  readonly secretFiles?: readonly string[];
}

/** How a server rejects a client: with a TLS alert, at the HTTP layer after the handshake, or both. */
export type RejectionMechanism = 'alert' | 'http' | 'alert-or-http';

/** What an adapter's server can express, as `mtls-harness targets` shows it. */
export interface AdapterCapabilities {
  /** Features the runner may rely on (scenarios needing others are skipped with the reason). */
  readonly features: readonly Feature[];
  readonly tls: readonly ('1.2' | '1.3')[];
  readonly resumption: boolean;
  readonly rejection: RejectionMechanism;
  /** One line per notable limitation. */
  readonly notes: readonly string[];
  /**
   * Features the product cannot provide whatever its configuration, with why (checked against its documentation or
   * an experiment): a scenario that needs one is skipped with that reason.
   */
  readonly lacking?: Partial<Record<Feature, string>>;
}

/** One real server: how to find it, what it can do, and how to configure it. */
export interface ServerAdapter {
  readonly name: ProcessTargetName;
  /** The Debian package that provides it. */
  readonly debianPackage: string;
  /** Candidate binaries, first found wins. */
  readonly binaries: readonly string[];
  /** The official container image (with a tag). */
  readonly image: string;
  /** The server binary inside {@link image}. */
  readonly containerBinary: string;
  /** Arguments that print the version, and how to extract it from the output. */
  readonly versionArgs: readonly string[];
  parseVersion(output: string): string | undefined;
  readonly capabilities: AdapterCapabilities;
  /** Deliberately weakened variants for tests: name → what is left out. */
  readonly weakenings: Readonly<Record<string, string>>;
  /**
   * Set when the product is a reverse proxy the harness can render in proxy mode: how it forwards the verified
   * identity, in one line (`mtls-harness targets`, the README).
   */
  readonly proxyIdentity?: string;
  /** Renders the configuration. Pure: the same input gives the same output. */
  render(input: RenderInput): Rendered;
  /** Probes concurrently in flight the server copes with (openssl s_server serves one connection at a time). */
  readonly maxConcurrency?: number;
  /**
   * The per-location shape the adapter renders on {@link RenderInput.protectedPort} (feature `per-location-auth`):
   * the path that requires a certificate asked for after the handshake.
   */
  readonly protectedLocation?: { readonly path: string };
  /**
   * The resumption shapes the adapter renders from {@link RenderInput.sniNoAuth} and {@link RenderInput.optionalPort}
   * (features `sni-no-auth`, `shared-sessions`); a shape it cannot express says why in `capabilities.lacking`.
   */
  readonly resumptionShapes?: { readonly sniNoAuth?: boolean; readonly optionalEndpoint?: boolean };
}

/**
 * The weakening every adapter with a proxy mode has: the client's own identity headers reach the echo backend (a
 * header added instead of set, a clearing rule left out), the mistake the proxy-identity scenarios must catch.
 * Weakenings of the proxy mode are named `proxy-*` and need it.
 */
export const PROXY_PASSTHROUGH = 'proxy-passthrough';

/** Locates an executable on PATH (plus the sbin directories, which a non-root PATH may lack). */
export function which(names: readonly string[]): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/local/sbin', '/usr/sbin', '/sbin'].filter(Boolean);
  for (const name of names) {
    for (const dir of dirs) {
      const p = path.join(dir, name);
      try {
        // NOTE: accessSync(X_OK) is true for root on any file; read the mode bits instead.
        const st = statSync(p);
        if (st.isFile() && (st.mode & 0o111) !== 0) return p;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/** Runs a command and returns stdout+stderr (never throws; a missing binary gives ''). */
export function runForOutput(command: string, args: readonly string[], timeoutMs = 5000): Promise<string> {
  return new Promise((resolve) => {
    execFile(command, [...args], { timeout: timeoutMs, maxBuffer: 1 << 20 }, (_err, stdout, stderr) =>
      resolve(`${String(stdout)}${String(stderr)}`),
    );
  });
}

/** Availability of an adapter on this machine. */
export type Availability =
  | { readonly available: true; readonly version: string; readonly binary: string }
  | { readonly available: false; readonly reason: string };

/** Finds the binary and reads its version. */
export async function probeAdapter(adapter: ServerAdapter): Promise<Availability> {
  const binary = which(adapter.binaries);
  if (!binary) {
    return {
      available: false,
      reason: `${adapter.binaries[0]} not found (install the Debian package ${adapter.debianPackage}, or run scripts/install-targets.sh)`,
    };
  }
  const out = await runForOutput(binary, adapter.versionArgs);
  const version = adapter.parseVersion(out);
  if (!version) {
    return { available: false, reason: `${binary} ${adapter.versionArgs.join(' ')} printed no version: ${out.trim()}` };
  }
  return { available: true, version, binary };
}

/**
 * Copies the PKI files the configurations name into `<dir>/pki/`, keys mode 0600, the directory `pkiMode` whatever
 * the umask: 0700 for a server process (it reads them as root, or as the harness's user, before dropping
 * privileges); the container form keeps 0755 for the image's own user.
 */
export function stagePki(
  fixtures: FixtureSet,
  dir: string,
  pkiMode = 0o755,
  crlVariant?: CrlVariantName,
): { readonly trustAnchors: number } {
  const m = fixtures.manifest;
  const read = (rel: string) => fixtures.read(rel);
  mkdirSync(path.join(dir, 'pki'), { recursive: true, mode: pkiMode });
  chmodSync(path.join(dir, 'pki'), pkiMode);
  const write = (rel: string, content: string, mode = 0o644) => {
    writeFileSync(path.join(dir, rel), content, { mode });
    chmodSync(path.join(dir, rel), mode);
  };
  const nl = (s: string) => (s.endsWith('\n') ? s : `${s}\n`);
  const chain = nl(read(m.server.chain));
  const key = nl(read(m.server.key));
  const trust = nl(read(m.trust));
  // NOTE: one CRL per CA level of the trusted hierarchy: with CRL checking on for the whole chain, OpenSSL-based
  // servers refuse a chain whose any CA lacks a CRL.
  const crls = crlVariant
    ? nl(read(variantBundle(fixtures, crlVariant)))
    : m.cas
        .filter((c) => c.crl)
        .map((c) => nl(read(c.crl!.pem)))
        .join('');
  write(PKI.chain, chain);
  write(PKI.cert, nl(read(m.server.cert)));
  write(PKI.key, key, 0o600);
  write(PKI.chainAndKey, chain + key, 0o600);
  write(PKI.trust, trust);
  const anchors = trust.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/g) ?? [];
  anchors.forEach((pem, i) => write(PKI.trustAnchor(i + 1), nl(pem)));
  write(PKI.crls, crls);
  write(PKI.trustAndCrls, trust + crls);
  write(
    PKI.intermediates,
    m.cas
      .filter((c) => c.crl && c.issuer !== null)
      .map((c) => nl(read(c.cert)))
      .join(''),
  );
  return { trustAnchors: anchors.length };
}

/** The path of an alternative CRL bundle; throws MTLS_ERR_USAGE when the fixtures lack it. */
function variantBundle(fixtures: FixtureSet, variant: CrlVariantName): string {
  const found = fixtures.manifest.crlVariants?.find((v) => v.id === variant);
  if (!found)
    throw new HarnessError('MTLS_ERR_USAGE', `the fixtures in '${fixtures.dir}' have no CRL variant '${variant}'`);
  return found.bundle;
}

/**
 * Writes a rendered configuration's files under `dir`: directories 0755 and files 0644 at most, whatever the umask
 * (a umask of 000 must not leave a configuration the server runs as root from world-writable); key material
 * ({@link Rendered.secretFiles}) 0600.
 */
export function writeRendered(rendered: Rendered, dir: string): void {
  const secret = new Set(rendered.secretFiles ?? []);
  for (const [rel, content] of Object.entries(rendered.files)) {
    const p = path.join(dir, rel);
    mkdirSync(path.dirname(p), { recursive: true, mode: 0o755 });
    const mode = secret.has(rel) ? 0o600 : 0o644;
    writeFileSync(p, content, { mode });
    chmodSync(p, mode);
  }
}

/** Options of {@link startProcessTarget}. */
export interface ProcessStartOptions {
  readonly weaken?: string;
  /**
   * Proxy mode: the echo backend the server forwards `/proxied/` to (adapters with a proxy mode only); the started
   * target then has the feature `proxy-identity`.
   */
  readonly proxy?: Endpoint;
  /** Default 10 s. */
  readonly readyTimeoutMs?: number;
  readonly host?: string;
  /** Stage this alternative CRL bundle (manifest `crlVariants`) in place of the standard CRLs. */
  readonly crlVariant?: CrlVariantName;
}

/** A started process target, with its PID for tests that check it is gone afterwards. */
export interface StartedProcessTarget extends StartedTarget {
  readonly pid: number;
  /** The rendered configuration's directory (removed on stop). */
  readonly dir: string;
  readonly maxConcurrency?: number;
}

/**
 * Starts an adapter's server for one policy: a private temp dir with the PKI and the rendered configuration, a free
 * 127.0.0.1 port (a new one if it was taken meanwhile), a loopback OCSP responder where the server checks OCSP, and
 * the binary in the foreground. Stopping kills it by PID and removes the temp dir.
 */
export async function startProcessTarget(
  adapter: ServerAdapter,
  fixtures: FixtureSet,
  policy: ServerPolicy,
  options: ProcessStartOptions = {},
): Promise<StartedProcessTarget> {
  const probe = await probeAdapter(adapter);
  if (!probe.available)
    throw new HarnessError('MTLS_ERR_TARGET_UNAVAILABLE', `target '${adapter.name}': ${probe.reason}`);
  if (options.weaken && !(options.weaken in adapter.weakenings)) {
    throw new HarnessError(
      'MTLS_ERR_USAGE',
      `target '${adapter.name}' has no weakening '${options.weaken}' (has: ${Object.keys(adapter.weakenings).join(', ') || 'none'})`,
    );
  }
  // Proxy mode only where the product has one; a weakening of the proxy needs the proxy.
  const proxy = adapter.proxyIdentity ? options.proxy : undefined;
  if (options.weaken?.startsWith('proxy-') && !proxy) {
    throw new HarnessError(
      'MTLS_ERR_USAGE',
      `target '${adapter.name}': the weakening '${options.weaken}' needs proxy mode (an echo backend to forward to)`,
    );
  }
  const host = options.host ?? '127.0.0.1';
  const wantsOcsp = adapter.capabilities.features.includes('ocsp');
  const ocsp: OcspResponder | undefined = wantsOcsp ? await startOcspResponder(fixtures, { port: 0 }) : undefined;
  let lastError: unknown;
  try {
    for (let attempt = 0; attempt < 4; attempt++) {
      // NOTE: servers started as root drop their workers to nobody, which must be able to reach the dir (not read it).
      const dir = makeTempDir(`${adapter.name}-`, 0o711);
      let proc: ServerProcess;
      const port = await freePort(host);
      // The per-location shape listens on a second port of its own (see ServerAdapter.protectedLocation).
      let protectedPort: number | undefined;
      while (adapter.protectedLocation && (protectedPort === undefined || protectedPort === port))
        protectedPort = await freePort(host);
      // The resumption shapes, under require (the policy of the resumption scenarios).
      const shapes = policy === 'require' ? adapter.resumptionShapes : undefined;
      let optionalPort: number | undefined;
      while (
        shapes?.optionalEndpoint &&
        (optionalPort === undefined || optionalPort === port || optionalPort === protectedPort)
      )
        optionalPort = await freePort(host);
      const sniNoAuth = shapes?.sniNoAuth ? PUBLIC_SERVER_NAME : undefined;
      try {
        const { trustAnchors } = stagePki(fixtures, dir, 0o700, options.crlVariant);
        const rendered = adapter.render({
          trustAnchors,
          policy,
          root: dir,
          listenHost: host,
          port,
          asRoot: process.getuid?.() === 0,
          ...(ocsp ? { ocspUrl: ocsp.ocspUrl } : {}),
          ...(options.weaken ? { weaken: options.weaken } : {}),
          ...(protectedPort !== undefined ? { protectedPort } : {}),
          ...(proxy ? { proxy } : {}),
          ...(sniNoAuth ? { sniNoAuth } : {}),
          ...(optionalPort !== undefined ? { optionalPort } : {}),
        });
        writeRendered(rendered, dir);
        proc = await startServerProcess({
          name: adapter.name,
          command: probe.binary,
          args: rendered.args,
          cwd: dir,
          ...(rendered.env ? { env: rendered.env } : {}),
          host,
          port,
          logFiles: (rendered.logFiles ?? []).map((f) => path.join(dir, f)),
          tempDir: dir,
          ...(options.readyTimeoutMs ? { readyTimeoutMs: options.readyTimeoutMs } : {}),
        });
      } catch (err) {
        removeTempDir(dir);
        if (err instanceof PortTakenError) {
          lastError = err;
          continue;
        }
        throw err;
      }
      // Siblings started with an alternative CRL bundle (issue 13), once per variant, stopped with this server.
      const variants = new Map<CrlVariantName, Promise<StartedProcessTarget>>();
      const stop = async () => {
        await Promise.all(
          [...variants.values()].map((v) =>
            v.then(
              (t) => t.stop(),
              () => undefined,
            ),
          ),
        );
        await proc.stop();
        await ocsp?.close();
      };
      const withCrlVariant = (variant: CrlVariantName): Promise<StartedTarget> => {
        let sibling = variants.get(variant);
        if (!sibling) {
          // NOTE: the sibling is the same server with another bundle: no proxy mode, no second location.
          const { proxy: _proxy, ...same } = options;
          sibling = startProcessTarget(adapter, fixtures, policy, { ...same, crlVariant: variant });
          variants.set(variant, sibling);
        }
        return sibling;
      };
      const features = new Set<Feature>(adapter.capabilities.features);
      if (protectedPort !== undefined) features.add('per-location-auth');
      if (proxy) features.add('proxy-identity');
      if (adapter.capabilities.resumption) features.add('resumption');
      if (sniNoAuth) features.add('sni-no-auth');
      if (optionalPort !== undefined) features.add('shared-sessions');
      if (ocsp) features.add('ocsp-control');
      return {
        name: adapter.name,
        policy,
        endpoint: { host, port },
        servername: 'localhost',
        capabilities: features,
        ...(adapter.capabilities.lacking ? { lacking: adapter.capabilities.lacking } : {}),
        ...(adapter.protectedLocation && protectedPort !== undefined
          ? { protectedLocation: { endpoint: { host, port: protectedPort }, path: adapter.protectedLocation.path } }
          : {}),
        ...(sniNoAuth || optionalPort !== undefined || ocsp
          ? {
              resumption: {
                ...(sniNoAuth ? { sniNoAuth: { endpoint: { host, port }, servername: sniNoAuth } } : {}),
                ...(optionalPort !== undefined ? { optionalEndpoint: { host, port: optionalPort } } : {}),
                ...(ocsp ? { ocspControl: ocsp.controlUrl } : {}),
              },
            }
          : {}),
        // NOTE: a product without CRL or OCSP checking gets the revocation scenarios all the same: an accepted
        // revoked certificate is a failure of the product (documented as xfail in its expectations), not a gap.
        unchecked: new Set<Feature>((['crl', 'ocsp'] as const).filter((f) => !features.has(f))),
        probe: 'http',
        version: probe.version,
        ...(options.crlVariant ? { crlVariant: options.crlVariant } : { withCrlVariant }),
        ...(proxy ? { proxy: { echo: proxy, path: PROXY_PATH } } : {}),
        pid: proc.pid,
        dir,
        ...(adapter.maxConcurrency ? { maxConcurrency: adapter.maxConcurrency } : {}),
        logs: () => proc.logs(),
        died: () => proc.died,
        stop,
        [Symbol.asyncDispose]: stop,
      };
    }
  } catch (err) {
    await ocsp?.close();
    throw err;
  }
  await ocsp?.close();
  throw new HarnessError('MTLS_ERR_PORT', `target '${adapter.name}': every free port was taken before it could bind`, {
    cause: lastError,
  });
}
