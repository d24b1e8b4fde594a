import { describe, expect, it } from 'vitest';
import { formatJunit, stripXmlInvalid, xmlAttr, xmlText } from '../../../reports/junit.js';
import { conformantRun, erroredRun, NASTY, sampleRun, SAMPLE_RESULTS } from './sample.js';
import { findAll, parseXml, type XmlElement } from './xml.js';

function count(el: XmlElement, attr: string): number {
  return Number(el.attrs[attr]);
}

/** Asserts that every count attribute equals the number of elements it counts, per suite and in total. */
function assertCounts(root: XmlElement): void {
  const suites = findAll(root, 'testsuite');
  for (const suite of [...suites, root]) {
    const cases = findAll(suite, 'testcase');
    expect(count(suite, 'tests')).toBe(cases.length);
    expect(count(suite, 'failures')).toBe(findAll(suite, 'failure').length);
    expect(count(suite, 'errors')).toBe(findAll(suite, 'error').length);
    expect(count(suite, 'skipped')).toBe(findAll(suite, 'skipped').length);
    expect(suite.attrs.time).toMatch(/^\d+\.\d{3}$/);
  }
}

describe('formatJunit', () => {
  const run = sampleRun();
  const xml = formatJunit(run);
  const root = parseXml(xml);

  it('is well-formed XML with a <testsuites> root and an XML declaration', () => {
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n')).toBe(true);
    expect(root.name).toBe('testsuites');
  });

  it('has one testsuite per policy and one testcase per result', () => {
    const suites = findAll(root, 'testsuite');
    expect(suites.map((s) => s.attrs.name)).toEqual(['mtls-harness nginx (require)', 'mtls-harness nginx (optional)']);
    expect(findAll(root, 'testcase')).toHaveLength(SAMPLE_RESULTS.length);
  });

  it('counts failures (fail + xpass), errors and skips in the attributes', () => {
    assertCounts(root);
    expect(root.attrs).toMatchObject({ tests: '13', failures: '2', errors: '1', skipped: '2', time: '3.210' });
  });

  it('maps each verdict to the element CI systems expect', () => {
    const cases = findAll(root, 'testcase');
    const byName = (name: string): XmlElement => {
      const found = cases.find((c) => c.attrs.name === name);
      expect(found, name).toBeDefined();
      return found as XmlElement;
    };
    const failed = byName('rfc5280::validity::expired-leaf [TLS 1.3]');
    expect(failed.attrs.classname).toBe('rfc5280::validity');
    expect(failed.attrs.time).toBe('0.021');
    expect(failed.children.map((c) => [c.name, c.attrs.type])).toEqual([['failure', 'fail']]);
    expect(failed.children[0]?.attrs.message).toContain('observed accepted');

    expect(byName('rfc5280::eku::server-auth-only [TLS 1.3]').children.map((c) => [c.name, c.attrs.type])).toEqual([
      ['failure', 'xpass'],
    ]);
    const errored = byName('chain::missing-intermediate [TLS 1.2]').children;
    expect(errored.map((c) => [c.name, c.attrs.type])).toEqual([['error', 'refused']]);
    expect(errored[0]?.text).toContain('ECONNREFUSED');

    const skipped = byName('revocation::crl::revoked-leaf [TLS 1.3]').children;
    expect(skipped.map((c) => [c.name, c.attrs.message])).toEqual([['skipped', "target lacks feature 'crl'"]]);

    const xfail = byName('chain::missing-intermediate [TLS 1.3]').children;
    expect(xfail.map((c) => c.name)).toEqual(['system-out']);
    expect(xfail[0]?.text).toMatch(/^xfail \(known deviation\): known deviation: builds the chain/);

    expect(byName('sanity::valid-client-accepted [TLS 1.2]').children).toEqual([]);
  });

  it('escapes markup and quotes, and strips control characters, so that values survive a round trip', () => {
    const cleaned = NASTY.replace('\u0007', '');
    const failure = findAll(root, 'failure').find((f) => f.attrs.type === 'fail');
    expect(failure?.attrs.message).toContain(`server accepted an expired client certificate ${cleaned}`);
    expect(failure?.text).toContain(cleaned);
    expect(xml).not.toContain('\u0007');
    expect(xml).not.toContain('<b>');
    expect(xml).toContain('&lt;b&gt;&quot;Tom &amp; Jerry&apos;s&quot;&lt;/b&gt;');
  });

  it('carries the run context as properties', () => {
    const props = Object.fromEntries(
      findAll(findAll(root, 'testsuite')[0] as XmlElement, 'property').map((p) => [p.attrs.name, p.attrs.value]),
    );
    expect(props).toMatchObject({
      'tool.version': '0.1.0',
      'catalogue.version': '3',
      'target.name': 'nginx',
      'target.endpoint': '127.0.0.1:8443',
      policy: 'require',
      clock: '2025-01-01T00:00:00.000Z',
    });
  });

  it('has no failures for a conformant run', () => {
    const clean = parseXml(formatJunit(conformantRun()));
    assertCounts(clean);
    expect(clean.attrs).toMatchObject({ failures: '0', errors: '0' });
  });

  it('reports a run error as an errored test case in its own suite', () => {
    const errored = parseXml(formatJunit(erroredRun()));
    assertCounts(errored);
    const suites = findAll(errored, 'testsuite');
    expect(suites.at(-1)?.attrs.name).toBe('mtls-harness nginx (run)');
    const error = findAll(errored, 'error')[0];
    expect(error?.attrs.type).toBe('MTLS_ERR_SANITY');
    expect(error?.attrs.message).toContain('sanity scenario failed: <b>');
  });

  it('writes an empty but valid suite when there are no results', () => {
    const empty = parseXml(formatJunit(sampleRun({ results: [] })));
    assertCounts(empty);
    expect(findAll(empty, 'testsuite')).toHaveLength(1);
  });
});

describe('XML escaping helpers', () => {
  it('strips characters XML 1.0 forbids, including lone surrogates, and keeps tab, newline and astral characters', () => {
    expect(stripXmlInvalid('a\u0000b\u0008c\u001bd\u007fe\u0085f\ufffeg\ud800h\t\n\r😀')).toBe('abcdefgh\t\n\r😀');
  });

  it('escapes text and attributes', () => {
    expect(xmlText(`a<b>&"'`)).toBe(`a&lt;b&gt;&amp;"'`);
    expect(xmlAttr(`a<b>&"'\t\n\r`)).toBe('a&lt;b&gt;&amp;&quot;&apos;&#9;&#10;&#13;');
    expect(parseXml(`<x a="${xmlAttr('line 1\nline\t2 "q"')}"/>`).attrs.a).toBe('line 1\nline\t2 "q"');
  });
});

describe('the test XML checker', () => {
  it.each([
    ['<a><b></a></b>'],
    ['<a>'],
    ['<a x="1" x="2"/>'],
    ['<a x=1/>'],
    ['<a>&nope;</a>'],
    ['<a>&amp</a>'],
    ['<a>x < y</a>'],
    ['<a/><b/>'],
    ['<a>\u0001</a>'],
    ['<a x="<"/>'],
  ])('rejects %j', (bad) => {
    expect(() => parseXml(bad)).toThrow();
  });
});
