import { beforeEach, describe, expect, it } from 'vitest';
import { campaignKeys, sourceKey } from '../../../../lib/aws/bucket-layout.js';
import { campaignStatusSchema } from '../../../../lib/aws/campaign-status.js';
import { CampaignSpecInvalidError, CampaignStateConflictError } from '../../../../lib/aws/errors.js';
import { launchFromSpecFile } from '../../../../lib/aws/steps/launch-from-spec-file.js';
import { InMemoryControlPlaneStore } from '../../../fakes/in-memory-control-plane-store.js';
import { REGION, SOURCE_SHA, specInput } from '../support/campaigns.js';
import { clock, executionArn, FakeWorkflow } from '../support/fake-ports.js';

const KEY = 'campaigns/nightly.json';
let store: InMemoryControlPlaneStore;
let workflow: FakeWorkflow;
const time = clock();
const deps = () => ({ store, workflow, region: REGION, uploadHeaders: () => ({}), now: time.now });
const dataCampaigns = () =>
  [...store.objects.keys()].filter((key) => key.endsWith('/spec.json')).map((key) => key.split('/')[1]);

beforeEach(async () => {
  store = new InMemoryControlPlaneStore();
  workflow = new FakeWorkflow();
  await store.putJson(sourceKey(SOURCE_SHA), 'bytes');
});

describe('launchFromSpecFile', () => {
  it('creates and starts the campaign the file describes', async () => {
    await store.putJson(KEY, specInput());

    const launched = await launchFromSpecFile(KEY, 'campaigns/nightly.json@0055AED6DCD90281E5', deps());

    expect(launched).toEqual({
      campaignId: expect.stringMatching(/^demo-study-[0-9a-z]{8}$/) as string,
      executionArn: executionArn(launched.campaignId),
      started: true,
    });
    expect(workflow.started).toEqual([launched.campaignId]);
    expect((await store.getJson(campaignKeys(launched.campaignId).status, campaignStatusSchema))?.state).toBe(
      'validating',
    );
  });

  it('continues the same campaign when the same event comes again', async () => {
    await store.putJson(KEY, specInput());
    const first = await launchFromSpecFile(KEY, 'seed-1', deps());

    const again = await launchFromSpecFile(KEY, 'seed-1', deps());

    expect(again).toEqual({ ...first, started: false });
    expect(workflow.started).toEqual([first.campaignId]);
    expect(dataCampaigns()).toEqual([first.campaignId]);
  });

  it('starts a campaign the first attempt created but could not start', async () => {
    await store.putJson(KEY, specInput());
    workflow.startError = new Error('ServiceUnavailable');
    await expect(launchFromSpecFile(KEY, 'seed-2', deps())).rejects.toThrow('ServiceUnavailable');
    workflow.startError = null;

    const retried = await launchFromSpecFile(KEY, 'seed-2', deps());

    expect(retried.started).toBe(true);
    expect(dataCampaigns()).toEqual([retried.campaignId]);
  });

  it('names the file of an invalid spec', async () => {
    await store.putJson(KEY, { ...specInput(), colour: 'red' });
    const error = await launchFromSpecFile(KEY, 'seed', deps()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CampaignSpecInvalidError);
    expect((error as Error).message).toBe(`${KEY}: the campaign spec is invalid`);
    expect((error as CampaignSpecInvalidError).issues).toEqual(['(body): Unrecognized key: "colour"']);
    expect(workflow.started).toEqual([]);
  });

  it('says CampaignSpecInvalid when the file is gone', async () => {
    await expect(launchFromSpecFile(KEY, 'seed', deps())).rejects.toThrow(
      new CampaignSpecInvalidError(`no campaign spec at ${KEY}`),
    );
  });

  it('does not start a campaign whose source is not in the bucket', async () => {
    await store.delete(sourceKey(SOURCE_SHA));
    await store.putJson(KEY, specInput());
    await expect(launchFromSpecFile(KEY, 'seed', deps())).rejects.toBeInstanceOf(CampaignStateConflictError);
    expect(workflow.started).toEqual([]);
  });
});
