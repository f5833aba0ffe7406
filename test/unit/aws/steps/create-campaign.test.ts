import { beforeEach, describe, expect, it } from 'vitest';
import { campaignIdSchema, campaignKeys, sourceKey } from '../../../../lib/aws/bucket-layout.js';
import { campaignSpecSchema } from '../../../../lib/aws/campaign-spec.js';
import { campaignStatusSchema } from '../../../../lib/aws/campaign-status.js';
import { CampaignSpecInvalidError } from '../../../../lib/aws/errors.js';
import { createCampaign } from '../../../../lib/aws/steps/create-campaign.js';
import { InMemoryControlPlaneStore } from '../../../fakes/in-memory-control-plane-store.js';
import { REGION, SOURCE_SHA, spec, specInput } from '../support/campaigns.js';
import { clock } from '../support/fake-ports.js';

let store: InMemoryControlPlaneStore;
const time = clock('2026-03-01T12:00:00.000Z');
const uploadHeaders = (sha256: string, size: number) => ({
  'x-test-sha256': sha256,
  'content-length': String(size),
});
const deps = () => ({ store, region: REGION, uploadHeaders, now: time.now });

async function issuesOf(input: unknown): Promise<readonly string[]> {
  const error = await createCampaign(input, deps()).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(CampaignSpecInvalidError);
  return (error as CampaignSpecInvalidError).issues;
}

beforeEach(() => {
  store = new InMemoryControlPlaneStore();
});

describe('createCampaign', () => {
  it('stores the spec with its defaults and a created status, and asks for the source', async () => {
    const created = await createCampaign(specInput(), deps());

    expect(created.campaignId).toMatch(/^demo-study-[0-9a-z]{8}$/);
    expect(campaignIdSchema.safeParse(created.campaignId).success).toBe(true);
    const keys = campaignKeys(created.campaignId);
    expect(await store.getJson(keys.spec, campaignSpecSchema)).toEqual(spec());
    expect(await store.getJson(keys.status, campaignStatusSchema)).toEqual(created.status);
    expect(created.status).toMatchObject({
      campaignId: created.campaignId,
      name: 'Demo study',
      state: 'created',
      createdAt: '2026-03-01T12:00:00.000Z',
      executionArn: null,
    });
    expect(created.upload).toEqual({
      url: `memory://put/${encodeURIComponent(sourceKey(SOURCE_SHA))}?sha256=${SOURCE_SHA}&size=1024&expires=3600`,
      headers: { 'x-test-sha256': SOURCE_SHA, 'content-length': '1024' },
    });
  });

  it('asks for no upload when the bucket has the source', async () => {
    await store.putJson(sourceKey(SOURCE_SHA), 'bytes');
    expect((await createCampaign(specInput(), deps())).upload).toBeNull();
  });

  it('gives every campaign its own id, named "campaign" without a name', async () => {
    const { name: _name, ...unnamed } = specInput();
    const first = await createCampaign(unnamed, deps());
    const second = await createCampaign(unnamed, deps());
    expect(first.campaignId).toMatch(/^campaign-[0-9a-z]{8}$/);
    expect(second.campaignId).not.toBe(first.campaignId);
  });

  it('returns the same campaign for the same seed', async () => {
    const first = await createCampaign(specInput(), deps(), { seed: 'request-1' });
    time.set('2026-03-01T12:05:00.000Z');
    const again = await createCampaign(specInput(), deps(), { seed: 'request-1' });
    expect(again.campaignId).toBe(first.campaignId);
    expect(again.status.createdAt).toBe('2026-03-01T12:00:00.000Z');
  });

  it('refuses unknown fields, naming them', async () => {
    const input = { ...specInput(), budget: 10, cluster: { ...specInput().cluster, sizeOfCluster: 3 } };
    expect(await issuesOf(input)).toEqual([
      'cluster: Unrecognized key: "sizeOfCluster"',
      '(body): Unrecognized key: "budget"',
    ]);
    expect(store.objects.size).toBe(0);
  });

  it('refuses an unknown instance type', async () => {
    const issues = await issuesOf(
      specInput({ cluster: { ...specInput().cluster, instanceType: 'c5.mega' } }),
    );
    expect(issues).toEqual([
      expect.stringMatching(/^cluster\.instanceType: unknown or unsupported instance type/),
    ]);
  });

  it('refuses an unknown region', async () => {
    const issues = await issuesOf(specInput({ cluster: { ...specInput().cluster, region: 'mars-north-1' } }));
    expect(issues).toEqual([expect.stringMatching(/^cluster\.region: unknown or unsupported region/)]);
  });

  it('refuses a region other than the control plane one', async () => {
    const issues = await issuesOf(specInput({ cluster: { ...specInput().cluster, region: 'eu-west-1' } }));
    expect(issues).toEqual([
      `cluster.region: this control plane provisions clusters in ${REGION} only, not eu-west-1`,
    ]);
    expect(store.objects.size).toBe(0);
  });
});
