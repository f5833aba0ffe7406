import { beforeEach, describe, expect, it } from 'vitest';
import { campaignKeys } from '../../../../lib/aws/bucket-layout.js';
import { campaignStatusSchema } from '../../../../lib/aws/campaign-status.js';
import { TeardownFailedError, TeardownPendingError } from '../../../../lib/aws/errors.js';
import { checkTeardown } from '../../../../lib/aws/steps/check-teardown.js';
import { InMemoryControlPlaneStore } from '../../../fakes/in-memory-control-plane-store.js';
import { CAMPAIGN_ID, seedCampaign, STAGE } from '../support/campaigns.js';
import { clock, FakeProvisioner } from '../support/fake-ports.js';
import { RecordingLog } from '../../../fakes/recording-log.js';

const stackName = `inet-swarm-${STAGE}-${CAMPAIGN_ID}`;
const input = { campaignId: CAMPAIGN_ID, cluster: { stackName } };
let store: InMemoryControlPlaneStore;
let provisioner: FakeProvisioner;
let log: RecordingLog;
const time = clock('2026-03-01T12:00:00.000Z');
const deps = () => ({ store, provisioner, stage: STAGE, log, now: time.now });
const statusOf = () => store.getJson(campaignKeys(CAMPAIGN_ID).status, campaignStatusSchema);

beforeEach(async () => {
  store = new InMemoryControlPlaneStore();
  provisioner = new FakeProvisioner();
  log = new RecordingLog();
  await seedCampaign(store, { status: { state: 'tearing-down', stackName } });
});

describe('checkTeardown', () => {
  it('is pending while the stack is being deleted, and leaves what the instances still write', async () => {
    provisioner.setPhase(stackName, 'deleting');
    await expect(checkTeardown(input, deps())).rejects.toBeInstanceOf(TeardownPendingError);
    expect((await statusOf())?.state).toBe('tearing-down');
    expect(provisioner.purged).toEqual([]);
  });

  it('fails with CloudFormation reason when the deletion failed', async () => {
    provisioner.setPhase(stackName, 'delete-failed', {}, 'SecurityGroup: has a dependent object');
    await expect(checkTeardown(input, deps())).rejects.toThrow(
      new TeardownFailedError(
        `the cluster stack ${stackName} could not be deleted: SecurityGroup: has a dependent object`,
      ),
    );
  });

  it('asks again to delete a stack that is not being deleted', async () => {
    provisioner.setPhase(stackName, 'ready');
    await expect(checkTeardown(input, deps())).rejects.toBeInstanceOf(TeardownPendingError);
    expect(provisioner.deleted).toEqual([stackName]);
    expect(provisioner.purged).toEqual([]);
  });

  it('purges what the instances left once the stack is gone, before the final status', async () => {
    const names = [`/inet-swarm/${stackName}/gateway-token`, `/inet-swarm/${stackName}/join-token/worker`];
    provisioner.leftParameters.set(stackName, { campaignId: CAMPAIGN_ID, names });
    let stateWhenPurged: string | undefined;
    const purge = provisioner.purge.bind(provisioner);
    provisioner.purge = async (name) => {
      stateWhenPurged = (await statusOf())?.state;
      return purge(name);
    };

    await checkTeardown(input, deps());

    expect(provisioner.purged).toEqual([stackName]);
    expect(stateWhenPurged).toBe('tearing-down');
    expect((await statusOf())?.state).toBe('succeeded');
    expect(log.lines).toContainEqual({
      level: 'info',
      message: 'purged cluster leftovers',
      fields: { campaignId: CAMPAIGN_ID, stackName, parameters: names },
    });
  });

  it('still writes the final status when the purge fails, with a warning', async () => {
    const error = new Error('AccessDeniedException');
    provisioner.purgeError.set(stackName, error);

    await checkTeardown(input, deps());

    expect((await statusOf())?.state).toBe('succeeded');
    expect(log.lines).toEqual([
      {
        level: 'warn',
        message: 'could not purge cluster leftovers',
        fields: { campaignId: CAMPAIGN_ID, stackName, error },
      },
    ]);
  });

  it('marks the campaign succeeded once the stack is gone', async () => {
    await checkTeardown(input, deps());
    expect(await statusOf()).toMatchObject({
      state: 'succeeded',
      failure: null,
      updatedAt: '2026-03-01T12:00:00.000Z',
    });
  });

  it('marks it cancelled after a cancellation', async () => {
    await checkTeardown({ ...input, failure: { Error: 'CampaignCancelled', Cause: 'by alice' } }, deps());
    expect(await statusOf()).toMatchObject({
      state: 'cancelled',
      failure: { error: 'CampaignCancelled', cause: 'by alice' },
    });
  });

  it('marks it failed after any other failure', async () => {
    await checkTeardown({ ...input, failure: { Error: 'States.HeartbeatTimeout' } }, deps());
    expect(await statusOf()).toMatchObject({
      state: 'failed',
      failure: { error: 'States.HeartbeatTimeout', cause: '' },
    });
  });
});
