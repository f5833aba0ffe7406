import { beforeEach, describe, expect, it } from 'vitest';
import { campaignKeys } from '../../../../lib/aws/bucket-layout.js';
import { campaignStatusSchema } from '../../../../lib/aws/campaign-status.js';
import { ClusterNotReadyError, ClusterProvisionFailedError } from '../../../../lib/aws/errors.js';
import { deployStack } from '../../../../lib/aws/steps/deploy-stack.js';
import { InMemoryControlPlaneStore } from '../../../fakes/in-memory-control-plane-store.js';
import { BUCKET, CAMPAIGN_ID, REGION, seedCampaign, STAGE } from '../support/campaigns.js';
import { clock, FakeClusterSwarm, FakeProvisioner } from '../support/fake-ports.js';

const stackName = `inet-swarm-${STAGE}-${CAMPAIGN_ID}`;
const input = { campaignId: CAMPAIGN_ID, cluster: { stackName } };
let store: InMemoryControlPlaneStore;
let provisioner: FakeProvisioner;
let clusterSwarm: FakeClusterSwarm;
const time = clock();
const deps = () => ({
  store,
  provisioner,
  clusterSwarm,
  stage: STAGE,
  bucket: BUCKET,
  region: REGION,
  now: time.now,
});

beforeEach(async () => {
  store = new InMemoryControlPlaneStore();
  provisioner = new FakeProvisioner();
  clusterSwarm = new FakeClusterSwarm();
  await seedCampaign(store, { status: { state: 'provisioning', stackName } });
});

describe('deployStack', () => {
  it('deploys the stack with the campaign agent and marks the campaign building', async () => {
    provisioner.setPhase(stackName, 'ready', { StackName: stackName });

    await deployStack(input, deps());

    expect(clusterSwarm.deployed).toEqual([
      {
        cluster: { phase: 'ready', reason: null, outputs: { StackName: stackName } },
        agent: { campaignId: CAMPAIGN_ID, bucket: BUCKET, region: REGION },
      },
    ]);
    expect((await store.getJson(campaignKeys(CAMPAIGN_ID).status, campaignStatusSchema))?.state).toBe(
      'building',
    );
  });

  it('is not ready while the stack is still being created', async () => {
    provisioner.setPhase(stackName, 'creating');
    await expect(deployStack(input, deps())).rejects.toBeInstanceOf(ClusterNotReadyError);
    expect(clusterSwarm.deployed).toEqual([]);
  });

  it('fails when the stack is gone', async () => {
    await expect(deployStack(input, deps())).rejects.toBeInstanceOf(ClusterProvisionFailedError);
    expect(clusterSwarm.deployed).toEqual([]);
  });
});
