/**
 * `inet-swarm report` end to end on the real demo: a local campaign with failures and a resumed second
 * session, the report written beside the results, opened in headless Chromium without a network
 * (screenshot: test-artifacts/report-demo.png). Needs /usr/bin/chromium (scripts/bootstrap.sh).
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoProject, inetSwarm, manifestRecords, repoRoot } from './helpers.js';

const artifacts = path.join(repoRoot, 'test-artifacts');

describe('inet-swarm report', () => {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('reports a local campaign with its failures and both sessions, viewable offline', async () => {
    const project = demoProject('report');
    // Failing: runs 6-8 fail with a queue overflow; the second session reruns them (and fails again).
    const first = await inetSwarm(['run', '-j', '2', './demo', '-c', 'Failing'], project);
    expect(first.code).toBe(1);
    const second = await inetSwarm(['run', '-j', '2', './demo', '-c', 'Failing'], project);
    expect(second.code).toBe(1);
    const attempts = manifestRecords(project);
    expect(attempts).toHaveLength(12 + 3);

    const report = await inetSwarm(['report', 'Failing'], project);
    expect(report.stderr).toBe('');
    expect(report.code).toBe(0);
    const campaignId = /report of (\S+) \(12 runs, 15 attempts, 2 sessions\)/.exec(report.stdout)?.[1];
    expect(campaignId, report.stdout).toBeDefined();
    const file = path.join(project, 'results', `inet-swarm-report-${campaignId}.html`);
    expect(existsSync(file)).toBe(true);
    const html = readFileSync(file, 'utf8');
    expect(html).toContain('Queue overflow');
    expect(html).toContain('Failing');
    // Nothing fetched from anywhere: no external script, stylesheet, image or font.
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=["']?(https?:)?\/\//i);

    const page = await browser!.newPage({ viewport: { width: 1200, height: 900 } });
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    await page.context().setOffline(true);
    await page.goto(`file://${file}`);
    for (const section of ['runtime', 'timeline', 'failures', 'build', 'cost', 'provenance'])
      await expect(page.locator(`#${section}`).isVisible(), section).resolves.toBe(true);
    // The timeline has one bar per attempt at most (narrow ones merge) and names this machine.
    const host = attempts[0]!.host;
    await expect(page.locator('#timeline').textContent()).resolves.toContain(host);
    expect(await page.locator('#timeline svg rect').count()).toBeGreaterThan(0);
    expect(await page.locator('#runtime svg rect').count()).toBeGreaterThan(0);
    await expect(page.locator('#failures').textContent()).resolves.toContain('Queue overflow');
    expect(requests).toEqual([`file://${file}`]);
    expect(errors).toEqual([]);
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: path.join(artifacts, 'report-demo.png'), fullPage: true });
    copyFileSync(file, path.join(artifacts, 'report-demo.html'));
    await page.close();
  }, 120_000);

  it('replaces its own report but never a file that is not one', async () => {
    const project = demoProject('report-overwrite');
    expect((await inetSwarm(['run', './demo', '-c', 'Quick'], project)).code).toBe(0);
    const mine = path.join(project, 'mine.html');
    expect((await inetSwarm(['report', '-o', mine], project)).code).toBe(0);
    expect((await inetSwarm(['report', '-o', mine], project)).code).toBe(0);

    const theirs = path.join(project, 'notes.html');
    writeFileSync(theirs, '<html>my notes</html>');
    const refused = await inetSwarm(['report', '-o', theirs], project);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('is not an inet-swarm report');
    expect(readFileSync(theirs, 'utf8')).toBe('<html>my notes</html>');
  }, 60_000);

  it('says which campaigns there are when asked for one that is not', async () => {
    const project = demoProject('report-bad');
    const none = await inetSwarm(['report'], project);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no campaign has run');
    expect((await inetSwarm(['run', './demo', '-c', 'Quick'], project)).code).toBe(0);
    const wrong = await inetSwarm(['report', 'Nope'], project);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/no campaign 'Nope'.*Quick-/);
  }, 60_000);
});
