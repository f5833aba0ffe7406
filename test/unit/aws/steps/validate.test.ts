import { beforeEach, describe, expect, it } from 'vitest';
import { campaignKeys, sourceKey } from '../../../../lib/aws/bucket-layout.js';
import { campaignStatusSchema } from '../../../../lib/aws/campaign-status.js';
import {
  CampaignCancelledError,
  CampaignNotFoundError,
  CampaignSpecInvalidError,
  CampaignStateConflictError,
} from '../../../../lib/aws/errors.js';
import { validate } from '../../../../lib/aws/steps/validate.js';
import { InMemoryControlPlaneStore } from '../../../fakes/in-memory-control-plane-store.js';
import { CAMPAIGN_ID, REGION, seedCampaign, SOURCE_SHA, specInput } from '../support/campaigns.js';
import { clock } from '../support/fake-ports.js';

const keys = campaignKeys(CAMPAIGN_ID);
let store: InMemoryControlPlaneStore;
const time = clock('2026-03-01T12:00:00.000Z');
const deps = () => ({ store, region: REGION, now: time.now });
const statusOf = () => store.getJson(keys.status, campaignStatusSchema);

beforeEach(() => {
  store = new InMemoryControlPlaneStore();
  time.set('2026-03-01T12:00:00.000Z');
});

describe('validate', () => {
  it('returns the limits in seconds and marks the campaign provisioning', async () => {
    await seedCampaign(store, {
      spec: specInput({ limits: { idleGraceMinutes: 7, maxLifetimeMinutes: 90 } }),
    });

    const limits = await validate({ campaignId: CAMPAIGN_ID }, deps());

    expect(limits).toEqual({
      idleGraceSeconds: 420,
      maxLifetimeSeconds: 5400,
      startedAt: '2026-03-01T12:00:00.000Z',
    });
    expect(await statusOf()).toMatchObject({
      state: 'provisioning',
      startedAt: '2026-03-01T12:00:00.000Z',
      updatedAt: '2026-03-01T12:00:00.000Z',
    });
  });

  it('keeps the first startedAt when it is retried', async () => {
    await seedCampaign(store, { status: { state: 'provisioning', startedAt: '2026-03-01T11:59:00.000Z' } });

    const limits = await validate({ campaignId: CAMPAIGN_ID }, deps());

    expect(limits.startedAt).toBe('2026-03-01T11:59:00.000Z');
    expect((await statusOf())?.startedAt).toBe('2026-03-01T11:59:00.000Z');
  });

  it('fails the campaign when its source snapshot is not uploaded', async () => {
    await seedCampaign(store, { source: false });

    const error = await validate({ campaignId: CAMPAIGN_ID }, deps()).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(CampaignSpecInvalidError);
    expect((error as CampaignSpecInvalidError).issues).toEqual([
      `source.sha256: no source snapshot ${sourceKey(SOURCE_SHA)} in the bucket`,
    ]);
    expect(await statusOf()).toMatchObject({ state: 'failed', failure: { error: 'CampaignSpecInvalid' } });
  });

  it('reports every issue of a stored spec that no longer parses', async () => {
    const bad = {
      ...specInput(),
      cluster: { ...specInput().cluster, instanceType: 'x9.huge' },
      colour: 'red',
    };
    await seedCampaign(store, { spec: bad });

    const error = await validate({ campaignId: CAMPAIGN_ID }, deps()).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(CampaignSpecInvalidError);
    const issues = (error as CampaignSpecInvalidError).issues;
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^cluster\.instanceType: unknown or unsupported instance type/),
        expect.stringMatching(/^\(body\): Unrecognized key: "colour"/),
      ]),
    );
    expect((await statusOf())?.failure?.cause).toContain('cluster.instanceType');
  });

  it('refuses a cluster in another region than the control plane', async () => {
    await seedCampaign(store, {
      spec: specInput({ cluster: { ...specInput().cluster, region: 'us-east-1' } }),
    });

    await expect(validate({ campaignId: CAMPAIGN_ID }, deps())).rejects.toMatchObject({
      name: 'CampaignSpecInvalid',
      issues: [`cluster.region: this control plane provisions clusters in ${REGION} only, not us-east-1`],
    });
  });

  it('cancels a campaign with a cancel request before anything is provisioned', async () => {
    await seedCampaign(store);
    await store.putJson(keys.control('cancel'), { requestedAt: '2026-03-01T11:00:00.000Z', reason: 'oops' });

    await expect(validate({ campaignId: CAMPAIGN_ID }, deps())).rejects.toBeInstanceOf(
      CampaignCancelledError,
    );
    expect(await statusOf()).toMatchObject({
      state: 'cancelled',
      failure: { error: 'CampaignCancelled', cause: 'oops' },
    });
  });

  it('says CampaignCancelled for a campaign cancelled before its start', async () => {
    await seedCampaign(store, { status: { state: 'cancelled' } });
    await expect(validate({ campaignId: CAMPAIGN_ID }, deps())).rejects.toBeInstanceOf(
      CampaignCancelledError,
    );
  });

  it('refuses a campaign that has ended', async () => {
    await seedCampaign(store, { status: { state: 'succeeded' } });
    await expect(validate({ campaignId: CAMPAIGN_ID }, deps())).rejects.toBeInstanceOf(
      CampaignStateConflictError,
    );
  });

  it('says CampaignNotFound without a status', async () => {
    await seedCampaign(store, { status: null });
    await expect(validate({ campaignId: CAMPAIGN_ID }, deps())).rejects.toBeInstanceOf(CampaignNotFoundError);
  });

  it('says CampaignSpecInvalid without a spec', async () => {
    await seedCampaign(store);
    await store.delete(keys.spec);
    await expect(validate({ campaignId: CAMPAIGN_ID }, deps())).rejects.toThrow(
      new CampaignSpecInvalidError(`campaign ${CAMPAIGN_ID} has no spec`),
    );
  });
});
