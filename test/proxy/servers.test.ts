import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Verdict } from '../../core/result.js';
import { exitStatus } from '../../cli/commands/run.js';
import { startEchoBackend, type EchoBackend } from '../../services/echo-backend.js';
import {
  ADAPTERS,
  isAlive,
  startProcessTarget,
  type Availability,
  type ProcessTargetName,
  type StartedProcessTarget,
} from '../../targets/process/index.js';
import { openssl } from '../helpers/openssl.js';
import { availability, ON_CI, sharedFixtures } from '../targets/harness.js';
import { CURL_FORGED, curlThrough, resultsOf, runProxyScenarios, valuesOf, verdicts } from './helpers.js';

// Issue 12: every real server with a proxy mode, in front of the echo backend, under the optional policy (where all
// four scenarios apply): the verdict and the finding of each scenario over TLS 1.2 and 1.3, curl as the independent
// client (its body is the backend's own answer, relayed), and the weakened form that passes client headers through.

/** What each server was observed to do, per scenario: the verdict and the finding (or the observed refusal). */
interface Observed {
  readonly verdict: Verdict;
  readonly finding: RegExp;
}
type PerScenario = Readonly<Record<string, Observed>>;

const OVERWROTE = (verify: string, dn: string) =>
  new RegExp(
    `^the proxy overwrote or removed every forged identity header: the backend received X-SSL-Client-Verify: ${verify}, X-SSL-Client-S-DN: ${dn}, X-Client-Cert: \\(none\\), X-Forwarded-Client-Cert: \\(none\\)$`,
  );
const VALID_ONLY = (carriers: string) =>
  new RegExp(`^the backend received valid only \\(in ${carriers}\\), never the claimed valid-rsa-2048$`, 'i');
const UNAMBIGUOUS = (carriers: string) =>
  new RegExp(`^the backend received the subject unambiguously: ${carriers} read back as the certificate's own CN$`);

const OBSERVED: Readonly<Record<string, PerScenario>> = {
  nginx: {
    'spoofed-identity-no-certificate': { verdict: 'pass', finding: OVERWROTE('"NONE"', '\\(none\\)') },
    'spoofed-identity-other-certificate': {
      verdict: 'pass',
      finding: VALID_ONLY('X-SSL-Client-S-DN, X-SSL-Client-Cert'),
    },
    'failed-verification-forwarded': {
      verdict: 'pass',
      finding: /^HTTP 400 after the handshake: the server answered a refusal$/,
    },
    'dn-injection': { verdict: 'pass', finding: UNAMBIGUOUS('X-SSL-Client-S-DN \\(rfc4514\\)') },
  },
  haproxy: {
    // NOTE: HAProxy's ssl_c_verify is 0 ("no error") also when no certificate was sent; X-SSL-Client-Used says 0.
    'spoofed-identity-no-certificate': { verdict: 'pass', finding: OVERWROTE('"0"', '\\(none\\)') },
    'spoofed-identity-other-certificate': {
      verdict: 'pass',
      finding: VALID_ONLY('x-ssl-client-dn, x-ssl-client-cn, x-ssl-client-cert'),
    },
    'failed-verification-forwarded': {
      verdict: 'pass',
      finding: /^alert unknown_ca\(48\) (during|after) the handshake: a fatal alert from the server$/,
    },
    'dn-injection': {
      verdict: 'pass',
      finding: UNAMBIGUOUS('x-ssl-client-dn \\(rfc4514\\), x-ssl-client-cn \\(value\\)'),
    },
  },
  apache: {
    'spoofed-identity-no-certificate': { verdict: 'pass', finding: OVERWROTE('"NONE"', '"\\(null\\)"') },
    'spoofed-identity-other-certificate': { verdict: 'pass', finding: VALID_ONLY('X-SSL-Client-S-DN') },
    'failed-verification-forwarded': {
      verdict: 'pass',
      finding: /^alert unknown_ca\(48\) (during|after) the handshake: a fatal alert from the server$/,
    },
    'dn-injection': { verdict: 'pass', finding: UNAMBIGUOUS('X-SSL-Client-S-DN \\(rfc4514\\)') },
  },
  caddy: {
    // NOTE: without a client certificate Caddy leaves its placeholder unreplaced in the header it sets.
    'spoofed-identity-no-certificate': {
      verdict: 'pass',
      finding: OVERWROTE('\\(none\\)', '"\\{http\\.request\\.tls\\.client\\.subject\\}"'),
    },
    'spoofed-identity-other-certificate': {
      verdict: 'pass',
      finding: VALID_ONLY('X-Ssl-Client-Cert, X-Ssl-Client-Fingerprint, X-Ssl-Client-S-Dn'),
    },
    'failed-verification-forwarded': {
      verdict: 'pass',
      finding: /^alert bad_certificate\(42\) (during|after) the handshake: a fatal alert from the server$/,
    },
    // Go's HTTP client will not send a header value holding CR/LF: Caddy answers 502 and forwards nothing.
    'dn-injection': {
      verdict: 'pass',
      finding: /^the proxy answered HTTP 502 without forwarding the request: nothing reached the backend$/,
    },
  },
  lighttpd: {
    'spoofed-identity-no-certificate': { verdict: 'pass', finding: OVERWROTE('\\(none\\)', '\\(none\\)') },
    'spoofed-identity-other-certificate': { verdict: 'pass', finding: VALID_ONLY('forwarded') },
    // ssl.verifyclient.enforce "disable" lets the certificate through; lighttpd forwards no remote_user for it.
    'failed-verification-forwarded': {
      verdict: 'pass',
      finding: /^the proxy forwarded the request without the certificate's identity$/,
    },
    // targets/expectations/lighttpd.json: the CN goes into Forwarded remote_user with its CR/LF raw.
    'dn-injection': {
      verdict: 'xfail',
      finding:
        /^the proxy forwarded the subject's CR\/LF unescaped: the backend's HTTP parser refused the request \(HPE_[A-Z_]+\) at forwarded: for=127\.0\.0\.1;proto=https;remote_user=/i,
    },
  },
};

const SERVERS = Object.keys(OBSERVED) as ProcessTargetName[];

const fixtures = sharedFixtures();
let echo: EchoBackend;
const probes = new Map<ProcessTargetName, Availability>();
beforeAll(async () => {
  echo = await startEchoBackend();
  for (const name of SERVERS) probes.set(name, await availability(name));
});
afterAll(() => echo?.close());

/** Starts a server in proxy mode (optional policy) in front of the shared echo backend. */
async function started(name: ProcessTargetName, weaken?: string): Promise<StartedProcessTarget> {
  return startProcessTarget(ADAPTERS[name], fixtures.get(), 'optional', {
    proxy: { host: echo.host, port: echo.port },
    ...(weaken ? { weaken } : {}),
  });
}

/** The subject of the dn-injection certificate as openssl renders it in RFC 2253 (the independent reading). */
async function hostileRfc2253(): Promise<string> {
  const fx = fixtures.get();
  const r = await openssl(
    ['x509', '-in', fx.fixture('dn-injection').cert, '-noout', '-subject', '-nameopt', 'RFC2253'],
    {
      cwd: fx.dir,
    },
  );
  return r.out.trim().replace(/^subject=/, '');
}

describe.each(SERVERS)('%s in proxy mode', (name) => {
  const skipUnlessInstalled = (ctx: { skip: () => void }) => {
    const probe = probes.get(name)!;
    if (!probe.available && !ON_CI) ctx.skip();
    expect(probe.available, probe.available ? '' : probe.reason).toBe(true);
  };

  it('shows its behaviour in each scenario over TLS 1.2 and 1.3, and curl sees what the backend received', async (ctx) => {
    skipUnlessInstalled(ctx);
    const fx = fixtures.get();
    const target = await started(name);
    try {
      const run = await runProxyScenarios(fx, [target], name);
      expect(run.error, run.error?.message).toBeUndefined();
      for (const [scenario, observed] of Object.entries(OBSERVED[name]!)) {
        const results = resultsOf(run, scenario);
        expect(results.map((r) => r.tls)).toEqual(['1.2', '1.3']);
        for (const r of results) {
          expect(r.verdict, `${r.id} ${r.tls}\n${verdicts(run).join('\n')}`).toBe(observed.verdict);
          expect(r.finding, `${r.id} ${r.tls}`).toMatch(observed.finding);
          // Both clients, and both controls accepted: the valid client's identity reached the backend on the path.
          expect(r.observations.map((o) => o.backend)).toEqual(['node', 'wire']);
          for (const id of r.controls) expect(run.controls.find((c) => c.id === id)?.accepted, id).toBe(true);
        }
      }
      expect(run.conformant, verdicts(run).join('\n')).toBe(true);

      // curl, no certificate, forged headers: none reaches the backend as sent, no verification says SUCCESS.
      const none = await curlThrough(fx, target.endpoint.port, null);
      expect(none.status, none.stderr).toBe(200);
      const sent = JSON.stringify(none.relayed!.headers);
      for (const [, value] of CURL_FORGED.slice(1)) expect(sent).not.toContain(value);
      expect(valuesOf(none.relayed, 'X-SSL-Client-Verify')).not.toContain('SUCCESS');

      // curl, a valid certificate and forged headers: the backend is told the certificate's subject, not the claim.
      const valid = await curlThrough(fx, target.endpoint.port, 'valid');
      expect(JSON.stringify(valid.relayed!.headers)).toContain('mtls-harness client valid');
      expect(JSON.stringify(valid.relayed!.headers)).not.toContain('curl forged admin');

      // curl, the hostile subject.
      const hostile = await curlThrough(fx, target.endpoint.port, 'dn-injection', []);
      if (name === 'caddy') {
        expect(hostile.status).toBe(502);
        expect(echo.seen(hostile.nonce)).toBeUndefined();
      } else if (name === 'lighttpd') {
        expect(hostile.status).toBe(400);
        expect(echo.seen(hostile.nonce)?.raw).toMatch(
          /remote_user="dn-injection\\",CN=admin\+O=x\/CN=admin\/OU=\\\r\\\nX-Injected: yes"/,
        );
      } else {
        const dn = name === 'haproxy' ? 'x-ssl-client-dn' : 'X-SSL-Client-S-DN';
        expect(valuesOf(hostile.relayed, dn)).toEqual([await hostileRfc2253()]);
      }

      // curl, a certificate from an unknown CA: refused, or forwarded without a success.
      const bad = await curlThrough(fx, target.endpoint.port, 'unknown-ca', []);
      if (name === 'lighttpd') {
        expect(bad.status).toBe(200);
        expect(JSON.stringify(bad.relayed!.headers)).not.toMatch(/remote_user|SUCCESS/);
      } else {
        expect(bad.status).toBe(name === 'nginx' ? 400 : 0);
        expect(echo.seen(bad.nonce)).toBeUndefined();
      }
    } finally {
      await target.stop();
    }
    expect(isAlive(target.pid)).toBe(false);
  });

  it('passing the client identity headers through (proxy-passthrough) is caught: the spoofed scenarios fail, security, exit 1', async (ctx) => {
    skipUnlessInstalled(ctx);
    const fx = fixtures.get();
    const target = await started(name, 'proxy-passthrough');
    try {
      const run = await runProxyScenarios(fx, [target], name);
      const spoofed = run.results.filter((r) => /::spoofed-identity-/.test(r.id));
      expect(spoofed).toHaveLength(4);
      for (const r of spoofed) {
        expect(r.verdict, `${r.id} ${r.tls}: ${r.reason}`).toBe('fail');
        expect(r.severity).toBe('security');
        expect(r.finding).toMatch(/^the proxy forwarded a forged /);
      }
      expect(exitStatus(run, 'all')).toBe(1);
      const view = await curlThrough(fx, target.endpoint.port, null);
      expect(valuesOf(view.relayed, 'X-SSL-Client-Verify')).toContain('SUCCESS');
    } finally {
      await target.stop();
    }
  });
});

describe('haproxy with the DN in its default format (ssl_c_s_dn, one-line)', () => {
  it('is caught by dn-injection: the subject reads as CN=admin', async (ctx) => {
    const probe = probes.get('haproxy')!;
    if (!probe.available && !ON_CI) ctx.skip();
    const fx = fixtures.get();
    const target = await started('haproxy', 'proxy-oneline-dn');
    try {
      const run = await runProxyScenarios(fx, [target], 'haproxy');
      for (const r of resultsOf(run, 'dn-injection')) {
        expect(r.verdict).toBe('fail');
        expect(r.finding).toBe(
          'the subject is ambiguous at the backend: x-ssl-client-dn (one-line) reads as CN="dn-injection\\",CN=admin+O=x" and CN="admin"',
        );
      }
      const view = await curlThrough(fx, target.endpoint.port, 'dn-injection', []);
      expect(valuesOf(view.relayed, 'x-ssl-client-dn')[0]).toMatch(/^\/CN=dn-injection",CN=admin\+O=x\/CN=admin\/OU=/);
    } finally {
      await target.stop();
    }
  });
});
