import { beforeEach, describe, expect, it } from 'vitest';
import { campaignKeys } from '../../../../lib/aws/bucket-layout.js';
import { campaignStatusSchema } from '../../../../lib/aws/campaign-status.js';
import { teardown } from '../../../../lib/aws/steps/teardown.js';
import { InMemoryControlPlaneStore } from '../../../fakes/in-memory-control-plane-store.js';
import { CAMPAIGN_ID, seedCampaign, STAGE } from '../support/campaigns.js';
import { clock, FakeProvisioner } from '../support/fake-ports.js';

const stackName = `inet-swarm-${STAGE}-${CAMPAIGN_ID}`;
let store: InMemoryControlPlaneStore;
let provisioner: FakeProvisioner;
const time = clock();
const deps = () => ({ store, provisioner, stage: STAGE, now: time.now });
const statusOf = () => store.getJson(campaignKeys(CAMPAIGN_ID).status, campaignStatusSchema);

beforeEach(() => {
  store = new InMemoryControlPlaneStore();
  provisioner = new FakeProvisioner();
});

describe('teardown', () => {
  it('deletes the stack named from the campaign id even when Provision never returned it', async () => {
    await seedCampaign(store, { status: { state: 'provisioning' } });
    await teardown(
      { campaignId: CAMPAIGN_ID, failure: { Error: 'States.TaskFailed', Cause: 'boom' } },
      deps(),
    );
    expect(provisioner.deleted).toEqual([stackName]);
    expect(await statusOf()).toMatchObject({
      state: 'tearing-down',
      failure: { error: 'States.TaskFailed', cause: 'boom' },
    });
  });

  it('records the message of a Lambda error, not its stack trace', async () => {
    await seedCampaign(store, { status: { state: 'running' } });
    const cause = JSON.stringify({
      errorType: 'BudgetExceeded',
      errorMessage: 'costs $12.00 so far',
      trace: ['BudgetExceededError: costs $12.00 so far', '    at checkBudget (check-budget.js:40)'],
    });
    await teardown(
      { campaignId: CAMPAIGN_ID, cluster: { stackName }, failure: { Error: 'BudgetExceeded', Cause: cause } },
      deps(),
    );
    expect((await statusOf())?.failure).toEqual({ error: 'BudgetExceeded', cause: 'costs $12.00 so far' });
  });

  it('tears down without a failure after the last run', async () => {
    await seedCampaign(store, { status: { state: 'idle' } });
    await teardown({ campaignId: CAMPAIGN_ID, cluster: { stackName } }, deps());
    expect(provisioner.deleted).toEqual([stackName]);
    expect(await statusOf()).toMatchObject({ state: 'tearing-down', failure: null });
  });

  it('deletes the stack even without a status to record it in', async () => {
    await teardown({ campaignId: CAMPAIGN_ID }, deps());
    expect(provisioner.deleted).toEqual([stackName]);
  });
});
