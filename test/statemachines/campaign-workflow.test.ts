/**
 * The real campaign state machine (statemachines/campaign.asl.yaml) executed by aws-local-stepfunctions,
 * its Task states bound to the real Lambda handlers (functions/<name>/handler.ts, loaded with their
 * real configuration), which talk to a moto server: S3 (the control-plane bucket), CloudFormation
 * (the real cluster template), EC2 and SSM. The provisioned cluster is a real two-node Docker Swarm
 * (./docker-swarm-cluster.ts) running the scripts the template installs on the managers, the real
 * stack file and images, and the real agent in its container, which answers the workflow's task
 * tokens over HTTP with the real Step Functions client.
 *
 * What stands in for AWS itself, and why:
 * - Task tokens: the local executor has no SendTask* API, so each callback state's binding gives the
 *   agentTask handler a fresh token and waits for the agent's answer, which arrives at a Step
 *   Functions wire-protocol endpoint of the test's own (test/support/step-functions-callbacks.ts).
 * - Instances: nothing boots in moto. Once Provision has created the stack, the Docker swarm plays its
 *   instances: report-ready.sh starts (WaitForSwarm reads what it writes to SSM), and Teardown's
 *   DeleteStack is followed by removing the stack from the swarm (what terminating them does).
 * - DeployStack: moto runs no SSM commands, so the real deployStack step runs with a ClusterSwarm that
 *   runs deploy.sh on the swarm's manager, as Run Command would.
 * - Clusters use an existing VPC: moto cannot delete a VPC its CloudFormation created (it leaves the
 *   route table behind), which real CloudFormation does; the template test covers the new-VPC case.
 *
 * Every path ends with the cluster stack deleted in moto, no instance left running and nothing of the
 * campaign left on the swarm.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
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
import { GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { Context } from 'aws-lambda';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ControlPlaneStore } from '../../lib/adapters/aws/s3-control-plane-store.js';
import { campaignKeys, clusterStackName } from '../../lib/aws/bucket-layout.js';
import type { CampaignSpecInput } from '../../lib/aws/campaign-spec.js';
import { campaignStatusSchema, type CampaignStatus } from '../../lib/aws/campaign-status.js';
import { storedRecordSchema, type StoredRecord } from '../../lib/aws/stored-record.js';
import { cancelCampaign } from '../../lib/aws/steps/cancel-campaign.js';
import { createCampaign } from '../../lib/aws/steps/create-campaign.js';
import { deployStack } from '../../lib/aws/steps/deploy-stack.js';
import { workflowStateSchema, type WorkflowState } from '../../lib/aws/workflow-state.js';
import type { ClusterProvisioner } from '../../lib/ports/cluster-provisioner.js';
import type { ClusterSwarm } from '../../lib/ports/cluster-swarm.js';
import { uploadDemoSource } from '../support/campaign-source.js';
import { startMoto, type TestMoto } from '../support/moto-server.js';
import { startNetnsSwarm, type NetnsSwarm } from '../support/netns-swarm.js';
import {
  LocalTaskTokens,
  startSfnCallbackEndpoint,
  type SfnCallbackEndpoint,
} from '../support/step-functions-callbacks.js';
import { loadCampaignDefinition, type AslDefinition } from './campaign-definition.js';
import { DockerSwarmCluster } from './docker-swarm-cluster.js';

const STAGE = 'ci';
const BUCKET = 'inet-swarm-ci-workflow';

type Handler = (event: unknown, context: Context) => Promise<unknown>;
const lambdaContext = (name: string): Context =>
  ({ awsRequestId: randomUUID(), functionName: name }) as unknown as Context;

let moto: TestMoto;
let netns: NetnsSwarm;
let cluster: DockerSwarmCluster;
let callbacks: SfnCallbackEndpoint;
/** The running execution's task tokens, which the callback endpoint answers. */
let currentTokens = new LocalTaskTokens();
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

const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

beforeAll(async () => {
  // Moto and the callback endpoint listen on the test's address on the swarm's bridge, where the
  // containers reach them.
  netns = await startNetnsSwarm('wf', 2);
  moto = await startMoto('eu-central-1', netns.hostIp);
  callbacks = await startSfnCallbackEndpoint({
    host: netns.hostIp,
    region: moto.region,
    credentials: CREDENTIALS,
    tokens: () => currentTokens,
  });
  cluster = new DockerSwarmCluster(netns, {
    region: moto.region,
    moto: moto.endpoint,
    stepFunctions: callbacks.url,
    credentials: CREDENTIALS,
  });
  // The functions' configuration, as serverless.yml sets it; the SDK honours AWS_ENDPOINT_URL.
  Object.assign(process.env, {
    BUCKET,
    STAGE,
    AWS_REGION: moto.region,
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
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

  source = await uploadDemoSource(store, 'campaign-workflow', scratch);
}, 900_000);

afterAll(async () => {
  await cluster?.terminate().catch(() => undefined);
  await callbacks?.stop();
  await moto?.stop();
  await netns?.stop();
}, 300_000);

interface Execution {
  readonly campaignId: string;
  readonly output: WorkflowState | null;
  /** The Fail state's error name, or null when the execution succeeded. */
  readonly error: string | null;
  /** What the execution failed with, for assertion messages. */
  readonly cause: string;
  readonly status: CampaignStatus;
  readonly tokens: LocalTaskTokens;
}

interface Scenario {
  readonly spec?: Partial<CampaignSpecInput>;
  /** Changes to the definition, e.g. a shorter callback timeout. */
  readonly patch?: (definition: AslDefinition) => void;
  /** Called as each state is entered, with the campaign id. */
  readonly onState?: (state: string, campaignId: string) => Promise<void>;
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
  currentTokens = tokens;
  const stackName = clusterStackName(STAGE, campaignId);
  /** The agent's log, kept from before the teardown for failure messages. */
  let agentLog = '';

  // DeployStack's Run Command on a manager: deploy.sh on the Docker swarm.
  const clusterSwarm: ClusterSwarm = {
    readyNodes: () => Promise.reject(new Error('WaitForSwarm reads SSM through its own handler')),
    deploy: (_cluster, settings) => cluster.deploy(settings),
  };

  const lambda =
    (state: string, handler: Handler) =>
    async (input: unknown): Promise<unknown> => {
      await scenario.onState?.(state, campaignId);
      const { Payload } = input as { Payload: unknown };
      return { Payload: (await handler(Payload, lambdaContext(state))) ?? null };
    };
  const callback = (state: string) => async (input: unknown) => {
    await scenario.onState?.(state, campaignId);
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
    Provision: async (input: unknown) => {
      const output = await lambda('Provision', handler('Provision'))(input);
      // CloudFormation has created the stack: its instances boot and the managers start reporting.
      cluster.boot(stackName, campaignId);
      return output;
    },
    WaitForSwarm: lambda('WaitForSwarm', handler('WaitForSwarm')),
    DeployStack: async (input: unknown) => {
      await scenario.onState?.('DeployStack', campaignId);
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
    Teardown: async (input: unknown) => {
      const output = await lambda('Teardown', handler('Teardown'))(input);
      // DeleteStack terminates the instances.
      agentLog = await cluster.agentLog();
      await cluster.terminate().catch((error: unknown) => {
        // The ASL would report only TeardownFailed.
        console.error('terminating the Docker swarm cluster failed:', error);
        throw error;
      });
      return output;
    },
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
          // WaitForSwarm waits for report-ready.sh's first report.
          Object.keys(definition.States).map((name) => [name, name === 'WaitForSwarm' ? 500 : 200]),
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
    cause = `${String(thrown)}: ${failure?.message ?? ''}\nagent log:\n${agentLog.split('\n').slice(-40).join('\n')}`;
  }
  const status = await store.getJson(campaignKeys(campaignId).status, campaignStatusSchema);
  return { campaignId, output, error, cause, status: status!, tokens };
}

/** The run records the agent stored in the bucket. */
async function storedRecords(campaignId: string): Promise<StoredRecord[]> {
  const listed = await store.list(campaignKeys(campaignId).recordsPrefix, null, 1000);
  const records = await Promise.all(listed.objects.map((o) => store.getJson(o.key, storedRecordSchema)));
  return records.filter((r): r is StoredRecord => r !== null);
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
  // CheckTeardown purged what the managers wrote beside the stack (ready-nodes, the gateway token).
  const { Parameters = [] } = await ssm.send(
    new GetParametersByPathCommand({ Path: `/inet-swarm/${stackName}/`, Recursive: true }),
  );
  expect(Parameters.map((p) => p.Name)).toEqual([]);
  expect(await cluster.leftovers()).toEqual([]);
}

describe('the campaign workflow: real ASL, real handlers, moto, a Docker swarm with the real stack and agent', () => {
  it('builds, runs every run into the bucket, tears the cluster down and succeeds', async () => {
    const run = await runCampaign();
    expect(run.error, run.cause).toBeNull();
    expect(run.output?.build?.artifactKey).toMatch(/^artifact-/);
    expect(run.output?.fanOut).toEqual({ totalRuns: 18 });
    expect(run.output?.progress).toMatchObject({ allFinal: true, total: 18, ok: 18, failed: 0 });
    expect(run.status).toMatchObject({ state: 'succeeded', failure: null });
    expect(run.status.cost?.soFarUsd).toBeGreaterThan(0);
    // The agent's answers arrived signed with its credentials, as Step Functions requires.
    expect(run.tokens.answers.length).toBeGreaterThan(0);
    expect(callbacks.unsigned).toBe(0);

    // Every run's record, and every result file it names, is in the bucket; the runs ran on both nodes.
    const keys = campaignKeys(run.campaignId);
    const stored = await storedRecords(run.campaignId);
    expect(new Set(stored.map((r) => r.record.runNumber)).size).toBe(18);
    expect(stored.every((r) => r.record.status === 'ok')).toBe(true);
    expect(new Set(stored.map((r) => r.record.host))).toEqual(new Set(netns.nodes.map((n) => n.name)));
    for (const record of stored)
      for (const name of record.results) expect(await store.exists(keys.result(name))).toBe(true);
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

  it('finishes every run when a worker node is lost mid-campaign and comes back', async () => {
    let inFlight: number[] = [];
    let killedAt = '';
    const run = await runCampaign({
      spec: { args: ['-c', 'Skewed'] },
      onState: async (state) => {
        if (state === 'WaitForRuns' && killedAt === '') {
          // The worker node dies with the simulations it runs (its engine and every container are
          // SIGKILLed); the queue gives them to another runner, and the node rejoins.
          inFlight = await cluster.simulationsOn(2);
          killedAt = new Date().toISOString();
          await netns.killNode(2);
          await netns.startNode(2);
        }
      },
    });
    expect(run.error, run.cause).toBeNull();
    expect(run.output?.progress).toMatchObject({ allFinal: true, failed: 0 });
    expect(run.output?.progress?.ok).toBe(run.output?.fanOut?.totalRuns);
    // What was on the node when it died ran again, to the end, after it died.
    const records = await storedRecords(run.campaignId);
    const ofInFlight = records
      .map((r) => r.record)
      .filter((r) => inFlight.includes(r.runNumber))
      .map(
        (r) => `${r.runNumber} ${r.status} attempt ${r.attempt} on ${r.host} ${r.startedAt}..${r.endedAt}`,
      );
    expect(inFlight.length).toBeGreaterThan(0);
    expect(
      records.some((r) => inFlight.includes(r.record.runNumber) && r.record.startedAt > killedAt),
      `killed at ${killedAt}; records of the runs in flight:\n${ofInFlight.join('\n')}`,
    ).toBe(true);
    await expectNothingLeftBehind(run.campaignId);
  });

  it('tears the cluster down when the cluster stops answering (WaitForRuns times out)', async () => {
    const run = await runCampaign({
      spec: { args: ['-c', 'Skewed'] },
      patch: (definition) => {
        (definition.States.WaitForRuns as { TimeoutSeconds: number }).TimeoutSeconds = 3;
      },
      onState: async (state) => {
        // The cluster's agent is gone: it never answers again.
        if (state === 'WaitForRuns') await cluster.silenceAgent();
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
