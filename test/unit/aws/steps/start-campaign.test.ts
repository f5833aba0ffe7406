import { beforeEach, describe, expect, it } from 'vitest';
import { campaignKeys } from '../../../../lib/aws/bucket-layout.js';
import { campaignStatusSchema } from '../../../../lib/aws/campaign-status.js';
import { CampaignNotFoundError, CampaignStateConflictError } from '../../../../lib/aws/errors.js';
import { startCampaign } from '../../../../lib/aws/steps/start-campaign.js';
import { InMemoryControlPlaneStore } from '../../../fakes/in-memory-control-plane-store.js';
import { CAMPAIGN_ID, seedCampaign } from '../support/campaigns.js';
import { clock, executionArn, FakeWorkflow } from '../support/fake-ports.js';

let store: InMemoryControlPlaneStore;
let workflow: FakeWorkflow;
const time = clock();
const deps = () => ({ store, workflow, now: time.now });

beforeEach(() => {
  store = new InMemoryControlPlaneStore();
  workflow = new FakeWorkflow();
});

describe('startCampaign', () => {
  it('starts the workflow and records the execution', async () => {
    await seedCampaign(store);

    expect(await startCampaign(CAMPAIGN_ID, deps())).toEqual({
      campaignId: CAMPAIGN_ID,
      executionArn: executionArn(CAMPAIGN_ID),
    });

    expect(workflow.started).toEqual([CAMPAIGN_ID]);
    expect(await store.getJson(campaignKeys(CAMPAIGN_ID).status, campaignStatusSchema)).toMatchObject({
      state: 'validating',
      executionArn: executionArn(CAMPAIGN_ID),
    });
  });

  it('refuses to start before the source is uploaded', async () => {
    await seedCampaign(store, { source: false });
    await expect(startCampaign(CAMPAIGN_ID, deps())).rejects.toThrow(CampaignStateConflictError);
    await expect(startCampaign(CAMPAIGN_ID, deps())).rejects.toThrow(/is not uploaded yet/);
    expect(workflow.started).toEqual([]);
  });

  it('refuses to start a campaign twice', async () => {
    await seedCampaign(store, { status: { state: 'running', executionArn: executionArn(CAMPAIGN_ID) } });
    await expect(startCampaign(CAMPAIGN_ID, deps())).rejects.toBeInstanceOf(CampaignStateConflictError);
    expect(workflow.started).toEqual([]);
  });

  it('says CampaignNotFound for an unknown campaign', async () => {
    await expect(startCampaign('nope-00000000', deps())).rejects.toBeInstanceOf(CampaignNotFoundError);
  });

  it('passes on the engine refusing a second execution', async () => {
    await seedCampaign(store);
    workflow.startError = new CampaignStateConflictError('started already');
    await expect(startCampaign(CAMPAIGN_ID, deps())).rejects.toBeInstanceOf(CampaignStateConflictError);
    expect((await store.getJson(campaignKeys(CAMPAIGN_ID).status, campaignStatusSchema))?.state).toBe(
      'created',
    );
  });
});
