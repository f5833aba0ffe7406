/**
 * The campaign report in a real browser: the rendered fixture opened from a file in headless Chromium
 * with the network cut off and every request recorded, so a plot that needed a script, a font or an
 * image from elsewhere would show up here. Needs /usr/bin/chromium (scripts/bootstrap.sh installs it).
 * Leaves test-artifacts/report.png and test-artifacts/report.html to look at.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReport } from '../../lib/report/render-report.js';
import type { ReportData } from '../../lib/report/report-data.js';
import { hostileReportFixture, reportFixture, XSS_PAYLOAD } from '../support/report-fixture.js';
import { repoRoot } from '../support/repo.js';

const SECTIONS = ['summary', 'runtime', 'timeline', 'failures', 'build', 'cost', 'provenance'];
const ARTIFACTS = path.join(repoRoot, 'test-artifacts');

interface Opened {
  readonly page: Page;
  /** Every request the page made, allowed or not. */
  readonly requests: string[];
  /** Console errors and uncaught exceptions. */
  readonly problems: string[];
}

describe('the report in headless Chromium', () => {
  let browser: Browser | undefined;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'inet-swarm-report-'));

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** Writes the report to a file and opens it offline: only the document itself may load. */
  async function open(data: ReportData, name: string): Promise<Opened> {
    const file = path.join(dir, name);
    writeFileSync(file, renderReport(data));
    const documentUrl = pathToFileURL(file).href;
    const context = await (browser as Browser).newContext({ viewport: { width: 1280, height: 900 } });
    await context.setOffline(true);
    const requests: string[] = [];
    const problems: string[] = [];
    await context.route('**/*', async (route) => {
      if (route.request().url() === documentUrl) await route.continue();
      else await route.abort('blockedbyclient');
    });
    const page = await context.newPage();
    page.on('request', (request) => requests.push(request.url()));
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    await page.goto(documentUrl, { waitUntil: 'load' });
    return { page, requests, problems };
  }

  /** How many of `selector` there are, and the smallest width and height among their boxes. */
  async function boxes(
    page: Page,
    selector: string,
  ): Promise<{ count: number; minWidth: number; minHeight: number }> {
    // The project compiles without DOM types: the one method used here, typed by hand.
    type Boxed = { getBoundingClientRect(): { width: number; height: number } };
    return page.locator(selector).evaluateAll((elements: Boxed[]) => {
      const rects = elements.map((element) => element.getBoundingClientRect());
      return {
        count: rects.length,
        minWidth: Math.min(...rects.map((rect) => rect.width)),
        minHeight: Math.min(...rects.map((rect) => rect.height)),
      };
    });
  }

  it('renders every section and plot from the file alone, without errors', async () => {
    const data = reportFixture();
    const hosts = new Set(data.attempts.map((attempt) => attempt.host));
    const configs = new Set(data.attempts.map((attempt) => attempt.configName));
    const { page, requests, problems } = await open(data, 'report.html');

    expect(requests).toEqual([page.url()]);
    for (const id of SECTIONS) {
      expect(await page.locator(`#${id}`).isVisible()).toBe(true);
      expect(await page.locator(`#${id} h2`).innerText()).not.toBe('');
    }

    // Every plot is laid out with a real size.
    const plots = await boxes(page, 'svg.plot');
    expect(plots.count).toBe(configs.size + 2 /* sessions */ + 3 /* failure kinds, build, cost */);
    expect(plots.minWidth).toBeGreaterThan(500);
    expect(plots.minHeight).toBeGreaterThan(20);

    // Run time: a histogram per config with bars, median and p90 drawn.
    expect((await boxes(page, '#runtime svg.histogram')).count).toBe(configs.size);
    const histogramBars = await boxes(page, '#runtime .hist rect');
    expect(histogramBars.count).toBeGreaterThanOrEqual(configs.size);
    expect(histogramBars.minHeight).toBeGreaterThan(0);
    expect((await boxes(page, '#runtime line.median')).count).toBe(configs.size);

    // Timeline: one label per host, a bar per attempt (none is narrow enough to merge here), idle gaps.
    expect(await page.locator('#timeline text.host-label').allTextContents()).toHaveLength(hosts.size);
    const bars = await boxes(page, '#timeline .bars rect');
    expect(bars.count).toBe(data.attempts.length);
    expect(bars.minWidth).toBeGreaterThan(0);
    expect(bars.minHeight).toBeGreaterThan(0);
    expect((await boxes(page, '#timeline .idle rect')).count).toBeGreaterThan(0);
    expect(await page.locator('#timeline .bars.s-failed rect').count()).toBe(
      data.attempts.filter((attempt) => attempt.status === 'failed').length,
    );

    // Failures: a bar per kind; build and cost: a bar each.
    const kinds = new Set(data.attempts.flatMap((attempt) => attempt.failureKind ?? []));
    expect(await page.locator('#failures svg .bar-label').count()).toBe(kinds.size);
    expect((await boxes(page, '#build svg rect')).count).toBe(data.builds.length);
    expect((await boxes(page, '#cost svg rect.spent')).count).toBe(data.costs.length);
    expect(await page.locator('#provenance table.provenance').count()).toBe(data.sessions.length);

    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(path.join(ARTIFACTS, 'report.html'), renderReport(data));
    await page.screenshot({ path: path.join(ARTIFACTS, 'report.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('shows markup from the data as text and runs none of it', async () => {
    const { page, requests, problems } = await open(hostileReportFixture(), 'hostile.html');

    expect(await page.evaluate(() => (globalThis as { __xss?: boolean }).__xss)).toBeUndefined();
    expect(await page.locator('script, img, iframe, object, embed').count()).toBe(0);
    // Shown whole where there is room: the summary's config, a failure message.
    expect(await page.locator('#summary dd').first().innerText()).toBe(XSS_PAYLOAD);
    expect(await page.locator('#failures .msg').allInnerTexts()).toContain(XSS_PAYLOAD);
    expect(await page.locator('#timeline table.hosts').first().innerText()).toContain(XSS_PAYLOAD);
    expect(requests).toEqual([page.url()]);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
