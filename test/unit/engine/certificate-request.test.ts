import { describe, expect, it } from 'vitest';
import {
  checkCaListSize,
  checkCertificateAuthorities,
  checkCertificateTypes,
  checkSignatureAlgorithms,
} from '../../../engine/procedures/certificate-request.js';
import type { WireCertificateRequest } from '../../../wire/index.js';

const ROOT = 'CN=mtls-harness root CA, O=mtls-harness test PKI';

function request(over: Partial<WireCertificateRequest> = {}): WireCertificateRequest {
  return {
    context: '',
    signatureAlgorithms: ['ecdsa_secp256r1_sha256', 'rsa_pss_rsae_sha256'],
    certificateAuthorities: [ROOT],
    certificateAuthoritiesBytes: 65,
    ...over,
  };
}

describe('certificate-request checks (issue 13)', () => {
  it('signature algorithms: MD5 and SHA-1 schemes are violations, named or by code point; SHA-224 is not', () => {
    expect(checkSignatureAlgorithms(request(), '1.3').violation).toBeUndefined();
    const sha224 = checkSignatureAlgorithms(request({ signatureAlgorithms: ['ecdsa_sha224', '0x0301'] }), '1.2');
    expect(sha224.violation).toBeUndefined();
    const tls12 = checkSignatureAlgorithms(
      request({ signatureAlgorithms: ['ecdsa_secp256r1_sha256', 'rsa_pkcs1_sha1', '0x0203', 'dsa_sha1', '0x0101'] }),
      '1.2',
    );
    expect(tls12.violation).toContain('rsa_pkcs1_sha1, 0x0203, dsa_sha1, 0x0101');
    expect(tls12.violation).toContain('RFC 9155');
    const tls13 = checkSignatureAlgorithms(request({ signatureAlgorithms: ['ecdsa_sha1'] }), '1.3');
    expect(tls13.violation).toContain('RFC 8446 §4.2.3');
    expect(tls13.finding).toContain('offers 1 scheme: ecdsa_sha1');
  });

  it('certificate authorities: equal to the anchors passes; absent, other or extra names are findings', () => {
    expect(checkCertificateAuthorities(request(), '1.3', [ROOT])).toEqual({
      finding: `the certificate_authorities extension names 1 CA: ${ROOT}; equal to the configured trust anchor`,
    });
    // Whitespace and case are not significant in the comparison.
    expect(
      checkCertificateAuthorities(request({ certificateAuthorities: [ROOT.toUpperCase()] }), '1.2', [ROOT]).violation,
    ).toBeUndefined();
    expect(checkCertificateAuthorities(request({ certificateAuthorities: [] }), '1.2', [ROOT]).violation).toBe(
      `the CertificateRequest names no CA; the server was configured with ${ROOT}`,
    );
    const other = checkCertificateAuthorities(request({ certificateAuthorities: ['CN=other'] }), '1.2', [ROOT]);
    expect(other.violation).toContain(`the configured anchor ${ROOT} is not among them`);
    expect(other.violation).toContain('1 name the server was not configured to trust');
  });

  it('CA list size: more names than configured anchors is a finding with the count and the bytes', () => {
    expect(checkCaListSize(request(), [ROOT]).violation).toBeUndefined();
    const big = checkCaListSize(
      request({ certificateAuthorities: [ROOT, 'CN=a', 'CN=b'], certificateAuthoritiesBytes: 120 }),
      [ROOT],
    );
    expect(big.finding).toBe(
      'the CA list holds 3 names (120 bytes of encoded names); the server was configured with 1 trust anchor',
    );
    expect(big.violation).toBe('the CA list names 2 more CAs than the server was configured to trust');
  });

  it('certificate types: the valid key type must be listed (ecdsa_sign covers EdDSA); fixed-DH types are noted', () => {
    const types = ['rsa_sign', 'dss_sign', 'ecdsa_sign'];
    expect(checkCertificateTypes(request({ certificateTypes: types }), 'ec').violation).toBeUndefined();
    expect(checkCertificateTypes(request({ certificateTypes: types }), 'ed25519').violation).toBeUndefined();
    const rsaOnly = checkCertificateTypes(request({ certificateTypes: ['rsa_sign', 'rsa_fixed_dh'] }), 'ec');
    expect(rsaOnly.violation).toContain('lacks ecdsa_sign');
    expect(rsaOnly.finding).toContain('obsolete: rsa_fixed_dh');
    expect(checkCertificateTypes(request({ certificateTypes: [] }), 'rsa').finding).toContain(
      'certificate_types is empty',
    );
  });
});
