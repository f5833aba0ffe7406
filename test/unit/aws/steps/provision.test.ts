import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { campaignKeys } from '../../../../lib/aws/bucket-layout.js';
import { campaignStatusSchema } from '../../../../lib/aws/campaign-status.js';
import { clusterRate } from '../../../../lib/aws/cost.js';
import { CampaignNotFoundError } from '../../../../lib/aws/errors.js';
import { provision } from '../../../../lib/aws/steps/provision.js';
import { InMemoryControlPlaneStore } from '../../../fakes/in-memory-control-plane-store.js';
import { BUCKET, CAMPAIGN_ID, seedCampaign, spec, STAGE } from '../support/campaigns.js';
import { clock, FakeProvisioner } from '../support/fake-ports.js';

const STACK_TEXT = 'version: "3.8"\nservices: {}\n';
const stackFilePath = path.join(mkdtempSync(path.join(os.tmpdir(), 'provision-')), 'docker-stack.yml');
writeFileSync(stackFilePath, STACK_TEXT);
const stackFile = { path: stackFilePath, sha256: createHash('sha256').update(STACK_TEXT).digest('hex') };

let store: InMemoryControlPlaneStore;
let provisioner: FakeProvisioner;
const time = clock();
const deps = () => ({ store, provisioner, stage: STAGE, bucket: BUCKET, stackFile, now: time.now });

beforeEach(() => {
  store = new InMemoryControlPlaneStore();
  provisioner = new FakeProvisioner();
});

describe('provision', () => {
  it('uploads the stack file, creates the cluster stack with its hourly price and records its name', async () => {
    await seedCampaign(store, { status: { state: 'provisioning' } });

    const result = await provision({ campaignId: CAMPAIGN_ID }, deps());

    const stackName = `inet-swarm-${STAGE}-${CAMPAIGN_ID}`;
    expect(result).toEqual({ stackName });
    expect(store.text(campaignKeys(CAMPAIGN_ID).stackFile)).toBe(STACK_TEXT);
    const { usdPerHour } = clusterRate(spec().cluster);
    expect(usdPerHour).toBeGreaterThan(0);
    expect(provisioner.created).toEqual([
      { stackName, campaignId: CAMPAIGN_ID, options: spec().cluster, bucket: BUCKET, usdPerHour },
    ]);
    expect(await store.getJson(campaignKeys(CAMPAIGN_ID).status, campaignStatusSchema)).toMatchObject({
      state: 'provisioning',
      stackName,
    });
  });

  it('creates nothing for a campaign it does not know', async () => {
    await expect(provision({ campaignId: CAMPAIGN_ID }, deps())).rejects.toBeInstanceOf(
      CampaignNotFoundError,
    );
    expect(provisioner.created).toEqual([]);
  });
});
