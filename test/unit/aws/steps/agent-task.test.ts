import { beforeEach, describe, expect, it } from 'vitest';
import { agentCommandSchema } from '../../../../lib/aws/agent-protocol.js';
import { campaignKeys } from '../../../../lib/aws/bucket-layout.js';
import { campaignStatusSchema } from '../../../../lib/aws/campaign-status.js';
import { CampaignNotFoundError } from '../../../../lib/aws/errors.js';
import { agentTask } from '../../../../lib/aws/steps/agent-task.js';
import { InMemoryControlPlaneStore } from '../../../fakes/in-memory-control-plane-store.js';
import { CAMPAIGN_ID, seedCampaign } from '../support/campaigns.js';
import { clock } from '../support/fake-ports.js';

const keys = campaignKeys(CAMPAIGN_ID);
let store: InMemoryControlPlaneStore;
const time = clock('2026-03-01T12:00:00.000Z');
const deps = () => ({ store, now: time.now });
const statusOf = () => store.getJson(keys.status, campaignStatusSchema);

beforeEach(() => {
  store = new InMemoryControlPlaneStore();
});

describe('agentTask', () => {
  it('hands the build token to the agent and marks the campaign building', async () => {
    await seedCampaign(store, { status: { state: 'provisioning' } });

    await agentTask({ command: 'build', taskToken: 'token-1', state: { campaignId: CAMPAIGN_ID } }, deps());

    expect(await store.getJson(keys.control('build'), agentCommandSchema)).toEqual({
      command: 'build',
      taskToken: 'token-1',
      issuedAt: '2026-03-01T12:00:00.000Z',
    });
    expect((await statusOf())?.state).toBe('building');
  });

  it('marks the campaign running on fan-out', async () => {
    await seedCampaign(store, { status: { state: 'building' } });
    await agentTask({ command: 'fan-out', taskToken: 'token-2', state: { campaignId: CAMPAIGN_ID } }, deps());
    expect((await store.getJson(keys.control('fan-out'), agentCommandSchema))?.taskToken).toBe('token-2');
    expect((await statusOf())?.state).toBe('running');
  });

  it('leaves a running campaign status alone on progress', async () => {
    await seedCampaign(store, {
      status: { state: 'running', updatedAt: '2026-03-01T11:00:00.000Z', runs: null },
    });

    await agentTask(
      { command: 'progress', taskToken: 'token-3', state: { campaignId: CAMPAIGN_ID } },
      deps(),
    );

    expect((await store.getJson(keys.control('progress'), agentCommandSchema))?.taskToken).toBe('token-3');
    expect((await statusOf())?.updatedAt).toBe('2026-03-01T11:00:00.000Z');
  });

  it('says CampaignNotFound without a status', async () => {
    await expect(
      agentTask({ command: 'build', taskToken: 't', state: { campaignId: CAMPAIGN_ID } }, deps()),
    ).rejects.toBeInstanceOf(CampaignNotFoundError);
  });
});
