/**
 * The timeline: per session, a Gantt chart with a row group per host and a row per lane (one slot
 * running one thing at a time), bars coloured by how each attempt ended, idle stretches hatched.
 * Next to each host: how busy its lanes were. Only the latest sessions are drawn, and bars too narrow
 * to see are merged, so a campaign of 20,000 attempts stays a file a browser opens at once.
 */
import type { RunStatus } from '../core/campaign.js';
import { formatCount, formatDuration, formatPercent, formatUtc } from './format.js';
import { markup, truncate, type Html } from './html.js';
import { laneUsage, mergeNarrowBars, packLanes, type LaneUsage, type MergedBar } from './lanes.js';
import { NO_RUNS_YET, note, section, table } from './layout.js';
import type { ReportAttempt, ReportData } from './report-data.js';
import { RUN_STATUSES, sessionRuns, type SessionRuns } from './runs.js';
import { durationTicks, linearScale, type Scale } from './scale.js';
import { axisBottom, gridLines, PLOT_WIDTH, px, svg } from './svg.js';

/** Sessions drawn; older ones are counted, not drawn. */
export const MAX_TIMELINE_SESSIONS = 3;
/** A lane idle for longer than this share of the session's span is an idle gap. */
export const IDLE_GAP_FRACTION = 0.02;

const LABEL_WIDTH = 230;
const MARGIN = { right: 36, top: 6, bottom: 30 };
/** Lanes shrink to fit this height, between the two limits below. */
const LANES_HEIGHT = 560;
const MAX_LANE_HEIGHT = 14;
const MIN_LANE_HEIGHT = 3;
/** A host's row group is never shorter than its label. */
const MIN_GROUP_HEIGHT = 16;
const GROUP_GAP = 6;
const HOST_LABEL_CHARS = 24;

/** The colour a merged bar takes: the worst outcome among its attempts, so a failure stays visible. */
const SEVERITY: readonly RunStatus[] = ['failed', 'lost', 'interrupted', 'ok'];

interface Bar {
  readonly start: number;
  readonly end: number;
  readonly attempt: ReportAttempt;
}

export interface HostTimeline {
  readonly host: string;
  readonly attempts: number;
  readonly usage: LaneUsage;
  /** Per lane, its bars in start order. */
  readonly lanes: readonly (readonly Bar[])[];
}

/** One session's hosts (in natural order of name), packed into lanes; `span` is when it had work. */
export function hostTimelines(
  attempts: readonly ReportAttempt[],
  span: { start: number; end: number },
): HostTimeline[] {
  const byHost = new Map<string, Bar[]>();
  for (const attempt of attempts) {
    const bar = { start: attempt.startedAt, end: Math.max(attempt.startedAt, attempt.endedAt), attempt };
    const bars = byHost.get(attempt.host);
    if (bars === undefined) byHost.set(attempt.host, [bar]);
    else bars.push(bar);
  }
  const minGapMs = IDLE_GAP_FRACTION * (span.end - span.start);
  return [...byHost.entries()]
    .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))
    .map(([host, bars]) => {
      const packing = packLanes(bars);
      const lanes: Bar[][] = Array.from({ length: packing.laneCount }, () => []);
      bars.forEach((bar, i) => lanes[packing.lanes[i] ?? 0]?.push(bar));
      for (const lane of lanes) lane.sort((a, b) => a.start - b.start);
      return { host, attempts: bars.length, usage: laneUsage(bars, packing, span, minGapMs), lanes };
    });
}

function worstStatus(bars: readonly Bar[]): RunStatus {
  return SEVERITY.find((status) => bars.some((bar) => bar.attempt.status === status)) ?? 'ok';
}

function barTitle(merged: MergedBar<Bar>, showConfig: boolean): string {
  const [only] = merged.members;
  if (merged.members.length === 1 && only !== undefined) {
    const a = only.attempt;
    const config = showConfig ? `${a.configName} ` : '';
    const retry = a.attempt > 1 ? ` (attempt ${a.attempt})` : '';
    // Cut short: this title is repeated for every bar, and the failures table has descriptions whole.
    return `${config}#${a.runNumber} ${a.status} ${formatDuration(a.durationMs)}${retry}: ${truncate(a.description, 48)}`;
  }
  const counts = RUN_STATUSES.map((status) => {
    const count = merged.members.filter((bar) => bar.attempt.status === status).length;
    return count > 0 ? `${count} ${status}` : null;
  }).filter((text) => text !== null);
  return `${merged.members.length} runs in ${formatDuration(merged.end - merged.start)}: ${counts.join(', ')}`;
}

interface Placement {
  readonly top: number;
  readonly height: number;
}

/** Where each host's row group goes; lanes shrink when there are many, down to a few pixels. */
function placeHosts(hosts: readonly HostTimeline[]): {
  places: Placement[];
  laneHeight: number;
  bottom: number;
} {
  const totalLanes = hosts.reduce((sum, host) => sum + host.usage.laneCount, 0);
  const laneHeight = Math.max(
    MIN_LANE_HEIGHT,
    Math.min(MAX_LANE_HEIGHT, Math.floor(LANES_HEIGHT / Math.max(1, totalLanes))),
  );
  let top = MARGIN.top;
  const places = hosts.map((host) => {
    const height = Math.max(MIN_GROUP_HEIGHT, host.usage.laneCount * laneHeight);
    const place = { top, height };
    top += height + GROUP_GAP;
    return place;
  });
  return { places, laneHeight, bottom: top };
}

function hostLabel(host: HostTimeline, middle: number, spanMs: number): Html {
  const usage = `busy ${formatDuration(host.usage.busyMs)} of ${host.usage.laneCount} lanes × ${formatDuration(spanMs)}`;
  return markup`<text class="host-label" x="6" y="${px(middle)}" dy="0.32em"><title>${host.host}</title>${truncate(host.host, HOST_LABEL_CHARS)}</text><text class="host-usage" x="${LABEL_WIDTH - 10}" y="${px(middle)}" dy="0.32em" text-anchor="end"><title>${usage}</title>${formatPercent(host.usage.utilisation)}</text>
`;
}

function sessionChart(
  hosts: readonly HostTimeline[],
  span: { start: number; end: number },
  index: number,
  showConfig: boolean,
): Html {
  const { places, laneHeight, bottom } = placeHosts(hosts);
  const axisY = bottom - GROUP_GAP / 2;
  // A session whose runs all took no time still gets an axis a millisecond long.
  const x: Scale = linearScale(
    [span.start, Math.max(span.end, span.start + 1)],
    [LABEL_WIDTH, PLOT_WIDTH - MARGIN.right],
  );
  const ticks = durationTicks(0, span.end - span.start, 10).map((elapsed) => span.start + elapsed);
  // Bars leave a pixel between lanes once lanes are tall enough to spare it.
  const barHeight = px(laneHeight > 4 ? laneHeight - 1 : laneHeight);
  const hatch = `hatch-${index}`;
  const byStatus: Record<RunStatus, Html[]> = { ok: [], failed: [], lost: [], interrupted: [] };
  const idle: Html[] = [];
  const labels: Html[] = [];
  const bands: Html[] = [];

  hosts.forEach((host, h) => {
    const place = places[h] ?? { top: 0, height: 0 };
    bands.push(
      markup`<rect x="0" y="${px(place.top - GROUP_GAP / 2)}" width="${PLOT_WIDTH}" height="${px(place.height + GROUP_GAP)}"/>`,
    );
    labels.push(hostLabel(host, place.top + place.height / 2, span.end - span.start));
    const laneTop = (lane: number) => px(place.top + lane * laneHeight);
    for (const gap of host.usage.idleGaps) {
      const width = x.map(gap.end) - x.map(gap.start);
      idle.push(
        markup`<rect x="${px(x.map(gap.start))}" y="${laneTop(gap.lane)}" width="${px(width)}" height="${barHeight}"><title>idle ${formatDuration(gap.end - gap.start)}</title></rect>`,
      );
    }
    host.lanes.forEach((lane, l) => {
      const y = laneTop(l);
      for (const merged of mergeNarrowBars(lane, x.map, 1)) {
        // At least half a pixel wide: a run of a few milliseconds still shows where it ran.
        const width = Math.max(0.5, x.map(merged.end) - x.map(merged.start));
        byStatus[worstStatus(merged.members)].push(
          markup`<rect x="${px(x.map(merged.start))}" y="${y}" width="${px(width)}" height="${barHeight}"><title>${barTitle(merged, showConfig)}</title></rect>`,
        );
      }
    });
  });

  const pattern = markup`<pattern id="${hatch}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" class="hatch-bg"/><line x1="0" y1="0" x2="0" y2="6" class="hatch-line"/></pattern>`;
  return svg(
    {
      width: PLOT_WIDTH,
      height: bottom + MARGIN.bottom,
      className: 'plot timeline',
      label: 'Runs over time per host',
    },
    markup`<defs>${pattern}</defs>
<g class="bands">${bands}</g>
${gridLines(x, ticks, MARGIN.top - GROUP_GAP / 2, axisY)}
<g class="idle" fill="url(#${hatch})">${idle}</g>
${RUN_STATUSES.map(
  (status) => markup`<g class="bars s-${status}">${byStatus[status]}</g>
`,
)}${labels}${axisBottom(x, ticks, axisY, (t) => (t === span.start ? '0' : formatDuration(t - span.start)))}`,
  );
}

function hostTable(hosts: readonly HostTimeline[]): Html {
  return table(
    'hosts',
    [
      { header: 'host', cell: (h: HostTimeline) => markup`<span class="mono">${h.host}</span>` },
      { header: 'lanes', cell: (h) => formatCount(h.usage.laneCount), numeric: true },
      { header: 'attempts', cell: (h) => formatCount(h.attempts), numeric: true },
      { header: 'busy', cell: (h) => formatDuration(h.usage.busyMs), numeric: true },
      { header: 'utilisation', cell: (h) => formatPercent(h.usage.utilisation), numeric: true },
      { header: 'idle gaps', cell: (h) => formatCount(h.usage.idleGaps.length), numeric: true },
      {
        header: 'idle time',
        cell: (h) => (h.usage.idleGaps.length === 0 ? '–' : formatDuration(h.usage.idleMs)),
        numeric: true,
      },
    ],
    hosts,
  );
}

function sessionTimeline(session: SessionRuns, index: number, showConfig: boolean): Html {
  const work = session.work ?? { start: session.startedAt, end: session.startedAt };
  const hosts = hostTimelines(session.attempts, work);
  const capacity = hosts.reduce((sum, host) => sum + host.usage.laneCount, 0) * (work.end - work.start);
  const busy = hosts.reduce((sum, host) => sum + host.usage.busyMs, 0);
  const lead = work.start - session.startedAt;
  // Worth a sentence when it would have been an idle gap: a cluster coming up, a build.
  const leadNote =
    lead > IDLE_GAP_FRACTION * (work.end - work.start)
      ? ` The first run started ${formatDuration(lead)} after the session began; the axis starts there.`
      : null;
  return markup`<div class="session-timeline">
<h3>Session <span class="mono">${session.sessionId}</span> · ${session.session?.backend ?? 'unknown backend'}</h3>
<p class="stats">started ${formatUtc(session.startedAt)} · ${formatCount(session.attempts.length)} attempts on ${formatCount(hosts.length)} ${hosts.length === 1 ? 'host' : 'hosts'} · span ${formatDuration(work.end - work.start)} · utilisation <b>${formatPercent(capacity > 0 ? busy / capacity : null)}</b>.${leadNote}</p>
${sessionChart(hosts, work, index, showConfig)}
${hostTable(hosts)}
</div>
`;
}

export function timelineSection(data: ReportData): Html {
  const sessions = sessionRuns(data).filter((session) => session.attempts.length > 0);
  if (sessions.length === 0) return section('timeline', 'Timeline', note(NO_RUNS_YET));
  const shown = sessions.slice(0, MAX_TIMELINE_SESSIONS);
  const omitted = sessions.length - shown.length;
  const showConfig = new Set(data.attempts.map((attempt) => attempt.configName)).size > 1;
  const omittedNote =
    omitted > 0
      ? note(
          `Showing the latest ${shown.length} of ${sessions.length} sessions with runs; ${omitted} earlier ${omitted === 1 ? 'session is' : 'sessions are'} left out.`,
        )
      : null;
  return section(
    'timeline',
    'Timeline',
    markup`<p class="intro">Each host's runs packed into lanes, latest session first. A lane is one slot running one thing at a time, so a host has as many lanes as it ran runs at once. The percentage beside a host is its utilisation: time busy over its lanes × the session's span (first start to last end). Hatched: an idle gap, a lane with nothing to run for more than ${formatPercent(IDLE_GAP_FRACTION)} of the span.</p>
<p class="legend">${RUN_STATUSES.map((status) => markup`<span class="swatch s-${status}"></span>${status} `)}<span class="swatch idle-swatch"></span>idle gap</p>
${omittedNote}
${shown.map((session, index) => sessionTimeline(session, index, showConfig))}`,
  );
}
