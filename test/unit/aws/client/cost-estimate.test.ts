/** The estimate shown before a cluster is created: its numbers come from the instance catalog. */
import { describe, expect, it } from 'vitest';
import { campaignSpecSchema } from '../../../../lib/aws/campaign-spec.js';
import {
  costEstimateLines,
  estimateCost,
  expectedWorkSeconds,
} from '../../../../lib/aws/client/cost-estimate.js';
import { onDemandPrice, SPOT_PRICE_FACTOR } from '../../../../lib/aws/instance-catalog.js';
import type { RunSpec } from '../../../../lib/core/campaign.js';
import type { RuntimeSample } from '../../../../lib/core/runtime-history.js';

function spec(cluster: Record<string, unknown>, limits: Record<string, unknown> = {}) {
  return campaignSpecSchema.parse({
    program: './demo',
    args: ['-c', 'Quick'],
    source: { sha256: 'a'.repeat(64), size: 1 },
    cluster: { region: 'eu-central-1', instanceType: 'c6i.xlarge', clusterSize: 3, ...cluster },
    limits,
  });
}

function run(runNumber: number, mean: string): RunSpec {
  return {
    runNumber,
    configName: 'Quick',
    variables: [
      { name: 'serviceMean', value: mean },
      { name: 'repetition', value: String(runNumber % 2) },
    ],
    description: `$serviceMean=${mean}, $repetition=${runNumber % 2}`,
    resultStem: `Quick-${runNumber}`,
  };
}

function sample(runNumber: number, mean: string, durationMs: number): RuntimeSample {
  return {
    campaignId: 'Quick-1',
    configName: 'Quick',
    runNumber,
    parameterKey: `$serviceMean=${mean}`,
    durationMs,
  };
}

describe('estimateCost', () => {
  it('prices managers on demand and workers above the on-demand base as spot', () => {
    const chosen = spec({ onDemandBase: 1, managerSize: 3 });
    const estimate = estimateCost(chosen, null, null);
    const manager = onDemandPrice('t3.medium', 'eu-central-1') as number;
    const worker = onDemandPrice('c6i.xlarge', 'eu-central-1') as number;
    expect(estimate.usdPerHour).toBeCloseTo(3 * manager + worker + 2 * worker * SPOT_PRICE_FACTOR, 10);
    expect(estimate.workerVcpus).toBe(12);
    expect(estimate.expectedUsd).toBeNull();
    // No budget: the cap is the maximum lifetime (24 h by default) at that rate.
    expect(estimate.capReason).toBe('max-lifetime');
    expect(estimate.capUsd).toBeCloseTo(24 * estimate.usdPerHour, 10);
  });

  it('expects the work spread over the workers plus the idle grace, and caps at a lower budget', () => {
    const chosen = spec({ spot: false, clusterSize: 2 }, { budgetUsd: 1, idleGraceMinutes: 6 });
    const workSeconds = 8 * 3600; // 8 core-hours on 2 x 4 vCPUs: 1 h
    const estimate = estimateCost(chosen, 100, workSeconds);
    const rate =
      onDemandPrice('t3.medium', 'eu-central-1')! + 2 * onDemandPrice('c6i.xlarge', 'eu-central-1')!;
    expect(estimate.usdPerHour).toBeCloseTo(rate, 10);
    expect(estimate.expectedHours).toBeCloseTo(1.1, 10);
    expect(estimate.expectedUsd).toBeCloseTo(1.1 * rate, 10);
    expect(estimate.capReason).toBe('budget');
    expect(estimate.capUsd).toBe(1);
    const lines = costEstimateLines(chosen, estimate).join('\n');
    expect(lines).toContain(`cost per hour: $${rate.toFixed(2)}`);
    expect(lines).toContain('runs: 100');
    expect(lines).toContain('at most $1.00: the budget');
  });

  it('says so when the runs are unknown', () => {
    const chosen = spec({});
    const lines = costEstimateLines(chosen, estimateCost(chosen, null, null)).join('\n');
    expect(lines).toContain('runs: unknown here');
    expect(lines).toMatch(/at most \$\d+\.\d\d: 24\.0 h maximum lifetime/);
  });
});

describe('expectedWorkSeconds', () => {
  it("uses a run's own history, else the mean of the config's runs", () => {
    const history = [sample(0, '0.4', 2000), sample(1, '0.4', 4000), sample(2, '0.6', 9000)];
    // Run 0: its own 2 s; run 3 ($serviceMean=0.6): like run 2, 9 s; run 4 (0.8, never seen): the mean, 5 s.
    expect(
      expectedWorkSeconds([run(0, '0.4'), run(3, '0.6'), run(4, '0.8')], 'Quick-1', 'Quick', history),
    ).toBe(2 + 9 + 5);
  });

  it('is unknown without history of this config', () => {
    expect(expectedWorkSeconds([run(0, '0.4')], 'Quick-1', 'Quick', [])).toBeNull();
    expect(
      expectedWorkSeconds([run(0, '0.4')], 'Quick-1', 'Quick', [
        { ...sample(0, '0.4', 1000), configName: 'Other' },
      ]),
    ).toBeNull();
  });
});
