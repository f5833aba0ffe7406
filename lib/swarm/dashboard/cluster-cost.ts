/**
 * The dashboard's cost meter: what the cluster it runs on has cost so far, and will have cost when
 * the running campaigns end. Only a cluster someone pays for by the hour has a price: on AWS the
 * workflow passes the cluster's list price (lib/aws/cost.ts) through the cluster template to the stack
 * (INET_SWARM_USD_PER_HOUR, INET_SWARM_CLUSTER_SINCE in swarm/docker-stack.yml). A swarm of one's own
 * machines has none, and the dashboard then shows no cost at all rather than $0.
 */
import { z } from 'zod';

/** The cluster's hourly price, and since when it has been paid. */
export interface ClusterPrice {
  readonly usdPerHour: number;
  readonly since: Date;
}

/** The cluster's cost as `/api/campaigns` reports it. */
export interface ClusterCost {
  readonly usdPerHour: number;
  /** ISO time the meter counts from. */
  readonly since: string;
  readonly spentUsd: number;
  /**
   * The cost when the running campaigns are expected to end (their longest ETA from now); null while
   * one of them has no ETA yet, or when none is running (nothing to project to).
   */
  readonly projectedUsd: number | null;
}

/** What the meter needs of a campaign's progress. */
export interface CampaignEta {
  /** Runs executing now. */
  readonly running: number;
  readonly remaining: number;
  readonly etaMs: number | null;
}

type Env = Readonly<Record<string, string | undefined>>;

const MS_PER_HOUR = 3_600_000;

// A plain decimal, as the template's AllowedPattern lets through: no sign, exponent or NaN.
const rateSchema = z
  .string()
  .regex(/^\d+(\.\d+)?$/, 'expected a decimal number of USD per hour, such as 0.61')
  .transform(Number);
const sinceSchema = z.iso.datetime({ offset: true }).transform((text) => new Date(text));

/**
 * The price from INET_SWARM_USD_PER_HOUR and INET_SWARM_CLUSTER_SINCE, read once at start. Both unset
 * or empty, or no rate: no price (a swarm of one's own machines). A rate that is not a decimal, or
 * without a valid since-time: no price either, reported through `warn`: a wrong meter must not stop
 * the dashboard, and a meter counting from a made-up time would show a made-up cost.
 */
export function clusterPriceFromEnv(env: Env, warn: (message: string) => void): ClusterPrice | null {
  const rateText = env.INET_SWARM_USD_PER_HOUR ?? '';
  if (rateText === '') return null;
  const rate = rateSchema.safeParse(rateText);
  const since = sinceSchema.safeParse(env.INET_SWARM_CLUSTER_SINCE ?? '');
  if (!rate.success) {
    warn(
      `INET_SWARM_USD_PER_HOUR '${rateText}' is not a price: ${rate.error.issues[0]?.message}; no cost shown`,
    );
    return null;
  }
  if (!since.success) {
    warn(
      `INET_SWARM_CLUSTER_SINCE '${env.INET_SWARM_CLUSTER_SINCE ?? ''}' is not an ISO time: no cost shown`,
    );
    return null;
  }
  return { usdPerHour: rate.data, since: since.data };
}

/** The cost `aheadMs` from `now`: the rate times the hours since the meter started, then ahead. */
export function costAt(price: ClusterPrice, now: Date, aheadMs = 0): number {
  // A since-time ahead of this clock (another machine's clock) counts as now, not as a negative cost.
  const elapsedMs = Math.max(0, now.getTime() - price.since.getTime());
  return (price.usdPerHour * (elapsedMs + aheadMs)) / MS_PER_HOUR;
}

/**
 * The cluster's cost now and projected. The cluster runs until the last of the running campaigns
 * (those with runs executing) ends, so the projection takes their longest ETA. Campaigns waiting for
 * a slot are left out, their ETA being unknown until they run: the projection errs low while
 * campaigns queue behind each other.
 */
export function clusterCost(price: ClusterPrice, now: Date, campaigns: readonly CampaignEta[]): ClusterCost {
  const running = campaigns.filter((campaign) => campaign.running > 0 && campaign.remaining > 0);
  let longestMs: number | null = running.length === 0 ? null : 0;
  for (const { etaMs } of running)
    longestMs = longestMs === null || etaMs === null ? null : Math.max(longestMs, etaMs);
  return {
    usdPerHour: price.usdPerHour,
    since: price.since.toISOString(),
    spentUsd: costAt(price, now),
    projectedUsd: longestMs === null ? null : costAt(price, now, longestMs),
  };
}

/**
 * The cluster's cost when this campaign is expected to end: null once it has ended (the cost then is
 * no projection) or while its ETA is unknown.
 */
export function costAtEnd(price: ClusterPrice, now: Date, campaign: CampaignEta): number | null {
  if (campaign.remaining === 0 || campaign.etaMs === null) return null;
  return costAt(price, now, campaign.etaMs);
}
