import { describe, expect, it } from 'vitest';
import {
  formatCount,
  formatDuration,
  formatPercent,
  formatUsd,
  formatUtc,
} from '../../../lib/report/format.js';
import { escapeHtml, markup } from '../../../lib/report/html.js';
import { laneUsage, mergeNarrowBars, packLanes, type Interval } from '../../../lib/report/lanes.js';
import { REPORT_GENERATOR, renderReport } from '../../../lib/report/render-report.js';
import type { ReportAttempt, ReportData, ReportSession } from '../../../lib/report/report-data.js';
import { quantile } from '../../../lib/report/stats.js';
import { MAX_FAILURE_ROWS } from '../../../lib/report/failures.js';
import {
  hostileReportFixture,
  HOSTS,
  largeReportData,
  reportFixture,
  T0,
  XSS_PAYLOAD,
} from '../../support/report-fixture.js';

const SECTIONS = ['summary', 'runtime', 'timeline', 'failures', 'build', 'cost', 'provenance'];

/** The markup of one `<section id=...>` (sections do not nest). */
function sectionOf(html: string, id: string): string {
  const match = new RegExp(`<section id="${id}">([\\s\\S]*?)</section>`).exec(html);
  if (match === null) throw new Error(`no section #${id}`);
  return match[1] ?? '';
}

/** Markup without tags and tooltips, entities decoded, whitespace collapsed: what a reader sees. */
function text(html: string): string {
  const entities: Record<string, string> = {
    '&lt;': '<',
    '&gt;': '>',
    '&quot;': '"',
    '&#39;': "'",
    '&amp;': '&',
  };
  return html
    .replace(/<title>[\s\S]*?<\/title>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&(lt|gt|quot|#39|amp);/g, (entity) => entities[entity] ?? entity)
    .replace(/\s+/g, ' ');
}

const count = (html: string, needle: string): number => html.split(needle).length - 1;

function attempt(overrides: Partial<ReportAttempt>): ReportAttempt {
  return {
    runNumber: 0,
    configName: 'General',
    description: '$x=0, $repetition=0',
    status: 'ok',
    attempt: 1,
    failureKind: null,
    failureMessage: null,
    startedAt: T0,
    endedAt: T0 + 10_000,
    durationMs: 10_000,
    host: 'h1',
    sessionId: 's1',
    events: 100,
    peakRssKb: null,
    ...overrides,
  };
}

/** An attempt of `runNumber` running from `start` s to `end` s after T0. */
function ran(runNumber: number, start: number, end: number, overrides: Partial<ReportAttempt> = {}) {
  return attempt({
    runNumber,
    description: `$x=${runNumber}, $repetition=0`,
    startedAt: T0 + start * 1000,
    endedAt: T0 + end * 1000,
    durationMs: (end - start) * 1000,
    ...overrides,
  });
}

function session(sessionId: string, startedAt: number): ReportSession {
  return {
    sessionId,
    backend: 'local',
    startedAt,
    jobs: 2,
    provenance: {
      programVersion: null,
      gitCommit: null,
      gitDirty: null,
      sourceHash: null,
      fingerprint: null,
      host: null,
      nodeVersion: null,
    },
  };
}

function data(overrides: Partial<ReportData>): ReportData {
  return {
    campaignId: 'c-1',
    configName: 'General',
    program: './sim',
    args: ['-c', 'General'],
    workingDir: '/sims',
    resultDir: '/sims/results',
    plannedRuns: null,
    generatedAt: T0 + 3_600_000,
    sessions: [session('s1', T0)],
    attempts: [],
    builds: [],
    costs: [],
    ...overrides,
  };
}

describe('renderReport', () => {
  it('renders every section, with its heading, in one self-contained document', () => {
    const html = renderReport(reportFixture());

    expect(html.startsWith('<!doctype html>')).toBe(true);
    for (const id of SECTIONS) {
      expect(count(html, `<section id="${id}">`)).toBe(1);
      expect(sectionOf(html, id)).toMatch(/^\s*<h2>[^<]+<\/h2>/);
    }
    // Nothing to fetch: no script, no external reference of any kind.
    expect(html).not.toMatch(
      /<script|<img|<iframe|<link rel="stylesheet"|@import|@font-face|url\(["']?http/i,
    );
    expect(html).not.toMatch(/\s(src|srcset)=/i);
    const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((match) => match[1]);
    expect(hrefs.filter((href) => !href?.startsWith('#') && href !== 'data:,')).toEqual([]);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none';`);
    // `inet-swarm report` overwrites only files that show its generator tag in the first kilobyte.
    expect(Buffer.from(html).subarray(0, 1024).toString()).toContain(REPORT_GENERATOR);
  });

  it('prints no NaN, Infinity or undefined: fixture, empty data, a session without runs, a run of 0 ms', () => {
    const empty = data({ sessions: [], attempts: [] });
    const sessionOnly = data({ sessions: [session('s1', T0)], attempts: [] });
    const instant = data({
      attempts: [ran(0, 5, 5), ran(1, 5, 5, { status: 'failed', failureKind: 'spawn-error' })],
    });
    for (const report of [reportFixture(), empty, sessionOnly, instant]) {
      expect(renderReport(report)).not.toMatch(/NaN|Infinity|undefined|\[object Object\]/);
    }
  });

  it('says "no runs recorded yet" instead of plots when there are no attempts', () => {
    const html = renderReport(data({ sessions: [], attempts: [] }));

    for (const id of ['runtime', 'timeline', 'failures']) {
      expect(text(sectionOf(html, id))).toContain('No runs recorded yet.');
      expect(sectionOf(html, id)).not.toContain('<svg');
    }
    expect(text(sectionOf(html, 'summary'))).toContain('final status no runs recorded yet');
    expect(text(sectionOf(html, 'build'))).toContain(
      'local campaigns run the program as it is, without a build',
    );
    expect(text(sectionOf(html, 'cost'))).toContain(
      "local and swarm campaigns run on the user's own machines",
    );
    expect(text(sectionOf(html, 'provenance'))).toContain('No sessions recorded yet.');
  });

  it('sums up a run by its last attempt: a lost attempt retried ok counts as ok', () => {
    const html = renderReport(
      data({
        plannedRuns: 5,
        attempts: [
          ran(0, 0, 10),
          ran(1, 0, 4, { status: 'lost', failureKind: 'signal', failureMessage: 'killed by SIGKILL' }),
          ran(2, 10, 12, { status: 'failed', failureKind: 'simulation-error', failureMessage: 'boom' }),
          ran(1, 5, 20, { attempt: 2 }),
        ],
      }),
    );

    const summary = text(sectionOf(html, 'summary'));
    expect(summary).toContain('runs recorded 3 (2 not yet)');
    expect(summary).toContain('attempts 4 (1 retries)');
    expect(summary).toContain('2 ok 1 failed 0 lost 0 interrupted');
    // The session starts at T0 and its last run ends 20 s later.
    expect(summary).toContain('wall time 20 s in 1 session');
    expect(summary).toContain(`generated at ${new Date(T0 + 3_600_000).toISOString().slice(0, 19)}Z`);
  });

  it('quotes arguments the shell would split, so the command line can be copied', () => {
    const html = renderReport(data({ args: ['-c', 'General', '--result-dir=my results', "it's"] }));

    expect(text(sectionOf(html, 'summary'))).toContain(
      `./sim -c General '--result-dir=my results' 'it'\\''s'`,
    );
  });

  describe('escaping', () => {
    const escapedScript = escapeHtml('<script>window.__xss');

    /** Each field on its own, so a field that is not rendered at all fails instead of passing. */
    const fields: [string, (payload: string) => ReportData][] = [
      ['config name', (p) => data({ configName: p, attempts: [ran(0, 0, 10, { configName: p })] })],
      [
        'failure message',
        (p) =>
          data({
            attempts: [ran(0, 0, 10, { status: 'failed', failureKind: 'exit-code', failureMessage: p })],
          }),
      ],
      ['host', (p) => data({ attempts: [ran(0, 0, 10, { host: p })] })],
      ['args', (p) => data({ args: ['-c', p] })],
      ['description', (p) => data({ attempts: [ran(0, 0, 10, { status: 'failed', description: p })] })],
      [
        'session id',
        (p) => data({ sessions: [session(p, T0)], attempts: [ran(0, 0, 10, { sessionId: p })] }),
      ],
      [
        'provenance',
        (p) => {
          const s = session('s1', T0);
          return data({
            sessions: [
              { ...s, provenance: { ...s.provenance, programVersion: `${p}\n${p}`, gitCommit: p, host: p } },
            ],
          });
        },
      ],
      [
        'build command',
        (p) =>
          data({
            builds: [
              {
                sessionId: 's1',
                backend: 'aws',
                command: p,
                startedAt: T0,
                durationMs: 1,
                cached: false,
                ok: true,
              },
            ],
          }),
      ],
      [
        'cost cluster',
        (p) =>
          data({
            costs: [
              {
                sessionId: 's1',
                backend: 'aws',
                usdPerHour: 1,
                spentUsd: 1,
                clusterHours: 1,
                budgetUsd: null,
                cluster: p,
              },
            ],
          }),
      ],
    ];

    it.each(fields)('shows markup in the %s as text, never as markup', (_, build) => {
      const html = renderReport(build(XSS_PAYLOAD));

      expect(html).not.toContain(XSS_PAYLOAD);
      expect(html).not.toMatch(/<script|<img/i);
      // Quotes are escaped too, so the payload cannot leave an attribute either.
      expect(html).not.toMatch(/"\s*onerror=/i);
      expect(html).toContain(escapedScript);
    });

    it('escapes the hostile fixture everywhere at once', () => {
      const html = renderReport(hostileReportFixture());

      expect(html).not.toContain(XSS_PAYLOAD);
      expect(html).not.toMatch(/<script|<img/i);
      // Config name, failure message, host, args, description, three provenance fields per session,
      // build command and cluster: at least a dozen places show it as text.
      expect(count(html, escapedScript)).toBeGreaterThanOrEqual(12);
    });

    it('escapes what it interpolates and passes through only markup it built', () => {
      const inner = markup`<b>${'<i>'}</b>`;
      expect(markup`<p title="${`"'&`}">${inner}${['<a>', 1, null, false, undefined]}</p>`.text).toBe(
        '<p title="&quot;&#39;&amp;"><b>&lt;i&gt;</b>&lt;a&gt;1</p>',
      );
    });
  });

  describe('run-time distribution', () => {
    const seconds = (values: number[]) =>
      data({ attempts: values.map((s, i) => ran(i, 0, s, { host: `h${i % 2}` })) });

    it('prints median, p90 and max of the ok runs, per config', () => {
      const html = renderReport(
        data({
          attempts: [
            ...[10, 20, 30, 40].map((s, i) => ran(i, 0, s)),
            ran(4, 0, 1000, { status: 'failed' }), // not ok: left out
            ran(0, 0, 5, { configName: 'Other' }),
          ],
        }),
      );

      const runtime = text(sectionOf(html, 'runtime'));
      // Linear interpolation between ranks: median of 10..40 is 25, p90 is 30 + 0.7 × 10.
      expect(runtime).toContain('General 4 ok runs · shortest 10 s · median 25 s · p90 37 s · max 40 s');
      expect(runtime).toContain('Other 1 ok run · shortest 5 s · median 5 s · p90 5 s · max 5 s');
      expect(count(sectionOf(html, 'runtime'), '<svg')).toBe(2);
    });

    it('counts every ok run in exactly one histogram bar', () => {
      const html = renderReport(seconds([1, 2, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144]));

      const bars = [...sectionOf(html, 'runtime').matchAll(/<title>(\d+) runs? of/g)].map((m) =>
        Number(m[1]),
      );
      expect(bars.reduce((a, b) => a + b, 0)).toBe(12);
    });

    it('uses a log axis only when the longest run is more than 20 times the shortest', () => {
      expect(text(renderReport(seconds([1, 10, 21])))).toContain('The time axis is logarithmic');
      expect(text(renderReport(seconds([1, 10, 20])))).toContain('The time axis is linear');
    });

    it('draws runs that all took the same time, and 0 ms runs on a log axis', () => {
      for (const report of [seconds([7, 7, 7]), seconds([0, 0, 30])]) {
        const html = renderReport(report);
        expect(html).not.toMatch(/NaN|Infinity/);
        const bars = [...sectionOf(html, 'runtime').matchAll(/<title>(\d+) runs? of/g)].map((m) =>
          Number(m[1]),
        );
        expect(bars.reduce((a, b) => a + b, 0)).toBe(3);
      }
    });

    it('interpolates quantiles between ranks', () => {
      expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
      expect(quantile([5], 0.9)).toBe(5);
      expect(quantile([0, 10], 0.9)).toBe(9);
      expect(quantile([], 0.5)).toBeNaN();
    });
  });

  describe('timeline', () => {
    it('draws one row label per host, and a bar per attempt when bars are wide', () => {
      const fixture = reportFixture();
      const html = renderReport(fixture);

      const timeline = sectionOf(html, 'timeline');
      expect(count(timeline, 'class="host-label"')).toBe(HOSTS.length);
      for (const host of HOSTS) expect(timeline).toContain(`<title>${host}</title>`);
      const bars = count(timeline.replace(/<g class="(idle|bands)"[\s\S]*?<\/g>/g, ''), '<rect x=');
      expect(bars).toBe(fixture.attempts.length);
    });

    it('shows the latest three sessions, latest first, and says how many are left out', () => {
      const sessions = [0, 1, 2, 3, 4].map((i) => session(`session-${i}`, T0 + i * 3_600_000));
      const attempts = sessions.map((s, i) => ran(i, i * 3600, i * 3600 + 60, { sessionId: s.sessionId }));
      const html = renderReport(data({ sessions, attempts }));

      const timeline = sectionOf(html, 'timeline');
      expect(text(timeline)).toContain(
        'Showing the latest 3 of 5 sessions with runs; 2 earlier sessions are left out.',
      );
      const shown = [...timeline.matchAll(/Session <span class="mono">([^<]+)</g)].map((m) => m[1]);
      expect(shown).toEqual(['session-4', 'session-3', 'session-2']);
    });

    it('prints each host’s utilisation and idle gaps', () => {
      // One host, 2 lanes over 100 s: the example the lane tests below work out by hand.
      const html = renderReport(
        data({ attempts: [ran(0, 0, 40), ran(1, 10, 30), ran(2, 32, 52), ran(3, 60, 100)] }),
      );

      const hosts = text(sectionOf(html, 'timeline'));
      // host, lanes, attempts, busy, utilisation, idle gaps, idle time
      expect(hosts).toContain('h1 2 4 2 min 60% 3 1 min 18 s');
      expect(count(sectionOf(html, 'timeline'), '<title>idle ')).toBe(3);
    });
  });

  describe('failures', () => {
    it('counts failed attempts per kind, retried or final, and lists every attempt of troubled runs', () => {
      const fixture = reportFixture();
      const html = renderReport(fixture);

      const failures = sectionOf(html, 'failures');
      expect(text(failures)).toMatch(/simulation-error\s+2 \(0 retried\)/);
      expect(text(failures)).toMatch(/out-of-memory\s+2 \(1 retried\)/);
      expect(text(failures)).toMatch(/worker-lost\s+1 \(1 retried\)/);
      // Run 14 of Bursty: a timeout, then killed twice; lost.
      const row14 = /<tr><td>Bursty #14<\/td>([\s\S]*?)<\/tr>/.exec(failures)?.[1] ?? '';
      expect(text(row14)).toMatch(/3 .*timeout .*out-of-memory .*out-of-memory .* lost/);
    });

    it('caps the runs table and says how many more there are', () => {
      const attempts = Array.from({ length: MAX_FAILURE_ROWS + 7 }, (_, i) =>
        ran(i, i, i + 1, { status: 'failed', failureKind: 'simulation-error', failureMessage: 'x' }),
      );
      const html = renderReport(data({ attempts }));

      const failures = sectionOf(html, 'failures');
      expect(count(failures.split('<table class="failures">')[1] ?? '', '<tr>')).toBe(MAX_FAILURE_ROWS + 1);
      expect(text(failures)).toContain('… and 7 more runs.');
    });

    it('says so when every run ended ok at once', () => {
      const html = renderReport(data({ attempts: [ran(0, 0, 1), ran(1, 0, 2)] }));
      expect(text(sectionOf(html, 'failures'))).toContain('Every run ended ok on its first attempt.');
    });
  });

  it('shows build and cost of the AWS session, and provenance per session', () => {
    const html = renderReport(reportFixture());

    expect(text(sectionOf(html, 'build'))).toMatch(/s-aws-2 aws \S+ make -j4 MODE=release 4 min 12 s no yes/);
    expect(text(sectionOf(html, 'cost'))).toMatch(
      /2 x c6i\.xlarge \(spot\) \+ 1 x t3\.medium in eu-west-1 \$0\.45 [\d.]+ \$[\d.]+ \$2\.00/,
    );
    const provenance = sectionOf(html, 'provenance');
    expect(count(provenance, '<table class="provenance">')).toBe(2);
    // The banner's first line shows; the whole of it is folded into <details>.
    expect(count(provenance, '<details><summary><code>OMNeT++ Discrete Event Simulation')).toBe(2);
    expect(text(provenance)).toContain('dirty');
  });

  it('stays under 3 MB for 20,000 attempts', () => {
    const large = largeReportData(20_000);
    expect(large.attempts.length).toBeGreaterThanOrEqual(20_000);

    const html = renderReport(large);

    expect(Buffer.byteLength(html)).toBeLessThan(3_000_000);
    expect(count(sectionOf(html, 'timeline'), 'class="host-label"')).toBe(
      new Set(large.attempts.map((a) => a.host)).size,
    );
  });
});

describe('lanes', () => {
  /** The most intervals running at one moment, by a sweep over start and end events. */
  function maxOverlap(intervals: readonly Interval[]): number {
    const events = intervals.flatMap((i) => [
      [i.start, 1],
      [i.end, -1],
    ]);
    // Ends before starts at the same instant: a run ending as another starts frees its slot.
    events.sort((a, b) => (a[0] as number) - (b[0] as number) || (a[1] as number) - (b[1] as number));
    let running = 0;
    let most = 0;
    for (const [, delta] of events) most = Math.max(most, (running += delta as number));
    return most;
  }

  it('packs overlapping intervals into as many lanes as run at once', () => {
    const intervals = [
      { start: 0, end: 10 },
      { start: 2, end: 5 },
      { start: 5, end: 8 },
      { start: 9, end: 12 },
      { start: 11, end: 15 },
    ];

    const packing = packLanes(intervals);

    expect(packing.laneCount).toBe(2);
    expect(packing.lanes).toEqual([0, 1, 1, 1, 0]);
    expect(
      packLanes([
        { start: 0, end: 5 },
        { start: 5, end: 10 },
      ]).laneCount,
    ).toBe(1);
    expect(
      packLanes([
        { start: 0, end: 9 },
        { start: 1, end: 9 },
        { start: 8, end: 9 },
      ]).laneCount,
    ).toBe(3);
    expect(packLanes([]).laneCount).toBe(0);
  });

  it('never puts overlapping intervals in one lane, and opens no more lanes than needed', () => {
    // Intervals of at least 1: a zero-length one still takes a lane when all are busy at its instant.
    let seed = 7;
    const next = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    for (let trial = 0; trial < 50; trial++) {
      const intervals = Array.from({ length: 60 }, () => {
        const start = Math.floor(next() * 1000);
        return { start, end: start + 1 + Math.floor(next() * 120) };
      });

      const { lanes, laneCount } = packLanes(intervals);

      expect(laneCount).toBe(maxOverlap(intervals));
      for (let lane = 0; lane < laneCount; lane++) {
        const inLane = intervals.filter((_, i) => lanes[i] === lane).sort((a, b) => a.start - b.start);
        inLane
          .slice(1)
          .forEach((interval, i) => expect(interval.start).toBeGreaterThanOrEqual(inLane[i]?.end ?? 0));
      }
    }
  });

  it('computes utilisation and idle gaps longer than the threshold, by hand', () => {
    // Lane 0: A [0,40], D [60,100]; lane 1: B [10,30], C [32,52]. Span 100, gaps over 2.
    const intervals = [
      { start: 0, end: 40 },
      { start: 10, end: 30 },
      { start: 32, end: 52 },
      { start: 60, end: 100 },
    ];

    const usage = laneUsage(intervals, packLanes(intervals), { start: 0, end: 100 }, 2);

    expect(usage.laneCount).toBe(2);
    expect(usage.busyMs).toBe(40 + 20 + 20 + 40);
    expect(usage.utilisation).toBeCloseTo(120 / 200);
    // [30,32] is exactly 2 long, not longer: no gap.
    expect(usage.idleGaps).toEqual([
      { lane: 0, start: 40, end: 60 },
      { lane: 1, start: 0, end: 10 },
      { lane: 1, start: 52, end: 100 },
    ]);
    expect(usage.idleMs).toBe(20 + 10 + 48);
  });

  it('has no utilisation for a span of zero', () => {
    const intervals = [{ start: 5, end: 5 }];
    expect(laneUsage(intervals, packLanes(intervals), { start: 5, end: 5 }, 0).utilisation).toBeNull();
  });

  it('merges bars narrower than a pixel, keeping every member and leaving wide bars alone', () => {
    // 1 px per 100 ms: a wide 5 px bar, then 1,000 bars of 0.1 px back to back (100 px in all).
    const wide = { start: 0, end: 500 };
    const narrow = Array.from({ length: 1000 }, (_, i) => ({ start: 500 + i * 10, end: 510 + i * 10 }));

    const merged = mergeNarrowBars([wide, ...narrow], (t) => t / 100, 1);

    expect(merged[0]?.members).toEqual([wide]);
    expect(merged.reduce((sum, bar) => sum + bar.members.length, 0)).toBe(1001);
    expect(merged.length).toBeLessThanOrEqual(1 + 2 * 100 + 1);
    expect(merged.length).toBeGreaterThan(10);
    // Bars separated by a visible gap stay apart even when narrow.
    const apart = [
      { start: 0, end: 10 },
      { start: 300, end: 310 },
    ];
    expect(mergeNarrowBars(apart, (t) => t / 100, 1)).toHaveLength(2);
  });
});

describe('formatting', () => {
  it('prints durations in the largest sensible unit', () => {
    expect(formatDuration(0)).toBe('0 ms');
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(999.6)).toBe('1 s');
    expect(formatDuration(2500)).toBe('2.5 s');
    expect(formatDuration(9960)).toBe('10 s');
    expect(formatDuration(42_000)).toBe('42 s');
    expect(formatDuration(59_700)).toBe('1 min');
    expect(formatDuration(192_000)).toBe('3 min 12 s');
    expect(formatDuration(300_000)).toBe('5 min');
    expect(formatDuration(3_599_600)).toBe('1 h');
    expect(formatDuration(7_500_000)).toBe('2 h 5 min');
    expect(formatDuration(30 * 3_600_000)).toBe('30 h');
    expect(formatDuration(NaN)).toBe('–');
  });

  it('prints timestamps as UTC ISO, percentages, dollars and counts', () => {
    expect(formatUtc(Date.UTC(2026, 10, 24, 9, 5, 7, 450))).toBe('2026-11-24T09:05:07Z');
    expect(formatPercent(0.874)).toBe('87%');
    expect(formatPercent(0.001)).toBe('<1%');
    expect(formatPercent(0)).toBe('0%');
    expect(formatPercent(null)).toBe('–');
    expect(formatUsd(0.452)).toBe('$0.45');
    expect(formatCount(20_000)).toBe('20,000');
    expect(formatCount(999)).toBe('999');
  });
});
