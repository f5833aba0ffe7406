/**
 * The run-time distribution: per config, a histogram of how long the runs that ended ok took (their
 * last attempt). All configs share one time axis so they compare at a glance; it turns logarithmic
 * when the longest run is more than 20 times the shortest, where a linear axis would crush the short
 * runs into the first bin.
 */
import { formatCount, formatDuration } from './format.js';
import { markup, type Html } from './html.js';
import { NO_RUNS_YET, note, section } from './layout.js';
import type { ReportData } from './report-data.js';
import { runHistories } from './runs.js';
import { countTicks, durationTicks, linearScale, logDurationTicks, logScale, type Scale } from './scale.js';
import { binEdges, histogram, quantile } from './stats.js';
import { axisBottom, axisLeft, gridLines, PLOT_WIDTH, px, svg } from './svg.js';

/** Above this ratio of longest to shortest run the axis is logarithmic. */
export const LOG_AXIS_RATIO = 20;

const MARGIN = { left: 48, right: 36, top: 10, bottom: 30 };
const PLOT_HEIGHT = 110;

export interface ConfigDurations {
  readonly configName: string;
  /** Ascending. */
  readonly durationsMs: readonly number[];
}

/** Durations of the runs whose last attempt was ok, per config in order of first appearance. */
export function okDurationsByConfig(data: ReportData): ConfigDurations[] {
  const byConfig = new Map<string, number[]>();
  for (const run of runHistories(data.attempts)) {
    if (run.last.status !== 'ok') continue;
    const list = byConfig.get(run.configName) ?? [];
    list.push(run.last.durationMs);
    byConfig.set(run.configName, list);
  }
  return [...byConfig.entries()].map(([configName, durations]) => ({
    configName,
    durationsMs: durations.sort((a, b) => a - b),
  }));
}

export interface DurationAxis {
  readonly scale: Scale;
  readonly ticks: readonly number[];
  /** Bin edges, ascending; the first and last are the axis ends. */
  readonly edges: readonly number[];
}

/** One axis and one set of bins for all configs, so their histograms line up. */
export function durationAxis(configs: readonly ConfigDurations[]): DurationAxis {
  const all = configs.flatMap((config) => config.durationsMs);
  const min = all.reduce((a, b) => Math.min(a, b), Infinity);
  const max = all.reduce((a, b) => Math.max(a, b), -Infinity);
  const range = [MARGIN.left, PLOT_WIDTH - MARGIN.right] as const;
  // The axis is shared, so one config's runs may cover a fraction of it: bins stay narrow (30 at
  // least) to give each config some shape, and grow with the square root of the runs up to 60.
  const bins = Math.min(60, Math.max(30, Math.round(Math.sqrt(all.length))));
  // A 0 ms run (a config that exits at once) has no place on a log axis; 1 ms stands in for it.
  const positiveMin = Math.max(min, 1);
  if (max / positiveMin > LOG_AXIS_RATIO) {
    const scale = logScale([positiveMin, max], range);
    return { scale, ticks: logDurationTicks(scale, 80), edges: binEdges(positiveMin, max, bins, true) };
  }
  const scale = linearScale([min, max], range);
  const [lo, hi] = scale.domain;
  return { scale, ticks: durationTicks(lo, hi, 9), edges: binEdges(lo, hi, bins, false) };
}

function configHistogram(config: ConfigDurations, axis: DurationAxis): Html {
  const sorted = config.durationsMs;
  const median = quantile(sorted, 0.5);
  const p90 = quantile(sorted, 0.9);
  const first = axis.edges[0] ?? 0;
  const last = axis.edges[axis.edges.length - 1] ?? 0;
  // Clamped so the 0 ms runs a log axis starts above are still counted, in its first bin.
  const counts = histogram(
    sorted.map((value) => Math.min(Math.max(value, first), last)),
    axis.edges,
  );
  const yTicks = countTicks(Math.max(...counts), 4);
  const bottom = MARGIN.top + PLOT_HEIGHT;
  const y = linearScale([0, yTicks[yTicks.length - 1] ?? 1], [bottom, MARGIN.top]);
  const x = axis.scale;
  const bars = counts.map((count, i) => {
    if (count === 0) return null;
    const lo = axis.edges[i] ?? first;
    const hi = axis.edges[i + 1] ?? last;
    // Half a pixel of air on each side keeps neighbouring bars apart.
    const width = Math.max(1, x.map(hi) - x.map(lo) - 1);
    const runs = count === 1 ? 'run' : 'runs';
    return markup`<rect x="${px(x.map(lo) + 0.5)}" y="${px(y.map(count))}" width="${px(width)}" height="${px(bottom - y.map(count))}"><title>${formatCount(count)} ${runs} of ${formatDuration(lo)} to ${formatDuration(hi)}</title></rect>`;
  });
  const marker = (value: number, className: string, label: string) => {
    const at = px(x.map(Math.min(Math.max(value, first), last)));
    return markup`<line class="${className}" x1="${at}" y1="${px(MARGIN.top)}" x2="${at}" y2="${px(bottom)}"><title>${label} ${formatDuration(value)}</title></line>`;
  };
  const plot = svg(
    {
      width: PLOT_WIDTH,
      height: bottom + MARGIN.bottom,
      className: 'plot histogram',
      label: `Run times of ${config.configName}`,
    },
    markup`${gridLines(x, axis.ticks, MARGIN.top, bottom)}
<g class="hist">${bars}</g>
${marker(median, 'median', 'median')}${marker(p90, 'p90', '90th percentile')}
${axisLeft(y, yTicks, MARGIN.left, formatCount)}
${axisBottom(x, axis.ticks, bottom, formatDuration)}`,
  );
  return markup`<div class="config-runtime">
<h3>${config.configName}</h3>
<p class="stats">${formatCount(sorted.length)} ok ${sorted.length === 1 ? 'run' : 'runs'} · shortest <b>${formatDuration(sorted[0] ?? 0)}</b> · median <b>${formatDuration(median)}</b> · p90 <b>${formatDuration(p90)}</b> · max <b>${formatDuration(sorted[sorted.length - 1] ?? 0)}</b></p>
${plot}
</div>
`;
}

export function runtimeSection(data: ReportData): Html {
  const title = 'Run time per config';
  const configs = okDurationsByConfig(data);
  if (configs.length === 0) {
    return section(
      'runtime',
      title,
      note(data.attempts.length === 0 ? NO_RUNS_YET : 'No run has ended ok yet.'),
    );
  }
  const axis = durationAxis(configs);
  const scaleNote = axis.scale.log
    ? `The time axis is logarithmic: the longest run took more than ${LOG_AXIS_RATIO} times as long as the shortest.`
    : 'The time axis is linear.';
  return section(
    'runtime',
    title,
    markup`<p class="intro">How long the runs that ended ok took (their last attempt), all configs on one axis. ${scaleNote} <span class="key-median">Dashed</span>: median; <span class="key-p90">dotted</span>: 90th percentile.</p>
${configs.map((config) => configHistogram(config, axis))}`,
  );
}
