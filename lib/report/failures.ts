/**
 * Failures and retries: how many attempts ended in each kind of failure (split into those retried
 * and those that were the run's last word), and a table of the runs that needed more than one
 * attempt or did not end ok, with every attempt's reason.
 */
import type { FailureKind, RunStatus } from '../core/campaign.js';
import { barChart, type BarItem } from './bar-chart.js';
import { formatCount, formatDuration } from './format.js';
import { markup, truncate, type Html } from './html.js';
import { NO_RUNS_YET, note, section, table } from './layout.js';
import type { ReportAttempt, ReportData } from './report-data.js';
import { runHistories, type RunHistory } from './runs.js';

/** Rows of the runs table; the rest are counted. */
export const MAX_FAILURE_ROWS = 200;
const MAX_MESSAGE_CHARS = 300;
const TITLE = 'Failures and retries';

/** The simulation's own fault, the machine's, or ours: the colours of the matching run statuses. */
const KIND_CLASS: Partial<Record<string, string>> & Record<FailureKind, string> = {
  'simulation-error': 'k-failed',
  'exit-code': 'k-failed',
  'spawn-error': 'k-failed',
  signal: 'k-lost',
  'out-of-memory': 'k-lost',
  timeout: 'k-lost',
  'worker-lost': 'k-lost',
  interrupted: 'k-interrupted',
};

const STATUS_ORDER: readonly RunStatus[] = ['failed', 'lost', 'interrupted', 'ok'];

/** An attempt that did not end ok but names no failure kind still counts, under its status. */
function kindOf(attempt: ReportAttempt): string {
  return attempt.failureKind ?? `${attempt.status} (no reason recorded)`;
}

export interface FailureKindCount {
  readonly kind: string;
  /** Attempts of this kind that a later attempt of the same run followed. */
  readonly retried: number;
  /** Attempts of this kind that were their run's last. */
  readonly final: number;
}

/** Attempts that did not end ok, per kind, most frequent first. */
export function failureKindCounts(runs: readonly RunHistory[]): FailureKindCount[] {
  const counts = new Map<string, { retried: number; final: number }>();
  for (const run of runs) {
    for (const attempt of run.attempts) {
      if (attempt.status === 'ok') continue;
      const count = counts.get(kindOf(attempt)) ?? { retried: 0, final: 0 };
      if (attempt === run.last) count.final += 1;
      else count.retried += 1;
      counts.set(kindOf(attempt), count);
    }
  }
  return [...counts.entries()]
    .map(([kind, count]) => ({ kind, ...count }))
    .sort((a, b) => b.retried + b.final - (a.retried + a.final) || a.kind.localeCompare(b.kind));
}

function kindChart(counts: readonly FailureKindCount[]): Html {
  const items = counts.map((count): BarItem => {
    const kindClass = KIND_CLASS[count.kind] ?? 'k-failed';
    return {
      label: count.kind,
      segments: [
        { value: count.final, className: kindClass, title: `${count.final} ended their run` },
        { value: count.retried, className: `${kindClass} retried`, title: `${count.retried} retried` },
      ],
      valueLabel: `${formatCount(count.final + count.retried)} (${formatCount(count.retried)} retried)`,
    };
  });
  return barChart(items, { className: 'failure-kinds', label: 'Failed attempts per kind' });
}

/** Runs that took more than one attempt or did not end ok, worst outcome first. */
export function troubledRuns(runs: readonly RunHistory[]): RunHistory[] {
  return runs
    .filter((run) => run.attempts.length > 1 || run.last.status !== 'ok')
    .sort(
      (a, b) =>
        STATUS_ORDER.indexOf(a.last.status) - STATUS_ORDER.indexOf(b.last.status) ||
        a.configName.localeCompare(b.configName) ||
        a.runNumber - b.runNumber,
    );
}

function attemptItem(attempt: ReportAttempt): Html {
  const message = attempt.failureMessage ?? '';
  const reason =
    attempt.status === 'ok'
      ? markup`<span class="s-text-ok">ok</span>`
      : markup`<span class="kind">${kindOf(attempt)}</span> <span class="msg" title="${message}">${truncate(message, MAX_MESSAGE_CHARS)}</span>`;
  return markup`<li>${reason} <span class="muted">· <span class="mono">${attempt.host}</span>, ${formatDuration(attempt.durationMs)}</span></li>`;
}

function runsTable(runs: readonly RunHistory[], showConfig: boolean): Html {
  const shown = runs.slice(0, MAX_FAILURE_ROWS);
  const rest = runs.length - shown.length;
  const rows = table(
    'failures',
    [
      {
        header: 'run',
        cell: (run: RunHistory) => (showConfig ? `${run.configName} #${run.runNumber}` : `#${run.runNumber}`),
      },
      { header: 'description', cell: (run) => markup`<span class="mono">${run.description}</span>` },
      { header: 'attempts', cell: (run) => formatCount(run.attempts.length), numeric: true },
      {
        header: 'each attempt',
        cell: (run) => markup`<ol class="attempts">${run.attempts.map(attemptItem)}</ol>`,
      },
      {
        header: 'final status',
        cell: (run) => markup`<span class="status s-text-${run.last.status}">${run.last.status}</span>`,
      },
    ],
    shown,
  );
  return markup`${rows}
${rest > 0 ? note(`… and ${formatCount(rest)} more ${rest === 1 ? 'run' : 'runs'}.`) : null}`;
}

export function failuresSection(data: ReportData): Html {
  if (data.attempts.length === 0) return section('failures', TITLE, note(NO_RUNS_YET));
  const runs = runHistories(data.attempts);
  const troubled = troubledRuns(runs);
  if (troubled.length === 0)
    return section('failures', TITLE, note('Every run ended ok on its first attempt.'));
  const counts = failureKindCounts(runs);
  const showConfig = new Set(runs.map((run) => run.configName)).size > 1;
  const failed = counts.reduce((sum, count) => sum + count.retried + count.final, 0);
  return section(
    'failures',
    TITLE,
    markup`<p class="intro">${formatCount(failed)} ${failed === 1 ? 'attempt' : 'attempts'} did not end ok. Per kind: solid, the run's last attempt; light, retried afterwards. Errors of the simulation itself are not retried; lost machines, signals and timeouts are.</p>
${counts.length > 0 ? kindChart(counts) : null}
<h3>Runs that needed more than one attempt or did not end ok (${formatCount(troubled.length)})</h3>
${runsTable(troubled, showConfig)}`,
  );
}
