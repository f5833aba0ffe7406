/** The report's head: what the campaign is, how far it got, and how long it took. */
import { formatCount, formatDuration, formatUtc } from './format.js';
import { markup, type Html, type HtmlValue } from './html.js';
import type { ReportData } from './report-data.js';
import { finalStatusCounts, RUN_STATUSES, runHistories, sessionRuns, wallTimeMs } from './runs.js';

/** An argument as a shell needs it typed, so the command line can be copied and run. */
export function shellQuote(arg: string): string {
  if (/^[\w@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function summarySection(data: ReportData): Html {
  const runs = runHistories(data.attempts);
  const counts = finalStatusCounts(runs);
  const sessions = sessionRuns(data);
  const wall = sessions.reduce((sum, session) => sum + wallTimeMs(session), 0);
  const retries = data.attempts.length - runs.length;
  const notYet = data.plannedRuns === null ? 0 : Math.max(0, data.plannedRuns - runs.length);
  const finalStatus = RUN_STATUSES.map(
    (status) =>
      markup`<span class="count s-text-${status}" data-status="${status}"><b>${formatCount(counts[status])}</b> ${status}</span>`,
  );
  const rows: [string, HtmlValue][] = [
    ['config', data.configName],
    ['command', markup`<code>${[data.program, ...data.args].map(shellQuote).join(' ')}</code>`],
    ['working directory', markup`<code>${data.workingDir}</code>`],
    ['result directory', markup`<code>${data.resultDir}</code>`],
    ['planned runs', data.plannedRuns === null ? 'unknown' : formatCount(data.plannedRuns)],
    ['runs recorded', `${formatCount(runs.length)}${notYet > 0 ? ` (${formatCount(notYet)} not yet)` : ''}`],
    ['attempts', `${formatCount(data.attempts.length)} (${formatCount(retries)} retries)`],
    ['final status', runs.length === 0 ? 'no runs recorded yet' : finalStatus],
    [
      'wall time',
      sessions.length === 0
        ? 'no sessions yet'
        : `${formatDuration(wall)} in ${formatCount(sessions.length)} ${sessions.length === 1 ? 'session' : 'sessions'}, each from its start to its last run's end`,
    ],
    ['generated at', formatUtc(data.generatedAt)],
  ];
  return markup`<section id="summary">
<h2>Summary</h2>
<dl class="summary">
${rows.map(
  ([name, value]) => markup`<dt>${name}</dt><dd>${value}</dd>
`,
)}</dl>
</section>
`;
}
