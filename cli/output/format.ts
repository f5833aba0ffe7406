/** Formatting helpers shared by the reporters. */
import type { RunRecord } from '../../lib/core/campaign.js';
import { formatUsd } from '../../lib/aws/client/cost-estimate.js';
import type { CampaignEvent, CostMeter } from '../../lib/core/events.js';

export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (ms < 10_000) return `${(ms / 1000).toFixed(2)}s`;
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(s).padStart(2, '0')}s`;
}

/** Whether to use colour: only on a TTY, never with NO_COLOR (https://no-color.org). */
export function useColour(stream: NodeJS.WriteStream): boolean {
  return stream.isTTY && !process.env.NO_COLOR;
}

export function describeRun(record: RunRecord): string {
  return `run ${record.runNumber} (${record.description})`;
}

export function startLine(event: Extract<CampaignEvent, { type: 'campaign-started' }>): string {
  const reused = event.total - event.toRun;
  const why = Object.entries(event.reasons)
    .map(([reason, count]) => `${count} ${reason}`)
    .join(', ');
  const resume = reused > 0 ? `; ${reused} already done, kept` : '';
  return `${event.configName}: ${event.total} runs selected${resume}; running ${event.toRun}${why ? ` (${why})` : ''} ${event.jobs > 0 ? `on ${event.jobs} jobs` : 'in the swarm'}\n`;
}

export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./=:,+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The live cost meter: `$0.42 of ~$1.10` (spent, projected in all), `/ $5.00 budget` when there is one. */
export function costText(cost: CostMeter): string {
  const budget = cost.budgetUsd === null ? '' : ` / ${formatUsd(cost.budgetUsd)} budget`;
  return `${formatUsd(cost.spentUsd)} of ~${formatUsd(cost.projectedUsd)}${budget}`;
}
