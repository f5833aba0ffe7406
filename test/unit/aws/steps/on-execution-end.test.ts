import { beforeEach, describe, expect, it } from 'vitest';
import { campaignKeys } from '../../../../lib/aws/bucket-layout.js';
import { campaignStatusSchema } from '../../../../lib/aws/campaign-status.js';
import { onExecutionEnd, type ExecutionEnd } from '../../../../lib/aws/steps/on-execution-end.js';
import { InMemoryControlPlaneStore } from '../../../fakes/in-memory-control-plane-store.js';
import { CAMPAIGN_ID, seedCampaign, STAGE } from '../support/campaigns.js';
import { clock, executionArn, FakeProvisioner } from '../support/fake-ports.js';

const stackName = `inet-swarm-${STAGE}-${CAMPAIGN_ID}`;
let store: InMemoryControlPlaneStore;
let provisioner: FakeProvisioner;
const time = clock();
const deps = () => ({ store, provisioner, stage: STAGE, now: time.now });
const statusOf = () => store.getJson(campaignKeys(CAMPAIGN_ID).status, campaignStatusSchema);
const end = (overrides: Partial<ExecutionEnd> = {}): ExecutionEnd => ({
  campaignId: CAMPAIGN_ID,
  executionArn: executionArn(CAMPAIGN_ID),
  status: 'TIMED_OUT',
  error: null,
  cause: null,
  ...overrides,
});

beforeEach(() => {
  store = new InMemoryControlPlaneStore();
  provisioner = new FakeProvisioner();
});

describe('onExecutionEnd', () => {
  it('deletes the cluster and fails the campaign of a timed-out execution', async () => {
    await seedCampaign(store, { status: { state: 'running' } });

    expect(await onExecutionEnd(end(), deps())).toEqual({ stackName, state: 'failed' });

    expect(provisioner.deleted).toEqual([stackName]);
    expect(await statusOf()).toMatchObject({
      state: 'failed',
      failure: {
        error: 'States.Timeout',
        cause: `the workflow execution ${executionArn(CAMPAIGN_ID)} ended timed_out`,
      },
    });
  });

  it('keeps the error and cause Step Functions reports', async () => {
    await seedCampaign(store, { status: { state: 'tearing-down' } });
    await onExecutionEnd(end({ status: 'FAILED', error: 'TeardownFailed', cause: 'DELETE_FAILED' }), deps());
    expect((await statusOf())?.failure).toEqual({ error: 'TeardownFailed', cause: 'DELETE_FAILED' });
  });

  it('calls a stopped execution with a cancel request cancelled', async () => {
    await seedCampaign(store, { status: { state: 'running' } });
    await store.putJson(campaignKeys(CAMPAIGN_ID).control('cancel'), {
      requestedAt: '2026-03-01T11:00:00.000Z',
      reason: 'by alice',
    });
    await onExecutionEnd(end({ status: 'ABORTED' }), deps());
    expect(await statusOf()).toMatchObject({
      state: 'cancelled',
      failure: { error: 'CampaignCancelled', cause: 'by alice' },
    });
  });

  it('leaves the final status the workflow wrote, and still makes sure the stack is deleted', async () => {
    await seedCampaign(store, {
      status: { state: 'failed', failure: { error: 'BudgetExceeded', cause: '$12' } },
    });

    expect(await onExecutionEnd(end({ status: 'FAILED', error: 'BudgetExceeded' }), deps())).toEqual({
      stackName,
      state: null,
    });

    expect(provisioner.deleted).toEqual([stackName]);
    expect((await statusOf())?.failure).toEqual({ error: 'BudgetExceeded', cause: '$12' });
  });
});
