import { describe, expect, it } from 'vitest';
import { OCSP_REFUSED_URL, ocspModeUrl, splitModePath } from '../../../fixtures-gen/ocsp-modes.js';

describe('OCSP failure-mode URLs (issue 13)', () => {
  it('a mode fixture names its mode as the last path segment of the set’s responder URL', () => {
    expect(ocspModeUrl('http://127.0.0.1:18888/ocsp', 'try-later')).toBe('http://127.0.0.1:18888/ocsp/try-later');
    expect(ocspModeUrl('http://ocsp.test:8080/', 'stale')).toBe('http://ocsp.test:8080/stale');
    expect(ocspModeUrl('http://127.0.0.1:18888/ocsp', 'refused')).toBe(`${OCSP_REFUSED_URL}/refused`);
  });

  it('the responder reads the mode from the path, POST and GET alike, and leaves other paths alone', () => {
    expect(splitModePath('/ocsp/try-later')).toEqual({ mode: 'try-later', path: '/ocsp' });
    expect(splitModePath('/stale')).toEqual({ mode: 'stale', path: '/' });
    expect(splitModePath('/ocsp/no-answer/MEUwQzBBMD8w%2F')).toEqual({
      mode: 'no-answer',
      path: '/ocsp/MEUwQzBBMD8w%2F',
    });
    expect(splitModePath('/ocsp/MEUwQzBBMD8wPTAJBgUrDgMCGgUABBQ')).toEqual({
      path: '/ocsp/MEUwQzBBMD8wPTAJBgUrDgMCGgUABBQ',
    });
    expect(splitModePath('/ocsp')).toEqual({ path: '/ocsp' });
    expect(splitModePath('/crl/intermediate.crl')).toEqual({ path: '/crl/intermediate.crl' });
  });
});
