/**
 * A campaign's progress as the dashboard shows it: its runs by outcome, those running now, and when
 * the rest should be done.
 */
import type { CampaignSummary } from '../../ports/campaign-store.js';

/** What the run queue says is executing for a campaign right now. */
export interface ActiveUnits {
  /** Queue units being executed: each occupies one runner slot, however many runs it batches. */
  readonly units: number;
  /** Runs in those units. */
  readonly runs: number;
}

export interface CampaignProgress extends CampaignSummary {
  readonly running: number;
  /** Runs without a final outcome: not yet run, running, or interrupted (they run again on resume). */
  readonly remaining: number;
  /** Estimated time to finish, or null while it cannot be known (no run succeeded yet, none running). */
  readonly etaMs: number | null;
}

/**
 * ETA = remaining runs × mean duration of the ok runs ÷ runner slots working on the campaign.
 *
 * The slots are the campaign's active queue units, not the runner tasks: the stack runs one runner
 * task per node that executes as many runs as the node has cores, so counting tasks would overstate
 * the ETA by that factor. Active units also give the campaign's real share when several campaigns
 * run at once. A run whose latest attempt was lost may still be retried; it counts as finished, so
 * the estimate errs short while retries are pending.
 */
export function campaignProgress(summary: CampaignSummary, active: ActiveUnits): CampaignProgress {
  const { ok, failed, lost } = summary.runs;
  const remaining = Math.max(0, summary.totalRuns - ok - failed - lost);
  let etaMs: number | null = null;
  if (remaining === 0) etaMs = 0;
  else if (ok > 0 && active.units > 0)
    etaMs = Math.round(((summary.okDurationMs / ok) * remaining) / active.units);
  return { ...summary, running: active.runs, remaining, etaMs };
}
