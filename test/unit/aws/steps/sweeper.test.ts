import { beforeEach, describe, expect, it } from 'vitest';
import { campaignKeys } from '../../../../lib/aws/bucket-layout.js';
import { MAX_PURGES_PER_SWEEP, sweep } from '../../../../lib/aws/steps/sweeper.js';
import type { ClusterSummary } from '../../../../lib/ports/cluster-provisioner.js';
import { InMemoryControlPlaneStore } from '../../../fakes/in-memory-control-plane-store.js';
import { seedCampaign, specInput, STAGE } from '../support/campaigns.js';
import { clock, executionArn, FakeProvisioner, FakeWorkflow } from '../support/fake-ports.js';
import { RecordingLog } from '../../../fakes/recording-log.js';

let store: InMemoryControlPlaneStore;
let provisioner: FakeProvisioner;
let workflow: FakeWorkflow;
let log: RecordingLog;
const time = clock('2026-03-02T12:00:00.000Z');
const deps = () => ({ store, provisioner, workflow, executionArnOf: executionArn, log, now: time.now });

function cluster(campaignId: string, overrides: Partial<ClusterSummary> = {}): ClusterSummary {
  return {
    stackName: `inet-swarm-${STAGE}-${campaignId}`,
    campaignId,
    createdAt: new Date('2026-03-02T11:00:00.000Z'),
    phase: 'ready',
    ...overrides,
  };
}

beforeEach(() => {
  store = new InMemoryControlPlaneStore();
  provisioner = new FakeProvisioner();
  workflow = new FakeWorkflow();
  log = new RecordingLog();
});

describe('sweep', () => {
  it('keeps the cluster of a running campaign within its lifetime', async () => {
    await seedCampaign(store, {
      campaignId: 'live-00000001',
      status: { state: 'running', startedAt: '2026-03-02T11:00:00.000Z' },
    });
    workflow.phases.set(executionArn('live-00000001'), 'running');
    provisioner.clusters = [cluster('live-00000001')];

    expect(await sweep(deps())).toEqual({ checked: 1, deleted: [], purged: [], errors: [] });
    expect(provisioner.deleted).toEqual([]);
  });

  it('deletes clusters of ended campaigns, stopped workflows and unknown executions', async () => {
    await seedCampaign(store, { campaignId: 'done-00000001', status: { state: 'succeeded' } });
    workflow.phases.set(executionArn('done-00000001'), 'running');
    await seedCampaign(store, { campaignId: 'dead-00000001', status: { state: 'running' } });
    workflow.phases.set(executionArn('dead-00000001'), 'timed-out');
    // No documents and no execution at all.
    provisioner.clusters = [cluster('done-00000001'), cluster('dead-00000001'), cluster('lost-00000001')];

    const result = await sweep(deps());

    expect(provisioner.deleted).toEqual([
      `inet-swarm-${STAGE}-done-00000001`,
      `inet-swarm-${STAGE}-dead-00000001`,
      `inet-swarm-${STAGE}-lost-00000001`,
    ]);
    expect(result.deleted.map((d) => [d.campaignId, d.reason, d.detail])).toEqual([
      ['done-00000001', 'campaign-ended', 'the campaign is succeeded'],
      ['dead-00000001', 'execution-not-running', 'the workflow execution is timed-out'],
      ['lost-00000001', 'execution-not-running', 'the workflow execution is unknown'],
    ]);
  });

  it('deletes a cluster that outlived its lifetime by more than an hour', async () => {
    await seedCampaign(store, {
      campaignId: 'long-00000001',
      spec: specInput({ limits: { maxLifetimeMinutes: 60 } }),
      status: { state: 'running', startedAt: '2026-03-02T09:59:00.000Z' },
    });
    workflow.phases.set(executionArn('long-00000001'), 'running');
    await seedCampaign(store, {
      campaignId: 'ok-000000001',
      spec: specInput({ limits: { maxLifetimeMinutes: 60 } }),
      status: { state: 'running', startedAt: '2026-03-02T10:01:00.000Z' },
    });
    workflow.phases.set(executionArn('ok-000000001'), 'running');
    provisioner.clusters = [cluster('long-00000001'), cluster('ok-000000001')];

    const result = await sweep(deps());

    expect(result.deleted).toEqual([
      {
        stackName: `inet-swarm-${STAGE}-long-00000001`,
        campaignId: 'long-00000001',
        reason: 'lifetime-exceeded',
        detail: 'up 121 min, lifetime 60 min',
      },
    ]);
  });

  it('leaves stacks being deleted alone and asks again for ones whose deletion failed', async () => {
    provisioner.clusters = [
      cluster('gone-00000001', { phase: 'deleting' }),
      cluster('stuck-0000001', { phase: 'delete-failed' }),
    ];
    await sweep(deps());
    expect(provisioner.deleted).toEqual([`inet-swarm-${STAGE}-stuck-0000001`]);
  });

  it('judges a cluster whose status cannot be read by its execution', async () => {
    await store.putJson(campaignKeys('bad-000000001').status, { not: 'a status' });
    workflow.phases.set(executionArn('bad-000000001'), 'failed');
    provisioner.clusters = [cluster('bad-000000001')];

    const result = await sweep(deps());

    expect(result.deleted.map((d) => d.reason)).toEqual(['execution-not-running']);
    expect(log.lines.some((e) => e.level === 'warn' && e.message === 'unreadable campaign document')).toBe(
      true,
    );
  });

  it('logs a cluster it cannot judge and goes on with the others', async () => {
    workflow.phases.set(executionArn('flaky-0000001'), new Error('ThrottlingException'));
    provisioner.clusters = [cluster('flaky-0000001'), cluster('lost-00000001')];

    const result = await sweep(deps());

    expect(result.errors).toEqual([
      {
        stackName: `inet-swarm-${STAGE}-flaky-0000001`,
        campaignId: 'flaky-0000001',
        message: 'ThrottlingException',
      },
    ]);
    expect(provisioner.deleted).toEqual([`inet-swarm-${STAGE}-lost-00000001`]);
    expect(log.lines.filter((e) => e.level === 'error').map((e) => e.fields.campaignId)).toEqual([
      'flaky-0000001',
    ]);
  });

  it('logs a failed deletion and goes on', async () => {
    provisioner.clusters = [cluster('deny-00000001'), cluster('lost-00000001')];
    provisioner.deleteError.set(`inet-swarm-${STAGE}-deny-00000001`, new Error('AccessDenied'));

    const result = await sweep(deps());

    expect(result.errors.map((e) => e.message)).toEqual(['AccessDenied']);
    expect(result.deleted.map((d) => d.campaignId)).toEqual(['lost-00000001']);
  });

  it('throws when the clusters cannot be listed', async () => {
    provisioner.listError = new Error('ExpiredToken');
    await expect(sweep(deps())).rejects.toThrow('ExpiredToken');
  });
});

describe('sweep, leftovers', () => {
  const stackOf = (campaignId: string) => `inet-swarm-${STAGE}-${campaignId}`;
  function leave(campaignId: string, ...names: string[]) {
    provisioner.leftParameters.set(stackOf(campaignId), {
      campaignId,
      names: names.map((name) => `/inet-swarm/${stackOf(campaignId)}/${name}`),
    });
  }

  it('purges the leftovers of deleted stacks only', async () => {
    // Live and listed: its stack's own parameters, and the instances still write.
    await seedCampaign(store, { campaignId: 'live-00000001', status: { state: 'running' } });
    workflow.phases.set(executionArn('live-00000001'), 'running');
    provisioner.clusters = [cluster('live-00000001')];
    leave('live-00000001', 'manager-ip', 'join-token/worker');
    // Not listed (created since, or without this stage's tags), but there.
    leave('new-000000001', 'manager-ip');
    provisioner.setPhase(stackOf('new-000000001'), 'creating');
    leave('going-0000001', 'gateway-token');
    provisioner.setPhase(stackOf('going-0000001'), 'deleting');
    // Gone: a workflow that timed out, whose stack onExecutionEnd deleted.
    leave('gone-00000001', 'join-token/worker', 'join-token/manager', 'gateway-token');

    const result = await sweep(deps());

    expect(provisioner.purged).toEqual([stackOf('gone-00000001')]);
    expect(result.purged).toEqual([
      { stackName: stackOf('gone-00000001'), campaignId: 'gone-00000001', parameters: 3 },
    ]);
    expect(result.errors).toEqual([]);
    expect(provisioner.deleted).toEqual([]);
  });

  it('logs a purge that fails and goes on with the others', async () => {
    leave('deny-00000001', 'gateway-token');
    leave('gone-00000001', 'gateway-token');
    provisioner.purgeError.set(stackOf('deny-00000001'), new Error('AccessDeniedException'));

    const result = await sweep(deps());

    expect(result.errors).toEqual([
      { stackName: stackOf('deny-00000001'), campaignId: 'deny-00000001', message: 'AccessDeniedException' },
    ]);
    expect(result.purged.map((p) => p.campaignId)).toEqual(['gone-00000001']);
    expect(log.lines.filter((e) => e.level === 'error').map((e) => [e.message, e.fields.campaignId])).toEqual(
      [['could not purge cluster leftovers', 'deny-00000001']],
    );
  });

  it(`purges at most ${MAX_PURGES_PER_SWEEP} per sweep, not counting stacks that still exist`, async () => {
    leave('live-00000001', 'manager-ip');
    provisioner.setPhase(stackOf('live-00000001'), 'ready');
    for (let i = 0; i < MAX_PURGES_PER_SWEEP + 5; i++) leave(`gone-${String(i).padStart(8, '0')}`, 'x');

    expect((await sweep(deps())).purged).toHaveLength(MAX_PURGES_PER_SWEEP);
    expect((await sweep(deps())).purged).toHaveLength(5);
    expect(provisioner.purged).not.toContain(stackOf('live-00000001'));
  });

  it('throws when the leftovers cannot be listed, after sweeping the clusters', async () => {
    provisioner.clusters = [cluster('lost-00000001')];
    provisioner.leftoversError = new Error('ThrottlingException');

    await expect(sweep(deps())).rejects.toThrow('ThrottlingException');
    expect(provisioner.deleted).toEqual([stackOf('lost-00000001')]);
  });
});
