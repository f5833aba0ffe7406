import { beforeEach, describe, expect, it } from 'vitest';
import { cancelRequestSchema } from '../../../../lib/aws/agent-protocol.js';
import { campaignKeys } from '../../../../lib/aws/bucket-layout.js';
import { campaignStatusSchema } from '../../../../lib/aws/campaign-status.js';
import { CampaignNotFoundError, CampaignStateConflictError } from '../../../../lib/aws/errors.js';
import { cancelCampaign } from '../../../../lib/aws/steps/cancel-campaign.js';
import { InMemoryControlPlaneStore } from '../../../fakes/in-memory-control-plane-store.js';
import { CAMPAIGN_ID, seedCampaign, status } from '../support/campaigns.js';
import { clock, executionArn } from '../support/fake-ports.js';

const keys = campaignKeys(CAMPAIGN_ID);
let store: InMemoryControlPlaneStore;
const time = clock('2026-03-01T12:00:00.000Z');
const deps = () => ({ store, now: time.now });

beforeEach(() => {
  store = new InMemoryControlPlaneStore();
});

describe('cancelCampaign', () => {
  it('writes the cancel request for the workflow and leaves a running campaign status alone', async () => {
    await seedCampaign(store, { status: { state: 'running', executionArn: executionArn(CAMPAIGN_ID) } });

    const returned = await cancelCampaign(CAMPAIGN_ID, 'by alice', deps());

    expect(await store.getJson(keys.control('cancel'), cancelRequestSchema)).toEqual({
      requestedAt: '2026-03-01T12:00:00.000Z',
      reason: 'by alice',
    });
    expect(returned).toEqual(status({ state: 'running', executionArn: executionArn(CAMPAIGN_ID) }));
    expect(await store.getJson(keys.status, campaignStatusSchema)).toEqual(returned);
  });

  it('keeps the first request', async () => {
    await seedCampaign(store, { status: { state: 'running', executionArn: executionArn(CAMPAIGN_ID) } });
    await cancelCampaign(CAMPAIGN_ID, 'first', deps());
    await cancelCampaign(CAMPAIGN_ID, 'second', deps());
    expect((await store.getJson(keys.control('cancel'), cancelRequestSchema))?.reason).toBe('first');
  });

  it('cancels a campaign that was never started right away', async () => {
    await seedCampaign(store);
    const returned = await cancelCampaign(CAMPAIGN_ID, 'by alice', deps());
    expect(returned).toMatchObject({
      state: 'cancelled',
      failure: { error: 'CampaignCancelled', cause: 'by alice' },
    });
    expect((await store.getJson(keys.status, campaignStatusSchema))?.state).toBe('cancelled');
  });

  it('refuses to cancel a campaign that has ended', async () => {
    await seedCampaign(store, { status: { state: 'succeeded' } });
    await expect(cancelCampaign(CAMPAIGN_ID, 'late', deps())).rejects.toBeInstanceOf(
      CampaignStateConflictError,
    );
    expect(await store.exists(keys.control('cancel'))).toBe(false);
  });

  it('says CampaignNotFound for an unknown campaign', async () => {
    await expect(cancelCampaign(CAMPAIGN_ID, 'x', deps())).rejects.toBeInstanceOf(CampaignNotFoundError);
  });
});
