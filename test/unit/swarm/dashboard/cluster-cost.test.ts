import { describe, expect, it } from 'vitest';
import {
  clusterCost,
  clusterPriceFromEnv,
  costAtEnd,
  type CampaignEta,
  type ClusterPrice,
} from '../../../../lib/swarm/dashboard/cluster-cost.js';

const SINCE = new Date('2026-11-24T10:00:00Z');
const price: ClusterPrice = { usdPerHour: 0.6, since: SINCE };
/** 42 minutes after the cluster started: $0.42 at $0.60/h. */
const NOW = new Date(SINCE.getTime() + 42 * 60_000);
const MINUTE = 60_000;

const campaign = (fields: Partial<CampaignEta>): CampaignEta => ({
  running: 2,
  remaining: 10,
  etaMs: 30 * MINUTE,
  ...fields,
});

describe('clusterPriceFromEnv', () => {
  const read = (env: Record<string, string | undefined>) => {
    const warnings: string[] = [];
    const result = clusterPriceFromEnv(env, (message) => warnings.push(message));
    return { result, warnings };
  };

  it('reads the rate and the since-time the stack file passes', () => {
    expect(
      read({ INET_SWARM_USD_PER_HOUR: '0.6100', INET_SWARM_CLUSTER_SINCE: '2026-11-24T10:00:00Z' }),
    ).toEqual({ result: { usdPerHour: 0.61, since: SINCE }, warnings: [] });
  });

  it.each([
    ['unset', {}],
    [
      'empty, as the stack file sets them outside aws mode',
      { INET_SWARM_USD_PER_HOUR: '', INET_SWARM_CLUSTER_SINCE: '' },
    ],
    [
      'an empty rate with a since-time (the template default)',
      { INET_SWARM_USD_PER_HOUR: '', INET_SWARM_CLUSTER_SINCE: '2026-11-24T10:00:00Z' },
    ],
  ])('gives no price, silently, when the rate is %s', (_case, env) => {
    expect(read(env)).toEqual({ result: null, warnings: [] });
  });

  it.each(['abc', '-1', '1e3', 'NaN', 'Infinity', '0.5 ', '$0.61'])(
    "gives no price and warns for the rate '%s'",
    (rate) => {
      const { result, warnings } = read({
        INET_SWARM_USD_PER_HOUR: rate,
        INET_SWARM_CLUSTER_SINCE: '2026-11-24T10:00:00Z',
      });
      expect(result).toBeNull();
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('INET_SWARM_USD_PER_HOUR');
    },
  );

  it.each([undefined, '', 'yesterday', '2026-11-24 10:00', '2026-13-45T10:00:00Z'])(
    'gives no price and warns for a rate with the since-time %j',
    (since) => {
      const { result, warnings } = read({ INET_SWARM_USD_PER_HOUR: '0.61', INET_SWARM_CLUSTER_SINCE: since });
      expect(result).toBeNull();
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('INET_SWARM_CLUSTER_SINCE');
    },
  );
});

describe('clusterCost', () => {
  it('charges the rate for the hours since the cluster started', () => {
    const cost = clusterCost(price, NOW, []);
    expect(cost.usdPerHour).toBe(0.6);
    expect(cost.since).toBe('2026-11-24T10:00:00.000Z');
    expect(cost.spentUsd).toBeCloseTo(0.42, 10);
  });

  it('projects to the end of the running campaign that ends last', () => {
    const cost = clusterCost(price, NOW, [
      campaign({ etaMs: 30 * MINUTE }),
      campaign({ etaMs: 60 * MINUTE }),
      // Done, or waiting for a slot with no ETA yet: not what the cluster waits for now.
      campaign({ running: 0, remaining: 0, etaMs: 0 }),
      campaign({ running: 0, remaining: 5, etaMs: null }),
    ]);
    expect(cost.projectedUsd).toBeCloseTo(0.42 + 0.6, 10);
  });

  it('projects nothing while a running campaign has no ETA, nor when none is running', () => {
    expect(clusterCost(price, NOW, [campaign({}), campaign({ etaMs: null })]).projectedUsd).toBeNull();
    expect(
      clusterCost(price, NOW, [campaign({ running: 0, remaining: 0, etaMs: 0 })]).projectedUsd,
    ).toBeNull();
  });

  it('counts nothing before a since-time ahead of its clock', () => {
    expect(clusterCost(price, new Date(SINCE.getTime() - MINUTE), []).spentUsd).toBe(0);
  });
});

describe('costAtEnd', () => {
  it("is the cluster's cost when the campaign's ETA has passed", () => {
    expect(costAtEnd(price, NOW, campaign({ etaMs: 18 * MINUTE }))).toBeCloseTo(0.6, 10);
  });

  it('is null for a campaign that is done or has no ETA', () => {
    expect(costAtEnd(price, NOW, campaign({ remaining: 0, etaMs: 0 }))).toBeNull();
    expect(costAtEnd(price, NOW, campaign({ etaMs: null }))).toBeNull();
  });
});
