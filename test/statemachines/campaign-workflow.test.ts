/**
 * The real campaign state machine (statemachines/campaign.asl.yaml) executed by aws-local-stepfunctions,
 * its Task states bound to the real Lambda handlers (functions/<name>/handler.ts, loaded with their
 * real configuration), which talk to a moto server: S3 (the control-plane bucket), CloudFormation
 * (the real cluster template) and SSM. The provisioned cluster is played by the in-process swarm
 * (test/support/in-process-swarm.ts: the real gateway, builder and runners on Redis and FerretDB) and
 * the real agent, which answers the workflow's task tokens.
 *
 * What stands in for AWS itself, and why:
 * - Task tokens: the local executor has no SendTask* API, so each callback state's binding gives the
 *   agentTask handler a fresh token and waits for the agent's answer through an in-process
 *   TaskReporter (LocalTaskTokens).
 * - The managers' user data (swarm/cluster.cfn.yaml): nothing boots in moto, so the binding of
 *   WaitForSwarm first writes the ready-node count the managers would write, then calls the real
 *   handler, which reads it from moto's SSM.
 * - DeployStack: moto runs no SSM commands, so the real deployStack step runs with a ClusterSwarm
 *   whose deploy starts the agent against the in-process swarm (what deploy.sh does on a manager).
 * - Clusters use an existing VPC: moto cannot delete a VPC its CloudFormation created (it leaves the
 *   route table behind), which real CloudFormation does; the template test covers the new-VPC case.
 *
 * Every path ends with the cluster stack deleted in moto and no instance left running.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CloudFormationClient,
  DescribeStacksCommand,
  ListStacksCommand,
} from '@aws-sdk/client-cloudformation';
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeInstancesCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { Context } from 'aws-lambda';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packSnapshot, scanSource } from '../../lib/adapters/local/source-snapshot.js';
import { sha256File } from '../../lib/adapters/local/sha256-file.js';
import { S3ControlPlaneStore } from '../../lib/adapters/aws/s3-control-plane-store.js';
import { TaskTokenExpiredError } from '../../lib/adapters/aws/sfn-task-reporter.js';
import { Agent } from '../../lib/aws/agent/agent.js';
import { campaignKeys, clusterStackName, sourceKey } from '../../lib/aws/bucket-layout.js';
import type { CampaignSpecInput } from '../../lib/aws/campaign-spec.js';
import { campaignStatusSchema, type CampaignStatus } from '../../lib/aws/campaign-status.js';
import { storedRecordSchema } from '../../lib/aws/stored-record.js';
import { cancelCampaign } from '../../lib/aws/steps/cancel-campaign.js';
import { createCampaign } from '../../lib/aws/steps/create-campaign.js';
import { deployStack } from '../../lib/aws/steps/deploy-stack.js';
import { workflowStateSchema, type WorkflowState } from '../../lib/aws/workflow-state.js';
import type { ClusterProvisioner } from '../../lib/ports/cluster-provisioner.js';
import type { ClusterSwarm } from '../../lib/ports/cluster-swarm.js';
import type { TaskReporter } from '../../lib/ports/task-reporter.js';
import { GatewayClient } from '../../lib/swarm/client/gateway-client.js';
import { demoSourceProject } from '../e2e/helpers.js';
import { startInProcessSwarm, type InProcessSwarm } from '../support/in-process-swarm.js';
import { startMoto, type TestMoto } from '../support/moto-server.js';
import { RecordingLog } from '../unit/aws/agent/agent-fakes.js';
import { loadCampaignDefinition, type AslDefinition } from './campaign-definition.js';

const STAGE = 'ci';
const BUCKET = 'inet-swarm-ci-workflow';

/** Answers to task tokens, handed from the agent to the waiting callback state. */
class LocalTaskTokens implements TaskReporter {
  private readonly pending = new Map<
    string,
    { resolve: (output: unknown) => void; reject: (error: Error) => void }
  >();
  /** Tokens answered, in order: `<token> succeed|fail:<error>`. */
  readonly answers: string[] = [];

  expect(token: string): Promise<unknown> {
    return new Promise((resolve, reject) => this.pending.set(token, { resolve, reject }));
  }
  /** Forgets a token, as Step Functions does when its state times out. */
  expire(token: string): void {
    this.pending.delete(token);
  }
  private take(token: string) {
    const waiter = this.pending.get(token);
    if (waiter === undefined) throw new TaskTokenExpiredError(`task token ${token} is not awaited`);
    this.pending.delete(token);
    return waiter;
  }
  succeed(token: string, output: unknown): Promise<void> {
    const waiter = this.take(token);
    this.answers.push(`${token} succeed`);
    waiter.resolve(output);
    return Promise.resolve();
  }
  fail(token: string, error: string, cause: string): Promise<void> {
    const waiter = this.take(token);
    this.answers.push(`${token} fail:${error}`);
    const failure = new Error(cause);
    failure.name = error;
    waiter.reject(failure);
    return Promise.resolve();
  }
  heartbeat(token: string): Promise<void> {
    if (!this.pending.has(token))
      return Promise.reject(new TaskTokenExpiredError(`task token ${token} is not awaited`));
    return Promise.resolve();
  }
}

type Handler = (event: unknown, context: Context) => Promise<unknown>;
const lambdaContext = (name: string): Context =>
  ({ awsRequestId: randomUUID(), functionName: name }) as unknown as Context;

let moto: TestMoto;
let swarm: InProcessSwarm;
let store: S3ControlPlaneStore;
let cfn: CloudFormationClient;
let ec2: EC2Client;
let ssm: SSMClient;
let existingVpc: { vpcId: string; subnetIds: string[] };
let source: { sha256: string; size: number };
const handlers = new Map<string, Handler>();
/** The functions' provisioner, for the DeployStack step run here (see the header). */
let provisioner: ClusterProvisioner;
const scratch = mkdtempSync(path.join(os.tmpdir(), 'campaign-workflow-'));

beforeAll(async () => {
  moto = await startMoto();
  // The functions' configuration, as serverless.yml sets it; the SDK honours AWS_ENDPOINT_URL.
  Object.assign(process.env, {
    BUCKET,
    STAGE,
    AWS_REGION: moto.region,
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    LOG_LEVEL: 'warn',
    CLUSTER_STACK_ROLE_ARN: 'arn:aws:iam::123456789012:role/inet-swarm-ci-cluster-stack',
  });
  const s3 = new S3Client(moto.clientConfig);
  await s3.send(
    new CreateBucketCommand({
      Bucket: BUCKET,
      CreateBucketConfiguration: { LocationConstraint: moto.region as 'eu-central-1' },
    }),
  );
  store = new S3ControlPlaneStore(s3, BUCKET);
  cfn = new CloudFormationClient(moto.clientConfig);
  ec2 = new EC2Client(moto.clientConfig);
  ssm = new SSMClient(moto.clientConfig);
  const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.40.0.0/16' }));
  const { Subnet } = await ec2.send(
    new CreateSubnetCommand({ VpcId: Vpc!.VpcId!, CidrBlock: '10.40.1.0/24' }),
  );
  existingVpc = { vpcId: Vpc!.VpcId!, subnetIds: [Subnet!.SubnetId!] };

  // Imported only now: each handler reads its configuration from the environment when it loads.
  const modules: Record<string, () => Promise<{ handler: Handler }>> = {
    Validate: () => import('../../functions/validate/handler.js'),
    Provision: () => import('../../functions/provision/handler.js'),
    WaitForSwarm: () => import('../../functions/wait-for-swarm/handler.js'),
    AgentTask: () => import('../../functions/agent-task/handler.js'),
    CheckBudget: () => import('../../functions/check-budget/handler.js'),
    Teardown: () => import('../../functions/teardown/handler.js'),
    CheckTeardown: () => import('../../functions/check-teardown/handler.js'),
  };
  for (const [state, load] of Object.entries(modules)) handlers.set(state, (await load()).handler);
  const { createProvisioner } = await import('../../functions/shared/deps.js');
  const { loadConfig } = await import('../../functions/shared/config.js');
  provisioner = createProvisioner(loadConfig(process.env));

  swarm = await startInProcessSwarm();
  swarm.startRunner(2);
  // The source snapshot as the CLI uploads it.
  const project = demoSourceProject('campaign-workflow');
  const snapshot = await scanSource({ projectDir: project, exclude: [], maxBytes: 64 * 2 ** 20 });
  const archive = path.join(scratch, 'source.tar.gz');
  await packSnapshot(snapshot, archive);
  const sha256 = await sha256File(archive);
  await store.uploadFile(sourceKey(sha256), archive, sha256);
  source = { sha256, size: statSync(archive).size };
}, 180_000);

afterAll(async () => {
  await swarm?.stop();
  await moto?.stop();
});

interface Execution {
  readonly campaignId: string;
  readonly output: WorkflowState | null;
  /** The Fail state's error name, or null when the execution succeeded. */
  readonly error: string | null;
  /** What the execution failed with, for assertion messages. */
  readonly cause: string;
  readonly status: CampaignStatus;
  readonly tokens: LocalTaskTokens;
  readonly agentLog: RecordingLog;
}

interface Scenario {
  readonly spec?: Partial<CampaignSpecInput>;
  /** Changes to the definition, e.g. a shorter callback timeout. */
  readonly patch?: (definition: AslDefinition) => void;
  /** Called as each state is entered, with the campaign id. */
  readonly onState?: (state: string, campaignId: string, agent: { stop(): Promise<void> }) => Promise<void>;
}

async function runCampaign(scenario: Scenario = {}): Promise<Execution> {
  const created = await createCampaign(
    {
      name: 'workflow',
      program: './demo',
      args: ['-c', 'Quick'],
      source,
      buildCommand: 'make',
      cluster: { region: moto.region, clusterSize: 1, instanceType: 'c6i.large', spot: false, existingVpc },
      limits: { maxRetries: 1, idleGraceMinutes: 0 },
      ...scenario.spec,
    },
    { store, region: moto.region, uploadHeaders: () => ({}), now: () => new Date() },
  );
  const campaignId = created.campaignId;
  const tokens = new LocalTaskTokens();
  const agentLog = new RecordingLog();
  const agentStop = new AbortController();
  let agentRunning: Promise<void> | null = null;
  const agent = {
    stop: async () => {
      agentStop.abort();
      await agentRunning;
    },
  };

  // The cluster: the in-process swarm, deployed to by starting the campaign's agent on it.
  const clusterSwarm: ClusterSwarm = {
    readyNodes: () => Promise.resolve(2),
    deploy: (_cluster, settings) => {
      agentRunning ??= new Agent({
        campaignId: settings.campaignId,
        store,
        reporter: tokens,
        gateway: new GatewayClient(swarm.url, swarm.token),
        scratchDir: scratch,
        log: agentLog,
        timing: {
          commandPollMs: 50,
          heartbeatMs: 500,
          progressIntervalMs: 1500,
          statusWriteMs: 200,
          buildLogFlushMs: 200,
          jobPollMs: 100,
          recordPollMs: 100,
          unitRetryDelayMs: 100,
        },
      }).run(agentStop.signal);
      return Promise.resolve();
    },
  };

  const lambda =
    (state: string, handler: Handler) =>
    async (input: unknown): Promise<unknown> => {
      await scenario.onState?.(state, campaignId, agent);
      const { Payload } = input as { Payload: unknown };
      return { Payload: (await handler(Payload, lambdaContext(state))) ?? null };
    };
  const callback = (state: string) => async (input: unknown) => {
    await scenario.onState?.(state, campaignId, agent);
    const { Payload } = input as { Payload: Record<string, unknown> };
    // A fresh token per task, as Step Functions issues them.
    const taskToken = `${campaignId}/${state}/${randomUUID()}`;
    const answer = tokens.expect(taskToken);
    await handlers.get('AgentTask')!({ ...Payload, taskToken }, lambdaContext(state));
    return answer;
  };
  const handler = (state: string) => handlers.get(state)!;

  const bindings: Record<string, (input: unknown) => Promise<unknown>> = {
    Validate: lambda('Validate', handler('Validate')),
    Provision: lambda('Provision', handler('Provision')),
    WaitForSwarm: async (input: unknown) => {
      // What the managers' user data does every 30 s once the swarm has formed.
      const stackName = clusterStackName(STAGE, campaignId);
      await ssm.send(
        new PutParameterCommand({
          Name: `/inet-swarm/${stackName}/ready-nodes`,
          Value: '2',
          Type: 'String',
          Overwrite: true,
        }),
      );
      return lambda('WaitForSwarm', handler('WaitForSwarm'))(input);
    },
    DeployStack: async (input: unknown) => {
      await scenario.onState?.('DeployStack', campaignId, agent);
      const { Payload } = input as { Payload: unknown };
      const state = workflowStateSchema.parse(Payload);
      await deployStack(state, {
        store,
        provisioner,
        clusterSwarm,
        stage: STAGE,
        bucket: BUCKET,
        region: moto.region,
        now: () => new Date(),
      });
      return { Payload: null };
    },
    Build: callback('Build'),
    FanOut: callback('FanOut'),
    WaitForRuns: callback('WaitForRuns'),
    CheckBudget: lambda('CheckBudget', handler('CheckBudget')),
    Teardown: lambda('Teardown', handler('Teardown')),
    CheckTeardown: lambda('CheckTeardown', handler('CheckTeardown')),
  };

  const definition = loadCampaignDefinition();
  scenario.patch?.(definition);
  const machine = new StateMachine(definition as unknown as StateMachineDefinition);
  const execution = machine.run(
    { campaignId },
    {
      // Replaced per task by its binding: the executor has one context object per execution.
      context: { Task: { Token: 'replaced-by-the-binding' } },
      overrides: {
        // The executor types handlers over its own JSON type; ours return what the handlers return.
        taskResourceLocalHandlers: bindings as never,
        waitTimeOverrides: { IdleGrace: 0 },
        retryIntervalOverrides: Object.fromEntries(
          Object.keys(definition.States).map((name) => [name, name === 'CheckTeardown' ? 200 : 100]),
        ),
      },
    },
  );
  let output: WorkflowState | null = null;
  let error: string | null = null;
  let cause = '';
  try {
    output = workflowStateSchema.parse(await execution.result);
  } catch (thrown) {
    const failure = (thrown as { cause?: { name?: string; message?: string } }).cause;
    error = failure?.name ?? String(thrown);
    cause = `${String(thrown)}: ${failure?.message ?? ''}`;
  } finally {
    await agent.stop();
  }
  const status = await store.getJson(campaignKeys(campaignId).status, campaignStatusSchema);
  return { campaignId, output, error, cause, status: status!, tokens, agentLog };
}

/** Nothing of the campaign's cluster is left in moto: the stack is deleted and no instance runs. */
async function expectNothingLeftBehind(campaignId: string): Promise<void> {
  const stackName = clusterStackName(STAGE, campaignId);
  const { StackSummaries = [] } = await cfn.send(new ListStacksCommand({}));
  const ours = StackSummaries.filter((s) => s.StackName === stackName);
  expect(ours.length, 'the cluster stack was created').toBeGreaterThan(0);
  expect(ours.map((s) => s.StackStatus)).toEqual(ours.map(() => 'DELETE_COMPLETE'));
  await expect(cfn.send(new DescribeStacksCommand({ StackName: stackName }))).rejects.toThrow(
    /does not exist/,
  );
  const { Reservations = [] } = await ec2.send(
    new DescribeInstancesCommand({
      Filters: [
        { Name: 'tag:inet-swarm:campaign', Values: [campaignId] },
        { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
      ],
    }),
  );
  expect(Reservations.flatMap((r) => r.Instances ?? [])).toEqual([]);
}

describe('the campaign workflow: real ASL, real handlers, moto, the in-process swarm and agent', () => {
  it('builds, runs every run into the bucket, tears the cluster down and succeeds', async () => {
    const run = await runCampaign();
    expect(run.error, run.cause).toBeNull();
    expect(run.output?.build?.artifactKey).toMatch(/^artifact-/);
    expect(run.output?.fanOut).toEqual({ totalRuns: 18 });
    expect(run.output?.progress).toMatchObject({ allFinal: true, total: 18, ok: 18, failed: 0 });
    expect(run.status).toMatchObject({ state: 'succeeded', failure: null });
    expect(run.status.cost?.soFarUsd).toBeGreaterThan(0);

    // Every run's record, and every result file it names, is in the bucket.
    const keys = campaignKeys(run.campaignId);
    const records = await store.list(keys.recordsPrefix, null, 1000);
    const stored = await Promise.all(records.objects.map((o) => store.getJson(o.key, storedRecordSchema)));
    expect(new Set(stored.map((r) => r!.record.runNumber)).size).toBe(18);
    expect(stored.every((r) => r!.record.status === 'ok')).toBe(true);
    for (const record of stored)
      for (const name of record!.results) expect(await store.exists(keys.result(name))).toBe(true);
    await expectNothingLeftBehind(run.campaignId);
  });

  it('tears the cluster down after a build failure and fails with BuildFailed', async () => {
    const run = await runCampaign({ spec: { buildCommand: 'echo the compiler says no >&2; false' } });
    expect(run.error).toBe('BuildFailed');
    expect(run.status.state).toBe('failed');
    expect(run.status.failure?.error).toBe('BuildFailed');
    expect(run.status.failure?.cause).toContain('the compiler says no');
    // No run was queued: nothing reached fan-out.
    expect(run.tokens.answers.some((a) => a.includes('/FanOut/'))).toBe(false);
    await expectNothingLeftBehind(run.campaignId);
  });

  it('tears the cluster down when the stack cannot be created and fails with ClusterProvisionFailed', async () => {
    // A VPC that does not exist: moto refuses the stack at CreateStack (real CloudFormation would roll
    // it back instead, which WaitForSwarm reports the same way; see its unit tests).
    const run = await runCampaign({
      spec: {
        cluster: {
          region: moto.region,
          clusterSize: 1,
          instanceType: 'c6i.large',
          spot: false,
          existingVpc: { vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123456789abcdef0'] },
        },
      },
    });
    expect(run.error, JSON.stringify(run.status.failure)).toBe('ClusterProvisionFailed');
    expect(run.status.state).toBe('failed');
    expect(run.tokens.answers).toEqual([]);
    await expectNothingLeftBehind(run.campaignId);
  });

  it('finishes every run when runners are lost mid-campaign and replaced', async () => {
    let replaced = false;
    const run = await runCampaign({
      spec: { args: ['-c', 'Skewed'] },
      onState: async (state) => {
        if (state === 'WaitForRuns' && !replaced) {
          replaced = true;
          // The running simulations die with their runner; the queue retries them on the new one.
          await swarm.stopRunner();
          swarm.startRunner(2);
        }
      },
    });
    expect(run.error, run.cause).toBeNull();
    expect(run.output?.progress).toMatchObject({ allFinal: true, failed: 0 });
    expect(run.output?.progress?.ok).toBe(run.output?.fanOut?.totalRuns);
    await expectNothingLeftBehind(run.campaignId);
  });

  it('tears the cluster down when the cluster stops answering (WaitForRuns times out)', async () => {
    const run = await runCampaign({
      spec: { args: ['-c', 'Skewed'] },
      patch: (definition) => {
        (definition.States.WaitForRuns as { TimeoutSeconds: number }).TimeoutSeconds = 3;
      },
      onState: async (state, _id, agent) => {
        // The whole cluster is gone: its agent never answers again.
        if (state === 'WaitForRuns') await agent.stop();
      },
    });
    expect(run.error).toBe('States.Timeout');
    expect(run.status.state).toBe('failed');
    expect(run.status.failure?.error).toBe('States.Timeout');
    await expectNothingLeftBehind(run.campaignId);
  });

  it('tears the cluster down when the budget is exceeded and fails with BudgetExceeded', async () => {
    const run = await runCampaign({
      spec: { args: ['-c', 'Skewed'], limits: { budgetUsd: 0.0000001, maxRetries: 1, idleGraceMinutes: 0 } },
    });
    expect(run.error).toBe('BudgetExceeded');
    expect(run.status.state).toBe('failed');
    expect(run.status.failure?.cause).toMatch(/budget/i);
    await expectNothingLeftBehind(run.campaignId);
  });

  it('tears the cluster down when the user cancels and ends as cancelled', async () => {
    let cancelled = false;
    const run = await runCampaign({
      spec: { args: ['-c', 'Skewed'] },
      onState: async (state, campaignId) => {
        if (state === 'WaitForRuns' && !cancelled) {
          cancelled = true;
          await cancelCampaign(campaignId, 'the user changed their mind', { store, now: () => new Date() });
        }
      },
    });
    expect(run.error).toBe('CampaignCancelled');
    expect(run.status.state).toBe('cancelled');
    expect(run.status.failure?.cause).toContain('changed their mind');
    await expectNothingLeftBehind(run.campaignId);
  });
});
