import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReports } from '../../reports/index.js';
import { failing, sampleRun } from '../unit/reports/sample.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
const SCREENSHOT = process.env.REPORT_SCREENSHOT ?? '/tmp/report.png';

if (!available) {
  const message = `${CHROMIUM} is absent: the HTML report browser test ${process.env.CI ? 'FAILS (CI is set)' : 'is skipped'}`;
  console.warn(message);
}

describe('report.html needs a browser', () => {
  it.runIf(!available && process.env.CI)('is not allowed to skip on CI', () => {
    expect.fail(`${CHROMIUM} is absent, and CI is set: install Chromium to run the HTML report test`);
  });
});

describe.skipIf(!available)('report.html in headless Chromium', () => {
  const run = sampleRun();
  let browser: Browser;
  let page: Page;
  let dir: string;
  const problems: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mtls-report-e2e-'));
    const [path] = await writeReports(run, dir, ['html']);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning') problems.push(`console.${msg.type()}: ${msg.text()}`);
    });
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    // Any request that is not the page itself is a resource the report should not have.
    page.on('request', (req) => {
      if (req.url() !== pathToFileURL(path ?? '').href && !req.url().startsWith('data:')) {
        problems.push(`request: ${req.url()}`);
      }
    });
    await page.goto(pathToFileURL(path ?? '').href, { waitUntil: 'load' });
  });

  afterAll(async () => {
    await browser?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('loads with no console error, page error or network request', () => {
    expect(problems).toEqual([]);
  });

  it('shows the verdict banner and the summary', async () => {
    await expect(page.locator('#verdict').innerText()).resolves.toMatch(/^NOT CONFORMANT\s+3 failing result\(s\)/);
    expect(await page.locator('#verdict').isVisible()).toBe(true);
    const summary = await page.locator('#summary').innerText();
    expect(summary).toMatch(/13\s+total/);
    expect(summary).toMatch(/1\s+fail/);
    expect(await page.locator('#summary').isVisible()).toBe(true);
  });

  it('shows every failing scenario id as visible text', async () => {
    const section = page.locator('#failing');
    const text = await section.innerText();
    for (const r of failing(run)) {
      expect(text).toContain(r.id);
      await expect(section.getByText(r.id, { exact: true }).first().isVisible()).resolves.toBe(true);
    }
  });

  it('renders escaped text as text, not markup', async () => {
    const text = await page.locator('#failing').innerText();
    expect(text).toContain(`<b>"Tom & Jerry's"</b>\\x07`);
    expect(await page.locator('#failing b').count()).toBe(0);
  });

  it('draws the verdict plot, the duration histogram and the ten slowest', async () => {
    const boxes = await page.locator('svg.chart').evaluateAll((svgs) =>
      svgs.map((svg) => {
        const box = svg.getBoundingClientRect();
        return { width: box.width, height: box.height };
      }),
    );
    expect(boxes).toHaveLength(3);
    for (const box of boxes) {
      expect(box.width).toBeGreaterThan(200);
      expect(box.height).toBeGreaterThan(40);
    }
  });

  it('filters the results table by text and by verdict', async () => {
    const rows = page.locator('#results tbody tr');
    const visibleRows = page.locator('#results tbody tr:visible');
    await expect(rows.count()).resolves.toBe(run.results.length);
    await expect(visibleRows.count()).resolves.toBe(run.results.length);

    await page.fill('#filter-text', 'expired-leaf');
    await expect(visibleRows.count()).resolves.toBe(2);
    await expect(page.locator('#filter-count').innerText()).resolves.toBe(`2 of ${run.results.length} results`);

    await page.selectOption('#filter-verdict', 'fail');
    await expect(visibleRows.count()).resolves.toBe(1);
    expect(await visibleRows.first().innerText()).toContain('rfc5280::validity::expired-leaf');

    await page.fill('#filter-text', '');
    await page.selectOption('#filter-verdict', 'problems');
    await expect(visibleRows.count()).resolves.toBe(failing(run).length);

    await page.selectOption('#filter-verdict', 'skip');
    const skipped = await visibleRows.allInnerTexts();
    expect(skipped).toHaveLength(2);
    for (const row of skipped) expect(row).toContain('revocation::crl::revoked-leaf');

    await page.fill('#filter-text', 'no such scenario');
    await expect(visibleRows.count()).resolves.toBe(0);
    await page.fill('#filter-text', '');
    await page.selectOption('#filter-verdict', '');
    await expect(visibleRows.count()).resolves.toBe(run.results.length);
    expect(problems).toEqual([]);
  });

  it('takes a screenshot for a human look', async () => {
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);
  });
});
