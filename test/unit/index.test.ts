import { describe, expect, it } from 'vitest';
import * as lib from '../../index.js';

describe('the library API (package entry point)', () => {
  it('exposes the parts a QA script composes', () => {
    for (const name of [
      'generateFixtures',
      'loadManifest',
      'catalogue',
      'runSuite',
      'startBuiltinServer',
      'startTargets',
      'parseTarget',
      'wireProbe',
      'writeReports',
      'judge',
      'assess',
      'startEchoBackend',
      'fetchEchoRecord',
    ] as const) {
      expect(typeof lib[name], name).toBe('function');
    }
    expect(typeof lib.load.runLoad).toBe('function');
    expect(lib.CATALOGUE_VERSION).toBeGreaterThan(0);
    expect(lib.ALERTS.certificate_required).toBe(116);
  });
});
