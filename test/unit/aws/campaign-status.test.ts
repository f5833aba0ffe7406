import { describe, expect, it } from 'vitest';
import { withProgress, type CampaignStatus } from '../../../lib/aws/campaign-status.js';

const status: CampaignStatus = {
  v: 1,
  campaignId: 'c-1',
  name: null,
  state: 'running',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:10:00.000Z',
  startedAt: '2026-01-01T00:00:00.000Z',
  executionArn: null,
  stackName: 'inet-swarm-ci-c-1',
  runs: { total: 10, ok: 2, failed: 0, finished: 2, remainingSeconds: 80 },
  cost: { soFarUsd: 0.5, projectedUsd: 1.5, budgetUsd: null },
  failure: null,
  cluster: null,
};

describe('withProgress', () => {
  it("lays the agent's counts over the workflow's status, keeping everything the workflow wrote", () => {
    const seen = withProgress(status, {
      total: 10,
      ok: 7,
      failed: 1,
      finished: 8,
      remainingSeconds: 20,
      updatedAt: '2026-01-01T00:12:00.000Z',
    });
    expect(seen).toEqual({
      ...status,
      runs: { total: 10, ok: 7, failed: 1, finished: 8, remainingSeconds: 20 },
      updatedAt: '2026-01-01T00:12:00.000Z',
    });
  });

  it('keeps the newer of the two times, and the status as it is without counts', () => {
    const older = withProgress(status, {
      total: 10,
      ok: 1,
      failed: 0,
      finished: 1,
      remainingSeconds: 90,
      updatedAt: '2026-01-01T00:05:00.000Z',
    });
    expect(older.updatedAt).toBe(status.updatedAt);
    expect(withProgress(status, null)).toBe(status);
  });
});
