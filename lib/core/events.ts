/** Progress events of a campaign, in the order they happen. Rendered by the CLI; `--json` prints them. */
import type { RunRecord } from './campaign.js';

export interface CampaignCounts {
  /** Runs selected by the plan. */
  readonly total: number;
  /** Skipped because earlier results are present and intact. */
  readonly reused: number;
  readonly ok: number;
  readonly failed: number;
  readonly lost: number;
  readonly interrupted: number;
  readonly running: number;
}

/** What a campaign's cloud machines have cost so far and are expected to cost in all (aws). */
export interface CostMeter {
  readonly spentUsd: number;
  readonly projectedUsd: number;
  readonly budgetUsd: number | null;
}

export type CampaignEvent =
  | {
      readonly type: 'campaign-started';
      readonly campaignId: string;
      readonly configName: string;
      readonly resultDir: string;
      readonly total: number;
      readonly toRun: number;
      /** Why runs are (re)run: `new`, `failed`, `missing-file`, `stale`... -> count. */
      readonly reasons: Readonly<Record<string, number>>;
      /** Runs at a time on this machine; 0 when a swarm runs them. */
      readonly jobs: number;
    }
  | {
      readonly type: 'process-started';
      readonly runNumbers: readonly number[];
      readonly argv: readonly string[];
    }
  | {
      readonly type: 'run-finished';
      readonly record: RunRecord;
      readonly counts: CampaignCounts;
      /** Expected time to completion in ms, or null before anything is known. */
      readonly etaMs: number | null;
    }
  | {
      readonly type: 'run-retry';
      readonly runNumber: number;
      readonly attempt: number;
      readonly reason: string;
      readonly delayMs: number;
    }
  /** A fresh reading of time to go and money spent, between runs (aws: at every status poll). */
  | { readonly type: 'meter'; readonly etaMs: number | null; readonly cost: CostMeter | null }
  | { readonly type: 'campaign-stopping'; readonly reason: string }
  /** A line of the swarm's build output (swarm backend), as it happens. */
  | { readonly type: 'build-log'; readonly line: string }
  /** Something the user should know that is not about one run (orphans reaped, source changed...). */
  | { readonly type: 'notice'; readonly message: string }
  | { readonly type: 'campaign-finished'; readonly counts: CampaignCounts; readonly elapsedMs: number };
