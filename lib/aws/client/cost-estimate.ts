/**
 * What a campaign is expected to cost, shown before anything is created: the cluster's hourly rate
 * (lib/aws/cost.ts, from the instance catalog), the hours the runs should take (their expected
 * simulation time from the local runtime history, spread over the workers' cores, plus the idle grace
 * before teardown), and the most it can cost (the budget, or the hourly rate times the maximum
 * lifetime). Provisioning and the build are not in the estimate: they take minutes, not hours.
 */
import type { RunSpec } from '../../core/campaign.js';
import { RuntimeEstimator, type RuntimeSample } from '../../core/runtime-history.js';
import type { CampaignSpec } from '../campaign-spec.js';
import { clusterRate, expectedHours } from '../cost.js';

export interface CostEstimate {
  readonly usdPerHour: number;
  readonly workerVcpus: number;
  /** Runs the campaign will execute, or null when they cannot be enumerated here. */
  readonly runs: number | null;
  /** Expected single-core simulation time of those runs, or null without runtime history. */
  readonly workSeconds: number | null;
  /** Hours the cluster is expected to be up (runs + idle grace), or null when unknown. */
  readonly expectedHours: number | null;
  readonly expectedUsd: number | null;
  /** The most the campaign can cost: the budget, or the rate over the maximum lifetime. */
  readonly capUsd: number;
  readonly capReason: 'budget' | 'max-lifetime';
}

/**
 * Expected simulation time of `runs`: each run's own history (exact, or runs with the same
 * parameters), else the mean duration of the config's runs. Null when the config has no history.
 */
export function expectedWorkSeconds(
  runs: readonly RunSpec[],
  campaignId: string,
  configName: string,
  history: readonly RuntimeSample[],
): number | null {
  const samples = history.filter((s) => s.campaignId === campaignId && s.configName === configName);
  if (samples.length === 0) return null;
  const mean = samples.reduce((sum, s) => sum + s.durationMs, 0) / samples.length;
  const estimator = new RuntimeEstimator(campaignId, configName, samples);
  const totalMs = runs.reduce((sum, run) => sum + (estimator.estimate(run) ?? mean), 0);
  return totalMs / 1000;
}

export function estimateCost(
  spec: Pick<CampaignSpec, 'cluster' | 'limits'>,
  runs: number | null,
  workSeconds: number | null,
): CostEstimate {
  const rate = clusterRate(spec.cluster);
  const hours =
    workSeconds === null
      ? null
      : expectedHours(spec.cluster, workSeconds) + spec.limits.idleGraceMinutes / 60;
  const lifetimeUsd = (rate.usdPerHour * spec.limits.maxLifetimeMinutes) / 60;
  const budget = spec.limits.budgetUsd;
  return {
    usdPerHour: rate.usdPerHour,
    workerVcpus: rate.workerVcpus,
    runs,
    workSeconds,
    expectedHours: hours,
    expectedUsd: hours === null ? null : hours * rate.usdPerHour,
    capUsd: budget !== null && budget < lifetimeUsd ? budget : lifetimeUsd,
    capReason: budget !== null && budget < lifetimeUsd ? 'budget' : 'max-lifetime',
  };
}

export function formatUsd(usd: number): string {
  return usd < 10 ? `$${usd.toFixed(2)}` : `$${usd.toFixed(0)}`;
}

function formatHours(hours: number): string {
  return hours < 1 ? `${Math.max(1, Math.round(hours * 60))} min` : `${hours.toFixed(1)} h`;
}

/** `1 x t3.medium manager(s), 2 x c6i.xlarge (0 on demand, the rest spot)`: the cluster's machines. */
export function describeMachines(cluster: CampaignSpec['cluster']): string {
  const workers = cluster.spot
    ? `${cluster.clusterSize} x ${cluster.instanceType} (${Math.min(cluster.onDemandBase, cluster.clusterSize)} on demand, the rest spot)`
    : `${cluster.clusterSize} x ${cluster.instanceType} on demand`;
  return `${cluster.managerSize} x ${cluster.managerInstanceType} manager(s), ${workers}`;
}

/** The estimate as the lines shown before the user confirms. */
export function costEstimateLines(
  spec: Pick<CampaignSpec, 'cluster' | 'limits'>,
  estimate: CostEstimate,
): string[] {
  const { cluster, limits } = spec;
  const lines = [
    `cluster in ${cluster.region}: ${describeMachines(cluster)}; ${estimate.workerVcpus} worker vCPUs`,
    `cost per hour: ${formatUsd(estimate.usdPerHour)} (list prices; spot assumed at a fraction of on demand)`,
  ];
  if (estimate.runs === null)
    lines.push('runs: unknown here (the program is not built on this machine); the cluster enumerates them');
  else if (estimate.expectedHours === null || estimate.expectedUsd === null)
    lines.push(`runs: ${estimate.runs}; no runtime history for this config yet, so no expected duration`);
  else
    lines.push(
      `runs: ${estimate.runs}, about ${formatHours((estimate.workSeconds ?? 0) / 3600)} of simulation from earlier runs -> ` +
        `~${formatHours(estimate.expectedHours)} of cluster time with ${limits.idleGraceMinutes} min idle grace: ~${formatUsd(estimate.expectedUsd)} ` +
        '(plus provisioning and the build)',
    );
  lines.push(
    estimate.capReason === 'budget'
      ? `at most ${formatUsd(estimate.capUsd)}: the budget (--budget); the cluster is torn down when cost reaches it`
      : `at most ${formatUsd(estimate.capUsd)}: ${formatHours(limits.maxLifetimeMinutes / 60)} maximum lifetime (--max-lifetime)` +
          (limits.budgetUsd === null ? '; no budget set (--budget)' : ''),
  );
  return lines;
}
