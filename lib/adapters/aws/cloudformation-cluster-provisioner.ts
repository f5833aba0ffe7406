/**
 * A campaign's cluster as one CloudFormation stack per campaign, from the cluster template. Creation
 * keeps CloudFormation's default rollback: a failed stack ends ROLLBACK_COMPLETE with its events
 * intact, so `status` can report why (the first resource that failed, not CloudFormation's summary),
 * and teardown deletes it like any other. Stacks are tagged with the campaign and the stage so the
 * sweeper finds every cluster of its stage, including ones whose workflow died.
 *
 * The instances write SSM parameters under `/inet-swarm/<stackName>/` (swarm/cluster.cfn.yaml): the
 * stack owns `manager-ip` and `ready-nodes`, CloudFormation cannot create the SecureStrings (join
 * tokens, gateway token) and the leader lock is the instances' own, so `purge` deletes the whole path
 * once the stack is gone.
 */
import {
  AlreadyExistsException,
  CloudFormationServiceException,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStacksCommand,
  paginateDescribeStackEvents,
  paginateDescribeStacks,
  type CloudFormationClient,
  type Parameter,
  type Stack,
  type StackStatus,
} from '@aws-sdk/client-cloudformation';
import {
  DeleteParametersCommand,
  paginateDescribeParameters,
  paginateGetParametersByPath,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { clusterStackName } from '../../aws/bucket-layout.js';
import type { ClusterOptions } from '../../aws/campaign-spec.js';
import { ClusterProvisionFailedError } from '../../aws/errors.js';
import type {
  ClusterLeftover,
  ClusterPhase,
  ClusterProvisioner,
  ClusterRequest,
  ClusterStatus,
  ClusterSummary,
} from '../../ports/cluster-provisioner.js';

export const CAMPAIGN_TAG = 'inet-swarm:campaign';
export const STAGE_TAG = 'inet-swarm:stage';
/** The instances' parameters are under `<PARAMETER_ROOT>/<stackName>/`. */
export const PARAMETER_ROOT = '/inet-swarm';
/** DeleteParameters takes at most this many names. */
const DELETE_BATCH = 10;

/**
 * Every status CloudFormation has, so a new one fails the type check on an SDK upgrade instead of
 * being guessed at run time. We never update a cluster stack: an UPDATE_* status means someone did by
 * hand, and the cluster is as usable as its resources, which exist unless the update's rollback failed.
 */
const PHASES: Readonly<Record<StackStatus, ClusterPhase>> = {
  REVIEW_IN_PROGRESS: 'creating',
  CREATE_IN_PROGRESS: 'creating',
  CREATE_COMPLETE: 'ready',
  CREATE_FAILED: 'failed',
  ROLLBACK_IN_PROGRESS: 'failed',
  ROLLBACK_COMPLETE: 'failed',
  ROLLBACK_FAILED: 'failed',
  UPDATE_IN_PROGRESS: 'ready',
  UPDATE_COMPLETE_CLEANUP_IN_PROGRESS: 'ready',
  UPDATE_COMPLETE: 'ready',
  UPDATE_FAILED: 'ready',
  UPDATE_ROLLBACK_IN_PROGRESS: 'ready',
  UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS: 'ready',
  UPDATE_ROLLBACK_COMPLETE: 'ready',
  UPDATE_ROLLBACK_FAILED: 'failed',
  IMPORT_IN_PROGRESS: 'ready',
  IMPORT_COMPLETE: 'ready',
  IMPORT_ROLLBACK_IN_PROGRESS: 'ready',
  IMPORT_ROLLBACK_COMPLETE: 'ready',
  IMPORT_ROLLBACK_FAILED: 'failed',
  DELETE_IN_PROGRESS: 'deleting',
  DELETE_COMPLETE: 'deleted',
  DELETE_FAILED: 'delete-failed',
};

/** What CloudFormation says when it cancels the other resources after the first failure: no cause. */
const CANCELLED_REASON = /cancell?ed/i;

export interface CloudFormationClusterProvisionerOptions {
  /** Deployment stage of the control plane (dev, prod...): tags the stacks and scopes `list`. */
  readonly stage: string;
  /** The cluster template (YAML or JSON), at most 51,200 bytes as a body. */
  readonly templateBody: string;
  /**
   * The role CloudFormation creates the cluster with (RoleARN). The caller then needs only
   * iam:PassRole on it, not the right to create every EC2, IAM and Auto Scaling resource itself.
   */
  readonly stackRoleArn?: string;
}

export class CloudFormationClusterProvisioner implements ClusterProvisioner {
  constructor(
    private readonly cfn: CloudFormationClient,
    private readonly ssm: SSMClient,
    private readonly options: CloudFormationClusterProvisionerOptions,
  ) {}

  async create(request: ClusterRequest): Promise<void> {
    try {
      await this.cfn.send(
        new CreateStackCommand({
          StackName: request.stackName,
          TemplateBody: this.options.templateBody,
          Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'],
          ...(this.options.stackRoleArn === undefined ? {} : { RoleARN: this.options.stackRoleArn }),
          Parameters: templateParameters(request),
          Tags: [
            { Key: CAMPAIGN_TAG, Value: request.campaignId },
            { Key: STAGE_TAG, Value: this.options.stage },
          ],
        }),
      );
    } catch (error) {
      // A retried Provision step: the first attempt created it.
      if (error instanceof AlreadyExistsException) return;
      // CloudFormation refused the stack itself (a parameter or resource it rejects, a limit): the
      // cluster cannot be created, as surely as after a rollback. Throttling and server faults stay
      // as they are, for a retry.
      if (
        error instanceof CloudFormationServiceException &&
        error.$fault === 'client' &&
        !/Throttl|RequestLimitExceeded/.test(error.name)
      )
        throw new ClusterProvisionFailedError(
          `CloudFormation refused to create ${request.stackName}: ${error.message}`,
          { cause: error },
        );
      throw error;
    }
  }

  async status(stackName: string): Promise<ClusterStatus> {
    const stack = await this.describe(stackName);
    if (stack === null) return { phase: 'deleted', reason: null, outputs: {} };
    const phase = phaseOf(stack);
    const outputs: Record<string, string> = {};
    for (const output of stack.Outputs ?? [])
      if (output.OutputKey !== undefined && output.OutputValue !== undefined)
        outputs[output.OutputKey] = output.OutputValue;
    let reason: string | null = null;
    if (phase === 'failed') reason = (await this.firstFailure(stack)) ?? stack.StackStatusReason ?? null;
    else if (phase === 'delete-failed') reason = stack.StackStatusReason ?? null;
    return { phase, reason, outputs };
  }

  async delete(stackName: string): Promise<void> {
    try {
      await this.cfn.send(new DeleteStackCommand({ StackName: stackName }));
    } catch (error) {
      if (isMissingStack(error)) return;
      throw error;
    }
  }

  async list(): Promise<ClusterSummary[]> {
    const clusters: ClusterSummary[] = [];
    // Without a StackName, DescribeStacks lists the region's stacks that are not DELETE_COMPLETE.
    for await (const page of paginateDescribeStacks({ client: this.cfn }, {})) {
      for (const stack of page.Stacks ?? []) {
        const tags = new Map((stack.Tags ?? []).map((tag) => [tag.Key, tag.Value]));
        const campaignId = tags.get(CAMPAIGN_TAG);
        if (tags.get(STAGE_TAG) !== this.options.stage || campaignId === undefined) continue;
        const phase = phaseOf(stack);
        if (phase === 'deleted' || stack.StackName === undefined) continue;
        clusters.push({
          stackName: stack.StackName,
          campaignId,
          createdAt: stack.CreationTime ?? new Date(0),
          phase,
        });
      }
    }
    return clusters;
  }

  async purge(stackName: string): Promise<string[]> {
    const names: string[] = [];
    // IAM authorises GetParametersByPath against the path asked for, not the parameters it returns:
    // asking for the stack's own path needs no grant beyond this stage's stacks' paths.
    const pages = paginateGetParametersByPath(
      { client: this.ssm },
      { Path: `${PARAMETER_ROOT}/${stackName}`, Recursive: true },
    );
    for await (const page of pages)
      for (const parameter of page.Parameters ?? [])
        if (parameter.Name !== undefined) names.push(parameter.Name);
    const deleted: string[] = [];
    for (let start = 0; start < names.length; start += DELETE_BATCH) {
      const response = await this.ssm.send(
        new DeleteParametersCommand({ Names: names.slice(start, start + DELETE_BATCH) }),
      );
      // InvalidParameters are the ones gone since the listing (the sweeper's purge, say): as wanted.
      deleted.push(...(response.DeletedParameters ?? []));
    }
    return deleted;
  }

  async leftovers(): Promise<ClusterLeftover[]> {
    // Names only, never values, and filtered by SSM: GetParametersByPath over PARAMETER_ROOT would
    // need the right to read (and decrypt) every stage's tokens.
    const stackPrefix = clusterStackName(this.options.stage, '');
    const pages = paginateDescribeParameters(
      { client: this.ssm },
      {
        ParameterFilters: [
          { Key: 'Name', Option: 'BeginsWith', Values: [`${PARAMETER_ROOT}/${stackPrefix}`] },
        ],
        MaxResults: 50,
      },
    );
    const stackNames = new Set<string>();
    for await (const page of pages)
      for (const parameter of page.Parameters ?? []) {
        // `<root>/<stackName>/<name...>`; anything else is not under a stack's path, and `purge` would
        // not remove it.
        const [stackName, ...below] = (parameter.Name ?? '').slice(PARAMETER_ROOT.length + 1).split('/');
        if (stackName !== undefined && stackName.length > stackPrefix.length && below.length > 0)
          stackNames.add(stackName);
      }
    return [...stackNames].map((stackName) => ({
      stackName,
      campaignId: stackName.slice(stackPrefix.length),
    }));
  }

  private async describe(stackName: string): Promise<Stack | null> {
    try {
      const response = await this.cfn.send(new DescribeStacksCommand({ StackName: stackName }));
      return response.Stacks?.[0] ?? null;
    } catch (error) {
      if (isMissingStack(error)) return null;
      throw error;
    }
  }

  /**
   * The reason of the earliest failed resource: CloudFormation's stack-level reason only says that
   * resources failed ("The following resource(s) failed to create: [...]"), the event says why. Events
   * come newest first, so the last failure seen is the first that happened.
   */
  private async firstFailure(stack: Stack): Promise<string | null> {
    let first: string | null = null;
    const pages = paginateDescribeStackEvents(
      { client: this.cfn },
      // The id still resolves once the stack is deleted; the name does not.
      { StackName: stack.StackId ?? stack.StackName },
    );
    for await (const page of pages) {
      for (const event of page.StackEvents ?? []) {
        const reason = event.ResourceStatusReason;
        if (event.ResourceStatus?.endsWith('_FAILED') !== true || reason === undefined) continue;
        if (CANCELLED_REASON.test(reason) || event.LogicalResourceId === stack.StackName) continue;
        first = `${event.LogicalResourceId ?? 'resource'}: ${reason}`;
      }
    }
    return first;
  }
}

function templateParameters({ options, bucket, campaignId, usdPerHour }: ClusterRequest): Parameter[] {
  const values: Record<string, string> = {
    ManagerSize: String(options.managerSize),
    ClusterSize: String(options.clusterSize),
    InstanceType: options.instanceType,
    ManagerInstanceType: options.managerInstanceType,
    KeyName: options.keyName ?? '',
    SpotEnabled: String(options.spot),
    OnDemandBase: String(options.onDemandBase),
    SshCidr: options.sshCidr ?? '',
    ExistingVpcId: options.existingVpc?.vpcId ?? '',
    ExistingSubnetIds: existingSubnets(options),
    Bucket: bucket,
    CampaignId: campaignId,
    // A plain decimal (the template's AllowedPattern); a hundredth of a cent per hour is precise enough.
    ClusterUsdPerHour: usdPerHour.toFixed(4),
    // Unset images are left out, not sent empty: the template's defaults apply.
    ...(options.workerImage === null ? {} : { WorkerImage: options.workerImage }),
    ...(options.builderImage === null ? {} : { BuilderImage: options.builderImage }),
  };
  return Object.entries(values).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue }));
}

/** A CommaDelimitedList parameter. */
function existingSubnets(options: ClusterOptions): string {
  return options.existingVpc?.subnetIds.join(',') ?? '';
}

function phaseOf(stack: Stack): ClusterPhase {
  const status = stack.StackStatus;
  const phase = status === undefined ? undefined : (PHASES as Partial<Record<string, ClusterPhase>>)[status];
  if (phase === undefined) throw new Error(`stack ${stack.StackName} has an unknown status ${status}`);
  return phase;
}

/** CloudFormation answers a missing stack with a generic ValidationError "Stack with id X does not exist". */
function isMissingStack(error: unknown): boolean {
  return (
    error instanceof CloudFormationServiceException &&
    error.name === 'ValidationError' &&
    /does not exist/.test(error.message)
  );
}
