import { beforeEach, describe, expect, it } from 'vitest';
import { campaignKeys } from '../../../../lib/aws/bucket-layout.js';
import { campaignStatusSchema } from '../../../../lib/aws/campaign-status.js';
import { clusterRate } from '../../../../lib/aws/cost.js';
import {
  BudgetExceededError,
  CampaignCancelledError,
  LifetimeExceededError,
} from '../../../../lib/aws/errors.js';
import { checkBudget } from '../../../../lib/aws/steps/check-budget.js';
import type { WorkflowState } from '../../../../lib/aws/workflow-state.js';
import { InMemoryControlPlaneStore } from '../../../fakes/in-memory-control-plane-store.js';
import { CAMPAIGN_ID, seedCampaign, spec, specInput } from '../support/campaigns.js';
import { clock } from '../support/fake-ports.js';

const keys = campaignKeys(CAMPAIGN_ID);
const STARTED = '2026-03-01T10:00:00.000Z';
let store: InMemoryControlPlaneStore;
const time = clock();
const deps = () => ({ store, now: time.now });
const statusOf = () => store.getJson(keys.status, campaignStatusSchema);
/** The seeded cluster's price: 1 t3.medium manager, 2 c5.large spot workers in eu-central-1. */
const usdPerHour = clusterRate(spec().cluster).usdPerHour;
const workerVcpus = clusterRate(spec().cluster).workerVcpus;

function state(progress: Partial<NonNullable<WorkflowState['progress']>> = {}): WorkflowState {
  return {
    campaignId: CAMPAIGN_ID,
    limits: { idleGraceSeconds: 300, maxLifetimeSeconds: 4 * 3600, startedAt: STARTED },
    progress: {
      total: 10,
      ok: 4,
      failed: 1,
      finished: 5,
      remainingSeconds: 3600,
      allFinal: false,
      ...progress,
    },
  };
}

async function seed(budgetUsd: number | null) {
  await seedCampaign(store, {
    spec: specInput({ limits: { budgetUsd, maxLifetimeMinutes: 240 } }),
    status: { state: 'running', startedAt: STARTED },
  });
}

beforeEach(() => {
  store = new InMemoryControlPlaneStore();
  time.set('2026-03-01T12:00:00.000Z'); // two hours in
});

describe('checkBudget', () => {
  it('records runs and cost and returns the reading', async () => {
    await seed(100);

    const reading = await checkBudget(state(), deps());

    const soFarUsd = 2 * usdPerHour;
    const projectedUsd = soFarUsd + (3600 / workerVcpus / 3600) * usdPerHour;
    expect(reading.allFinal).toBe(false);
    expect(reading.soFarUsd).toBeCloseTo(soFarUsd, 10);
    expect(reading.projectedUsd).toBeCloseTo(projectedUsd, 10);
    const status = await statusOf();
    expect(status).toMatchObject({
      state: 'running',
      runs: { total: 10, ok: 4, failed: 1, finished: 5, remainingSeconds: 3600 },
      cost: { budgetUsd: 100 },
    });
    expect(status?.runs).not.toHaveProperty('allFinal');
    expect(status?.cost?.soFarUsd).toBeCloseTo(soFarUsd, 10);
  });

  it('marks the campaign idle when every run is final', async () => {
    await seed(null);
    const reading = await checkBudget(state({ allFinal: true, finished: 10, remainingSeconds: 0 }), deps());
    expect(reading.allFinal).toBe(true);
    expect((await statusOf())?.state).toBe('idle');
  });

  it('stops a campaign whose cost so far passed the budget, after recording it', async () => {
    const budget = 1.5 * usdPerHour; // two hours have cost more
    await seed(budget);

    const error = await checkBudget(state({ remainingSeconds: 0 }), deps()).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(BudgetExceededError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `costs \\$${(2 * usdPerHour).toFixed(2)} so far .* above its budget of \\$${budget.toFixed(2)}$`,
      ),
    );
    expect((await statusOf())?.cost?.budgetUsd).toBe(budget);
  });

  it('stops a campaign whose projected cost passes the budget', async () => {
    await seed(2.5 * usdPerHour); // so far is below; 100 more worker-core hours are not
    await expect(checkBudget(state({ remainingSeconds: 100 * 3600 }), deps())).rejects.toBeInstanceOf(
      BudgetExceededError,
    );
  });

  it('has no budget to exceed when the budget is null', async () => {
    await seed(null);
    await expect(checkBudget(state({ remainingSeconds: 1e9 }), deps())).resolves.toMatchObject({
      allFinal: false,
    });
  });

  it('stops a campaign that outlived its maximum lifetime', async () => {
    await seed(null);
    time.set('2026-03-01T14:00:01.000Z');
    await expect(checkBudget(state(), deps())).rejects.toThrow(
      new LifetimeExceededError(
        `campaign ${CAMPAIGN_ID} has run for 240 min, longer than its maximum lifetime of 240 min`,
      ),
    );
  });

  it('stops a cancelled campaign', async () => {
    await seed(null);
    await store.putJson(keys.control('cancel'), { requestedAt: STARTED, reason: 'enough' });
    await expect(checkBudget(state(), deps())).rejects.toBeInstanceOf(CampaignCancelledError);
  });

  it('needs the progress report in the workflow state', async () => {
    await seed(null);
    await expect(checkBudget({ ...state(), progress: undefined }, deps())).rejects.toThrow(
      'the workflow state has no progress',
    );
  });
});
