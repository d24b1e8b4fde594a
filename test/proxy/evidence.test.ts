import { describe, expect, it } from 'vitest';
import type { ClientObservation, ControlResult } from '../../core/result.js';
import {
  judgeDnInjection,
  judgeFailedVerification,
  judgeSpoofedNoCertificate,
  judgeSpoofedOtherCertificate,
  readSubject,
  type HeaderLine,
  type IdentityMarkers,
} from '../../engine/procedures/proxy-evidence.js';
import { procedureNames } from '../../engine/procedures/index.js';
import '../../engine/procedures/all.js';
import { judge } from '../../engine/verdict.js';
import type { EchoRecord } from '../../services/echo-backend.js';
import { catalogue } from '../../suites/index.js';

// Issue 12: what the echo backend's view proves. The records are the header lines real proxies sent (observed with
// nginx 1.22, HAProxy 2.6, Apache 2.4, Caddy 2.6 and lighttpd 1.4.69), written out by hand.

const record = (headers: HeaderLine[], extra: Partial<EchoRecord> = {}): EchoRecord => ({
  nonce: 'n0nce-for-tests',
  method: 'GET',
  url: '/proxied/echo/n0nce-for-tests',
  headers,
  from: '127.0.0.1',
  receivedAt: '2026-12-01T00:00:00.000Z',
  ...extra,
});

const H = 'dn-injection",CN=admin+O=x/CN=admin/OU=\r\nX-Injected: yes';
const hostile: IdentityMarkers = {
  label: 'dn-injection',
  commonName: H,
  derBase64: 'MIIhostile',
  sha256: 'ab'.repeat(32),
};
const valid: IdentityMarkers = {
  label: 'valid',
  commonName: 'mtls-harness client valid',
  derBase64: 'MIIvalidDER',
  sha256: '01'.repeat(32),
};
const claimed: IdentityMarkers = {
  label: 'valid-rsa-2048',
  commonName: 'mtls-harness client valid-rsa-2048',
  derBase64: 'MIIclaimedDER',
  sha256: 'cd'.repeat(32),
};
const forged: HeaderLine[] = [
  ['X-SSL-Client-Verify', 'SUCCESS'],
  ['X-SSL-Client-S-DN', 'O=mtls-harness test PKI,CN=mtls-harness client valid-rsa-2048'],
  ['X-Client-Cert', '-----BEGIN%20CERTIFICATE-----%0AMIIclaimedDER%0A-----END%20CERTIFICATE-----%0A'],
  ['X-Forwarded-Client-Cert', `Hash=${'cd'.repeat(32)};Subject="O=mtls-harness test PKI,CN=…"`],
];

describe('spoofed-identity-no-certificate', () => {
  it('passes when the proxy replaced the forged verification and dropped the rest (nginx)', () => {
    const v = judgeSpoofedNoCertificate(record([['X-SSL-Client-Verify', 'NONE']]), forged, claimed);
    expect(v.forged).toBe(false);
    expect(v.note).toBe(
      'the proxy overwrote or removed every forged identity header: the backend received X-SSL-Client-Verify: "NONE", X-SSL-Client-S-DN: (none), X-Client-Cert: (none), X-Forwarded-Client-Cert: (none)',
    );
  });

  it('fails when a forged header arrives as sent beside the proxy own copy (HAProxy add-header)', () => {
    const v = judgeSpoofedNoCertificate(
      record([
        ['x-ssl-client-verify', 'SUCCESS'],
        ['x-ssl-client-verify', '0'],
      ]),
      forged,
      claimed,
    );
    expect(v.forged).toBe(true);
    expect(v.note).toBe('the proxy forwarded a forged X-SSL-Client-Verify (X-SSL-Client-Verify: "SUCCESS" as sent)');
  });

  it('fails when the claimed identity arrives under another name (an appended list)', () => {
    const v = judgeSpoofedNoCertificate(
      record([['X-Forwarded-Client-Cert', `Hash=${'cd'.repeat(32)},By=proxy`]]),
      forged,
      claimed,
    );
    expect(v.forged).toBe(true);
    expect(v.note).toMatch(/the claimed identity valid-rsa-2048 in X-Forwarded-Client-Cert/);
  });
});

describe('spoofed-identity-other-certificate', () => {
  it('passes when only the certificate sent reaches the backend; valid is not found inside valid-rsa-2048', () => {
    const v = judgeSpoofedOtherCertificate(
      record([['X-SSL-Client-S-DN', 'O=mtls-harness test PKI,CN=mtls-harness client valid']]),
      valid,
      claimed,
    );
    expect(v).toEqual({
      forged: false,
      note: 'the backend received valid only (in X-SSL-Client-S-DN), never the claimed valid-rsa-2048',
    });
    const onlyClaimed = judgeSpoofedOtherCertificate(
      record([['X-SSL-Client-S-DN', 'CN=mtls-harness client valid-rsa-2048']]),
      valid,
      claimed,
    );
    expect(onlyClaimed.forged).toBe(true);
  });

  it('finds a claimed certificate URL-encoded, and a fingerprint with colons', () => {
    expect(judgeSpoofedOtherCertificate(record([['X-Client-Cert', forged[2]![1]]]), valid, claimed).note).toMatch(
      /valid-rsa-2048 \(claimed in headers\) in X-Client-Cert/,
    );
    const colons = 'CD:'.repeat(31) + 'CD';
    expect(judgeSpoofedOtherCertificate(record([['X-Fp', colons]]), valid, claimed).forged).toBe(true);
  });
});

describe('failed-verification-forwarded', () => {
  const bad: IdentityMarkers = {
    label: 'unknown-ca',
    commonName: 'mtls-harness client unknown-ca',
    derBase64: 'MIIbad',
    sha256: 'ef'.repeat(32),
  };
  it('fails on a SUCCESS, and on the identity with nothing saying it failed', () => {
    expect(judgeFailedVerification(record([['X-SSL-Client-Verify', '"SUCCESS"']]), bad).forged).toBe(true);
    expect(judgeFailedVerification(record([['X-SSL-Client-S-DN', 'CN=mtls-harness client unknown-ca']]), bad)).toEqual({
      forged: true,
      note: 'the proxy forwarded the identity of a certificate that failed verification (X-SSL-Client-S-DN) with nothing saying it failed',
    });
  });
  it('passes on a forwarded failure (nginx optional_no_ca, HAProxy crt-ignore-err) or no identity (lighttpd)', () => {
    const dn: HeaderLine = ['X-SSL-Client-S-DN', 'CN=mtls-harness client unknown-ca'];
    expect(
      judgeFailedVerification(
        record([['X-SSL-Client-Verify', 'FAILED:unable to get local issuer certificate'], dn]),
        bad,
      ),
    ).toEqual({
      forged: false,
      note: 'the proxy forwarded the failure: X-SSL-Client-Verify: FAILED:unable to get local issuer certificate',
    });
    expect(judgeFailedVerification(record([['x-ssl-client-verify', '20'], dn]), bad).forged).toBe(false);
    expect(judgeFailedVerification(record([['forwarded', 'for=127.0.0.1;proto=https']]), bad)).toEqual({
      forged: false,
      note: "the proxy forwarded the request without the certificate's identity",
    });
  });
});

describe('dn-injection', () => {
  it('reads each syntax as its own parser does', () => {
    // nginx $ssl_client_s_dn, Apache SSL_CLIENT_S_DN, HAProxy ssl_c_s_dn(,0,rfc2253): RFC 2253, escaped.
    expect(
      readSubject(
        'X-SSL-Client-S-DN',
        'O=mtls-harness test PKI,CN=dn-injection\\"\\,CN=admin\\+O=x/CN=admin/OU=\\0D\\0AX-Injected: yes',
      ),
    ).toEqual({ header: 'X-SSL-Client-S-DN', syntax: 'rfc4514', commonNames: [H] });
    // HAProxy's default ssl_c_s_dn: OpenSSL's one-line form, '/' not escaped, CR/LF percent-encoded.
    expect(
      readSubject(
        'x-ssl-client-dn',
        '/CN=dn-injection",CN=admin+O=x/CN=admin/OU=%0D%0AX-Injected: yes/O=mtls-harness test PKI',
      ),
    ).toEqual({ header: 'x-ssl-client-dn', syntax: 'one-line', commonNames: ['dn-injection",CN=admin+O=x', 'admin'] });
    // An RFC 4514 string without escaping (a naive proxy) reads as two CNs.
    expect(readSubject('X', `CN=${H},O=x`).commonNames).toEqual(['dn-injection"', 'admin']);
    expect(readSubject('forwarded', 'for=127.0.0.1;proto=https;remote_user="a\\"b"').commonNames).toEqual(['a"b']);
  });

  it('passes when every carrier reads back as exactly the CN (escaped RFC 4514, a percent-encoded bare CN)', () => {
    const v = judgeDnInjection(
      record([
        [
          'x-ssl-client-dn',
          'O=mtls-harness test PKI,CN=dn-injection\\"\\,CN=admin\\+O=x/CN=admin/OU=\\0D\\0AX-Injected: yes',
        ],
        ['x-ssl-client-cn', 'dn-injection",CN=admin+O=x/CN=admin/OU=%0D%0AX-Injected: yes'],
      ]),
      hostile,
    );
    expect(v).toEqual({
      forged: false,
      note: "the backend received the subject unambiguously: x-ssl-client-dn (rfc4514), x-ssl-client-cn (value) read back as the certificate's own CN",
    });
  });

  it('fails on the one-line form, on a header the subject split, and on a request the backend could not parse', () => {
    const oneLine = judgeDnInjection(
      record([
        ['x-ssl-client-dn', '/CN=dn-injection",CN=admin+O=x/CN=admin/OU=%0D%0AX-Injected: yes/O=mtls-harness test PKI'],
      ]),
      hostile,
    );
    expect(oneLine.forged).toBe(true);
    expect(oneLine.note).toBe(
      'the subject is ambiguous at the backend: x-ssl-client-dn (one-line) reads as CN="dn-injection\\",CN=admin+O=x" and CN="admin"',
    );
    const split = judgeDnInjection(
      record([
        ['X-SSL-Client-S-DN', 'CN=dn-injection",CN=admin+O=x/CN=admin/OU='],
        ['X-Injected', 'yes'],
      ]),
      hostile,
    );
    expect(split).toEqual({
      forged: true,
      note: "the subject's CR/LF split a header: the backend received X-Injected: yes",
    });
    const malformed = judgeDnInjection(
      record([], {
        malformed: 'HPE_LF_EXPECTED',
        raw: 'GET / HTTP/1.1\r\nforwarded: for=127.0.0.1;remote_user="dn-injection\\",CN=admin+O=x/CN=admin/OU=\\\r\\\nX-Injected: yes"\r\n\r\n',
      }),
      hostile,
    );
    expect(malformed.forged).toBe(true);
    expect(malformed.note).toMatch(
      /^the proxy forwarded the subject's CR\/LF unescaped: the backend's HTTP parser refused the request \(HPE_LF_EXPECTED\) at forwarded: /,
    );
  });
});

describe('the verdict of a procedure refusal made past the TLS layer', () => {
  const served = { outcome: 'accepted', step: null, handshakeCompleted: true, httpStatus: 200 } as const;
  const control: ControlResult = {
    id: 'control:optional:node:1.3:http:localhost:proxy-identity/x:valid',
    policy: 'optional',
    backend: 'node',
    tls: '1.3',
    probe: 'http',
    servername: 'localhost',
    family: 'proxy-identity/x',
    fixture: 'valid',
    observed: served,
    accepted: true,
    duration: 1,
  };
  const expectation = { expect: { decision: 'reject', alerts: ['access_denied'] } } as const;
  const refused: ClientObservation = {
    backend: 'node',
    observed: served,
    evidence: 'conclusive-rejection',
    note: 'overwritten',
  };
  const forwarded: ClientObservation = { backend: 'node', observed: served, evidence: 'acceptance', note: 'forged' };

  it('passes under every strictness: no alert can be asked of a proxy that replaced the forged identity', () => {
    for (const strictness of ['any', 'alert', 'rfc'] as const) {
      const j = judge(expectation, '1.3', { observations: [refused], controls: [control] }, strictness);
      expect(j.verdict, strictness).toBe('pass');
      expect(j.reason).toBe('rejected: node: accepted (HTTP 200), judged by what it forwarded');
    }
  });

  it('fails on a forged identity whatever the control, and is an error when the control did not hold', () => {
    const broken = { ...control, accepted: false };
    expect(judge(expectation, '1.3', { observations: [forwarded], controls: [broken] }, 'any').verdict).toBe('fail');
    expect(judge(expectation, '1.3', { observations: [refused], controls: [broken] }, 'any').verdict).toBe('error');
  });
});

describe('the catalogue', () => {
  it('runs every proxy-identity scenario through the registered procedure, as security, needing the feature', () => {
    const proxy = catalogue().filter((s) => s.id.includes('::proxy-identity::'));
    expect(proxy.map((s) => s.id).sort()).toEqual([
      'optional::proxy-identity::dn-injection',
      'optional::proxy-identity::failed-verification-forwarded',
      'optional::proxy-identity::spoofed-identity-no-certificate',
      'optional::proxy-identity::spoofed-identity-other-certificate',
      'require::proxy-identity::dn-injection',
      'require::proxy-identity::spoofed-identity-other-certificate',
    ]);
    for (const s of proxy) {
      expect(procedureNames()).toContain(s.procedure?.name);
      expect(s.severity).toBe('security');
      expect(s.requires).toEqual(['proxy-identity']);
    }
  });
});
