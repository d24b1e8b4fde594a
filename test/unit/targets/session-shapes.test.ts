/**
 * The resumption shapes of the process adapters (issue 12), as files on disk: what holds key material (nginx's ticket
 * key file, stunnel's configuration with its ticket secrets) is written mode 0600 whatever the umask allows, the
 * rest 0644 at most; a shape an adapter does not render is one its product lacks, with the reason.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ADAPTERS, PROCESS_TARGET_NAMES, writeRendered, type RenderInput } from '../../../targets/process/index.js';
import { tempDir } from '../../helpers/tmp.js';

const shapes: RenderInput = {
  policy: 'require',
  root: '/srv/x',
  listenHost: '127.0.0.1',
  port: 12345,
  asRoot: false,
  sniNoAuth: 'public.localhost',
  optionalPort: 12346,
};

const mode = (p: string) => statSync(p).mode & 0o777;

describe('resumption shapes', () => {
  it.each([
    ['nginx', 'ticket.key'],
    ['stunnel', 'stunnel.conf'],
  ] as const)('%s: %s holds the ticket keys and is written 0600, the other files 0644', (name, secret) => {
    using dir = tempDir('mtls-shapes-');
    const rendered = ADAPTERS[name].render({ ...shapes, root: dir.path });
    writeRendered(rendered, dir.path);
    expect(mode(path.join(dir.path, secret))).toBe(0o600);
    for (const rel of Object.keys(rendered.files).filter((f) => f !== secret))
      expect(mode(path.join(dir.path, rel)) & ~0o644, rel).toBe(0);
    // Without the shapes there is no key material, and nothing is written 0600 for it.
    using plain = tempDir('mtls-shapes-');
    writeRendered(
      ADAPTERS[name].render({ ...shapes, root: plain.path, sniNoAuth: undefined, optionalPort: undefined }),
      plain.path,
    );
    const conf = name === 'nginx' ? 'nginx.conf' : 'stunnel.conf';
    expect(readFileSync(path.join(plain.path, conf), 'utf8')).not.toMatch(/ticket/i);
  });

  it.each(PROCESS_TARGET_NAMES)('%s: each shape is rendered or lacking with a reason', (name) => {
    const a = ADAPTERS[name];
    for (const [shape, feature] of [
      ['sniNoAuth', 'sni-no-auth'],
      ['optionalEndpoint', 'shared-sessions'],
    ] as const) {
      const rendered = a.resumptionShapes?.[shape] === true;
      const why = a.capabilities.lacking?.[feature];
      // Either rendered, or lacking with a reason, or not yet addressed (neither): never both.
      expect(rendered && why !== undefined, `${name} ${feature}`).toBe(false);
      if (why !== undefined) expect(why.length).toBeGreaterThan(40);
    }
  });
});
