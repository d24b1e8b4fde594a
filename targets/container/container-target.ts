import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HarnessError } from '../../core/errors.js';
import type { FixtureSet } from '../../core/manifest.js';
import type { Feature, ServerPolicy } from '../../core/scenario.js';
import type { StartedTarget } from '../target.js';
import { stagePki, writeRendered, type Rendered, type ServerAdapter } from '../process/adapter.js';

/** Where the rendered directory is mounted inside the container. */
export const CONTAINER_ROOT = '/mtls';
/** The port the server listens on inside the container (mapped to a free host port by the runtime). */
export const CONTAINER_PORT = 8443;

/** Whether a container runtime (a Docker engine) is reachable, and why not. */
export type RuntimeAvailability = { readonly available: true } | { readonly available: false; readonly reason: string };

/** What to install when testcontainers is absent (the major version our container code is written against). */
export const TESTCONTAINERS_INSTALL = 'npm i testcontainers@11';

/** The reason container targets are unavailable when the optional testcontainers package is not installed. */
export const TESTCONTAINERS_MISSING = `the optional package testcontainers is not installed (${TESTCONTAINERS_INSTALL}; it also needs a Docker engine)`;

/**
 * Loads testcontainers on first use.
 *
 * NOTE: testcontainers is an optional peer dependency (package.json `peerDependenciesMeta`): it brings 150+ packages,
 * some with native install scripts, for a feature only `container:NAME` targets use. It is therefore imported
 * lazily, here only, so that every other command runs without it (issue 11).
 *
 * @throws HarnessError MTLS_ERR_TARGET_UNAVAILABLE when the package is not installed.
 */
async function importTestcontainers(): Promise<typeof import('testcontainers')> {
  try {
    return await import('testcontainers');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_MODULE_NOT_FOUND' && /['"]testcontainers['"]/.test(e.message)) {
      throw new HarnessError('MTLS_ERR_TARGET_UNAVAILABLE', TESTCONTAINERS_MISSING, { cause: err });
    }
    throw err;
  }
}

let runtime: Promise<RuntimeAvailability> | undefined;

/**
 * Asks testcontainers for a container runtime (cached). Without testcontainers the reason says how to install it;
 * without a Docker engine this fails fast (a few ms) with "Could not find a working container runtime strategy",
 * which becomes the reason.
 */
export function containerRuntime(): Promise<RuntimeAvailability> {
  runtime ??= (async (): Promise<RuntimeAvailability> => {
    let tc: typeof import('testcontainers');
    try {
      tc = await importTestcontainers();
    } catch (err) {
      if (err instanceof HarnessError) return { available: false, reason: err.message };
      const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
      return { available: false, reason: `testcontainers cannot be loaded: ${message}` };
    }
    try {
      await tc.getContainerRuntimeClient();
      return { available: true };
    } catch (err) {
      const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
      return { available: false, reason: `no container runtime: ${message} (no Docker engine reachable)` };
    }
  })();
  return runtime;
}

/**
 * The configuration the container form mounts: the same renderer as the process form, with the mount point as root,
 * the image's layout, and every interface inside the container. The loopback OCSP responder is not reachable from a
 * container, so OCSP is left out there.
 */
export function renderForContainer(
  adapter: ServerAdapter,
  policy: ServerPolicy,
  weaken?: string,
  trustAnchors?: number,
): Rendered {
  return adapter.render({
    ...(trustAnchors !== undefined ? { trustAnchors } : {}),
    policy,
    root: CONTAINER_ROOT,
    listenHost: '0.0.0.0',
    port: CONTAINER_PORT,
    asRoot: true,
    flavor: 'image',
    ...(weaken ? { weaken } : {}),
  });
}

/** Features of the container form: the adapter's, less OCSP (see {@link renderForContainer}). */
export function containerFeatures(adapter: ServerAdapter): Feature[] {
  return adapter.capabilities.features.filter((f) => f !== 'ocsp');
}

/**
 * Starts the adapter's official image with the rendered configuration and PKI mounted read-only at
 * {@link CONTAINER_ROOT}, waits for the port, and returns a target named `container:<adapter>`.
 */
export async function startContainerTarget(
  adapter: ServerAdapter,
  fixtures: FixtureSet,
  policy: ServerPolicy,
  options: { weaken?: string; startupTimeoutMs?: number } = {},
): Promise<StartedTarget> {
  const rt = await containerRuntime();
  if (!rt.available) {
    throw new HarnessError('MTLS_ERR_TARGET_UNAVAILABLE', `target 'container:${adapter.name}': ${rt.reason}`);
  }
  const { GenericContainer, Wait } = await importTestcontainers();
  const dir = mkdtempSync(path.join(os.tmpdir(), `mtls-harness-container-${adapter.name}-`));
  let logs = '';
  try {
    const { trustAnchors } = stagePki(fixtures, dir);
    const rendered = renderForContainer(adapter, policy, options.weaken, trustAnchors);
    writeRendered(rendered, dir);
    const container = await new GenericContainer(adapter.image)
      .withBindMounts([{ source: dir, target: CONTAINER_ROOT, mode: 'ro' }])
      .withEntrypoint([adapter.containerBinary])
      .withCommand([...rendered.args])
      .withEnvironment({ ...(rendered.env ?? {}) })
      .withExposedPorts(CONTAINER_PORT)
      .withWaitStrategy(Wait.forListeningPorts())
      .withStartupTimeout(options.startupTimeoutMs ?? 60_000)
      .withLogConsumer((stream) => {
        stream.on('data', (line: Buffer | string) => {
          logs += String(line);
          if (logs.length > 256 * 1024) logs = logs.slice(-256 * 1024);
        });
      })
      .start();
    let stopped = false;
    const stop = async () => {
      if (stopped) return;
      stopped = true;
      await container.stop({ timeout: 3000 });
      rmSync(dir, { recursive: true, force: true });
    };
    return {
      name: `container:${adapter.name}`,
      policy,
      endpoint: { host: container.getHost(), port: container.getMappedPort(CONTAINER_PORT) },
      servername: 'localhost',
      capabilities: new Set(containerFeatures(adapter)),
      probe: 'http',
      version: adapter.image,
      logs: () => logs,
      stop,
      [Symbol.asyncDispose]: stop,
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    if (err instanceof HarnessError) throw err;
    throw new HarnessError(
      'MTLS_ERR_TARGET_START',
      `container:${adapter.name} (${adapter.image}) did not start: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
      { cause: err },
    );
  }
}
