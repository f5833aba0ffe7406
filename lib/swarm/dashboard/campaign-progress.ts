/**
 * A campaign's progress as the dashboard shows it: its runs by outcome, those running now, and when
 * the rest should be done.
 *
 * The ETA is the CLI's model (lib/core/eta.ts RemainingTimeForecast) with what the dashboard has: the
 * campaign's summary and the queue units executing now, but no runtime history (the expected
 * duration of each run is the client's, not in the store). Every run is expected to take the mean
 * duration of the campaign's ok runs so far. The work left is that mean for each run not started
 * yet, plus for each executing unit its runs' mean minus the time it has run already (never below
 * zero: a unit past its expected end is expected to end soon). The ETA is that work spread over the
 * campaign's runner slots, but never less than the longest single piece of it. Counting the time the
 * units have run is what makes the ETA count down while the last long runs execute; without it the
 * estimate stays at one mean duration until they end.
 *
 * The slots are the campaign's executing queue units, not the runner tasks: the stack runs one runner
 * task per node that executes as many runs as the node has cores, so counting tasks would overstate
 * the ETA by that factor. Executing units also give the campaign's real share when several campaigns
 * run at once. Known biases: when runs are queued longest first (the CLI does so from runtime
 * history), the mean of the runs done so far overstates the rest; and a run whose latest attempt was
 * lost may still be retried, but counts as finished, so the estimate errs short while retries are
 * pending.
 */
import type { CampaignSummary } from '../../ports/campaign-store.js';

/** A queue unit executing now: it occupies one runner slot, however many runs it batches. */
export interface ActiveUnit {
  /** Runs in the unit; one process executes them one after the other. */
  readonly runs: number;
  /** When a runner took the unit (epoch ms), or null if the queue does not say. */
  readonly startedAt: number | null;
}

export interface CampaignProgress extends CampaignSummary {
  readonly running: number;
  /** Runs without a final outcome: not yet run, running, or interrupted (they run again on resume). */
  readonly remaining: number;
  /** Estimated time to finish, or null while it cannot be known (no run succeeded yet, none running). */
  readonly etaMs: number | null;
}

/** `active`: the campaign's executing units; `now`: epoch ms, on the clock the units' start is on. */
export function campaignProgress(
  summary: CampaignSummary,
  active: readonly ActiveUnit[],
  now: number,
): CampaignProgress {
  const { ok, failed, lost } = summary.runs;
  const remaining = Math.max(0, summary.totalRuns - ok - failed - lost);
  const running = active.reduce((sum, unit) => sum + unit.runs, 0);
  let etaMs: number | null = null;
  if (remaining === 0) etaMs = 0;
  else if (ok > 0 && active.length > 0) {
    const meanMs = summary.okDurationMs / ok;
    // Runs of executing units have no record yet, so they are among the remaining ones.
    const notStarted = Math.max(0, remaining - running);
    let workMs = notStarted * meanMs;
    let longestMs = notStarted > 0 ? meanMs : 0;
    for (const unit of active) {
      const ranMs = unit.startedAt === null ? 0 : Math.max(0, now - unit.startedAt);
      const leftMs = Math.max(0, unit.runs * meanMs - ranMs);
      workMs += leftMs;
      longestMs = Math.max(longestMs, leftMs);
    }
    etaMs = Math.round(Math.max(workMs / active.length, longestMs));
  }
  return { ...summary, running, remaining, etaMs };
}
