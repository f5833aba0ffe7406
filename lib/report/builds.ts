/** Build time: how long building the source in the swarm or cluster took, per session. */
import { barChart } from './bar-chart.js';
import { formatDuration, formatUtc } from './format.js';
import { markup, type Html } from './html.js';
import { note, section, table } from './layout.js';
import type { ReportBuild, ReportData } from './report-data.js';

const TITLE = 'Build time';

function buildClass(build: ReportBuild): string {
  if (!build.ok) return 'build-failed';
  return build.cached ? 'build-cached' : 'build-ok';
}

function outcome(build: ReportBuild): string {
  if (!build.ok) return 'failed';
  return build.cached ? 'reused' : 'built';
}

export function buildsSection(data: ReportData): Html {
  if (data.builds.length === 0) {
    return section(
      'build',
      TITLE,
      note('No builds: local campaigns run the program as it is, without a build.'),
    );
  }
  const chart = barChart(
    data.builds.map((build) => ({
      label: `${build.sessionId} · ${build.backend}`,
      segments: [{ value: build.durationMs, className: buildClass(build), title: outcome(build) }],
      valueLabel: `${formatDuration(build.durationMs)}, ${outcome(build)}`,
    })),
    { className: 'builds', label: 'Build time per session' },
  );
  const rows = table(
    'builds',
    [
      { header: 'session', cell: (b: ReportBuild) => markup`<span class="mono">${b.sessionId}</span>` },
      { header: 'backend', cell: (b) => b.backend },
      { header: 'started', cell: (b) => (b.startedAt === null ? '–' : formatUtc(b.startedAt)) },
      { header: 'command', cell: (b) => (b.command === null ? '–' : markup`<code>${b.command}</code>`) },
      { header: 'duration', cell: (b) => formatDuration(b.durationMs), numeric: true },
      { header: 'cached', cell: (b) => (b.cached ? 'yes' : 'no') },
      { header: 'ok', cell: (b) => (b.ok ? 'yes' : markup`<span class="s-text-failed">no</span>`) },
    ],
    data.builds,
  );
  return section(
    'build',
    TITLE,
    markup`<p class="intro">Building the source where it runs, once per session; a cached build reused an identical earlier one.</p>
${chart}
${rows}`,
  );
}
