import { beforeEach, describe, expect, it } from 'vitest';
import { campaignKeys } from '../../../../lib/aws/bucket-layout.js';
import { campaignStatusSchema } from '../../../../lib/aws/campaign-status.js';
import {
  CampaignCancelledError,
  ClusterNotReadyError,
  ClusterProvisionFailedError,
} from '../../../../lib/aws/errors.js';
import { waitForSwarm } from '../../../../lib/aws/steps/wait-for-swarm.js';
import { InMemoryControlPlaneStore } from '../../../fakes/in-memory-control-plane-store.js';
import { CAMPAIGN_ID, seedCampaign, specInput, STAGE } from '../support/campaigns.js';
import { clock, FakeClusterSwarm, FakeProvisioner } from '../support/fake-ports.js';

const stackName = `inet-swarm-${STAGE}-${CAMPAIGN_ID}`;
const input = { campaignId: CAMPAIGN_ID, cluster: { stackName } };
let store: InMemoryControlPlaneStore;
let provisioner: FakeProvisioner;
let clusterSwarm: FakeClusterSwarm;
const time = clock();
const deps = () => ({ store, provisioner, clusterSwarm, stage: STAGE, now: time.now });

beforeEach(async () => {
  store = new InMemoryControlPlaneStore();
  provisioner = new FakeProvisioner();
  clusterSwarm = new FakeClusterSwarm();
  // 3 managers, 4 workers.
  await seedCampaign(store, {
    spec: specInput({ cluster: { ...specInput().cluster, managerSize: 3, clusterSize: 4 } }),
    status: { state: 'provisioning', stackName },
  });
});

describe('waitForSwarm', () => {
  it('is not ready while the stack is being created', async () => {
    provisioner.setPhase(stackName, 'creating');
    await expect(waitForSwarm(input, deps())).rejects.toBeInstanceOf(ClusterNotReadyError);
  });

  it('fails with CloudFormation reason when the stack failed', async () => {
    provisioner.setPhase(stackName, 'failed', {}, 'WorkerGroup: insufficient capacity');
    await expect(waitForSwarm(input, deps())).rejects.toThrow(
      new ClusterProvisionFailedError(
        `the cluster stack ${stackName} failed: WorkerGroup: insufficient capacity`,
      ),
    );
  });

  it('fails when the stack is gone', async () => {
    await expect(waitForSwarm(input, deps())).rejects.toBeInstanceOf(ClusterProvisionFailedError);
  });

  it('waits for every manager and one worker', async () => {
    provisioner.setPhase(stackName, 'ready', { ManagerPublicIp: '203.0.113.7' });
    clusterSwarm.nodes = 3;
    await expect(waitForSwarm(input, deps())).rejects.toThrow(
      new ClusterNotReadyError('3 of 7 swarm nodes are ready; waiting for at least 4'),
    );
  });

  it('is ready with every manager and one worker, and records the manager address', async () => {
    provisioner.setPhase(stackName, 'ready', { ManagerPublicIp: '203.0.113.7' });
    clusterSwarm.nodes = 4;

    expect(await waitForSwarm(input, deps())).toEqual({ nodes: 4, managerAddress: '203.0.113.7' });
    expect(await store.getJson(campaignKeys(CAMPAIGN_ID).status, campaignStatusSchema)).toMatchObject({
      cluster: { managerAddress: '203.0.113.7', dashboardPort: 8081 },
    });
  });

  it('finds the stack by the campaign id when the state has no cluster', async () => {
    provisioner.setPhase(stackName, 'ready', {});
    clusterSwarm.nodes = 7;
    expect(await waitForSwarm({ campaignId: CAMPAIGN_ID }, deps())).toEqual({
      nodes: 7,
      managerAddress: null,
    });
  });

  it('stops waiting when the campaign is cancelled', async () => {
    provisioner.setPhase(stackName, 'creating');
    await store.putJson(campaignKeys(CAMPAIGN_ID).control('cancel'), {
      requestedAt: '2026-03-01T11:00:00.000Z',
      reason: 'wrong config',
    });
    await expect(waitForSwarm(input, deps())).rejects.toThrow(
      new CampaignCancelledError(`campaign ${CAMPAIGN_ID} was cancelled: wrong config`),
    );
  });
});
