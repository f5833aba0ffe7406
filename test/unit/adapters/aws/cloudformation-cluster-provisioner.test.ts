import {
  AlreadyExistsException,
  CloudFormationClient,
  CloudFormationServiceException,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import {
  DeleteParametersCommand,
  DescribeParametersCommand,
  GetParametersByPathCommand,
  SSMClient,
  SSMServiceException,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import '../../../support/aws-mock-matchers.js';
import { beforeEach, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { CloudFormationClusterProvisioner } from '../../../../lib/adapters/aws/cloudformation-cluster-provisioner.js';
import { clusterOptionsSchema } from '../../../../lib/aws/campaign-spec.js';
import type { ClusterRequest } from '../../../../lib/ports/cluster-provisioner.js';
import { at, loadClusterTemplate, text } from '../../../support/cluster-template.js';

const client = new CloudFormationClient({ region: 'eu-central-1' });
const cfn = mockClient(client);
const ssmClient = new SSMClient({ region: 'eu-central-1' });
const ssm = mockClient(ssmClient);
const provisioner = new CloudFormationClusterProvisioner(client, ssmClient, {
  stage: 'dev',
  templateBody: 'TEMPLATE',
});
const STACK = 'inet-swarm-dev-camp-1';
const STACK_ID = `arn:aws:cloudformation:eu-central-1:123456789012:stack/${STACK}/abc`;

const missingStack = () =>
  new CloudFormationServiceException({
    name: 'ValidationError',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
    message: `Stack with id ${STACK} does not exist`,
  });

function request(
  options: Partial<z.input<typeof clusterOptionsSchema>> = {},
  usdPerHour = 0.61,
): ClusterRequest {
  return {
    stackName: STACK,
    campaignId: 'camp-1',
    bucket: 'control-bucket',
    usdPerHour,
    options: clusterOptionsSchema.parse({
      region: 'eu-central-1',
      clusterSize: 4,
      instanceType: 'c6i.xlarge',
      ...options,
    }),
  };
}

function stack(fields: Partial<Stack>): Stack {
  return {
    StackName: STACK,
    StackId: STACK_ID,
    CreationTime: new Date('2026-03-01T10:00:00Z'),
    StackStatus: 'CREATE_IN_PROGRESS',
    ...fields,
  };
}

beforeEach(() => {
  cfn.reset();
  ssm.reset();
});

describe('CloudFormationClusterProvisioner.create', () => {
  it('creates the stack from the template with parameters, tags and IAM capabilities', async () => {
    cfn.on(CreateStackCommand).resolves({ StackId: STACK_ID });
    await provisioner.create(request());
    expect(cfn).toHaveReceivedCommandExactlyOnceWith(CreateStackCommand, {
      StackName: STACK,
      TemplateBody: 'TEMPLATE',
      Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'],
      Parameters: [
        { ParameterKey: 'ManagerSize', ParameterValue: '1' },
        { ParameterKey: 'ClusterSize', ParameterValue: '4' },
        { ParameterKey: 'InstanceType', ParameterValue: 'c6i.xlarge' },
        { ParameterKey: 'ManagerInstanceType', ParameterValue: 't3.medium' },
        { ParameterKey: 'KeyName', ParameterValue: '' },
        { ParameterKey: 'SpotEnabled', ParameterValue: 'true' },
        { ParameterKey: 'OnDemandBase', ParameterValue: '0' },
        { ParameterKey: 'SshCidr', ParameterValue: '' },
        { ParameterKey: 'ExistingVpcId', ParameterValue: '' },
        { ParameterKey: 'ExistingSubnetIds', ParameterValue: '' },
        { ParameterKey: 'Bucket', ParameterValue: 'control-bucket' },
        { ParameterKey: 'CampaignId', ParameterValue: 'camp-1' },
        { ParameterKey: 'ClusterUsdPerHour', ParameterValue: '0.6100' },
      ],
      Tags: [
        { Key: 'inet-swarm:campaign', Value: 'camp-1' },
        { Key: 'inet-swarm:stage', Value: 'dev' },
      ],
    });
    const input = cfn.commandCalls(CreateStackCommand)[0]?.args[0].input;
    // Rollback stays on (the default), so a failure leaves ROLLBACK_COMPLETE with its events to read.
    expect(input?.OnFailure).toBeUndefined();
    expect(input?.DisableRollback).toBeUndefined();
  });

  it("passes the cluster's price as a decimal the template accepts", async () => {
    cfn.on(CreateStackCommand).resolves({});
    const pattern = new RegExp(
      text(at(loadClusterTemplate(), 'Parameters', 'ClusterUsdPerHour', 'AllowedPattern')),
    );
    // A t3.small alone; floating-point noise; 500 large workers.
    for (const [usdPerHour, expected] of [
      [0.0208, '0.0208'],
      [0.1 + 0.2, '0.3000'],
      [1234.56789, '1234.5679'],
    ] as const) {
      cfn.resetHistory();
      await provisioner.create(request({}, usdPerHour));
      const parameter = cfn
        .commandCalls(CreateStackCommand)[0]
        ?.args[0].input.Parameters?.find((p) => p.ParameterKey === 'ClusterUsdPerHour');
      expect(parameter?.ParameterValue).toBe(expected);
      expect(expected).toMatch(pattern);
    }
    // What the pattern keeps out of the single-quoted shell string in the user data.
    for (const bad of ["0.5'; reboot; '", '1e3', '-1', '0.5 ']) expect(bad).not.toMatch(pattern);
  });

  it('passes the options a user set', async () => {
    cfn.on(CreateStackCommand).resolves({});
    await provisioner.create(
      request({
        managerSize: 3,
        managerInstanceType: 'm6i.large',
        spot: false,
        onDemandBase: 2,
        keyName: 'my-key',
        sshCidr: '203.0.113.7/32',
        existingVpc: { vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123456a', 'subnet-0123456b'] },
        workerImage: 'registry.example.org:5000/lab/inet-worker:4.5',
        builderImage: 'registry.example.org:5000/lab/inet-builder:4.5',
      }),
    );
    const parameters = Object.fromEntries(
      (cfn.commandCalls(CreateStackCommand)[0]?.args[0].input.Parameters ?? []).map(
        (p): [string, string | undefined] => [p.ParameterKey ?? '', p.ParameterValue],
      ),
    );
    expect(parameters).toMatchObject({
      ManagerSize: '3',
      ManagerInstanceType: 'm6i.large',
      SpotEnabled: 'false',
      OnDemandBase: '2',
      KeyName: 'my-key',
      SshCidr: '203.0.113.7/32',
      ExistingVpcId: 'vpc-0123456789abcdef0',
      ExistingSubnetIds: 'subnet-0123456a,subnet-0123456b',
      WorkerImage: 'registry.example.org:5000/lab/inet-worker:4.5',
      BuilderImage: 'registry.example.org:5000/lab/inet-builder:4.5',
    });
  });

  it("leaves an image out when none is chosen, so that the template's default applies", async () => {
    cfn.on(CreateStackCommand).resolves({});
    await provisioner.create(request({ builderImage: 'lab/inet-builder:4.5' }));
    const keys = (cfn.commandCalls(CreateStackCommand)[0]?.args[0].input.Parameters ?? []).map(
      (p) => p.ParameterKey,
    );
    expect(keys).toContain('BuilderImage');
    expect(keys).not.toContain('WorkerImage');
  });

  it('leaves an existing stack of that name alone', async () => {
    cfn.on(CreateStackCommand).rejects(new AlreadyExistsException({ message: 'exists', $metadata: {} }));
    await expect(provisioner.create(request())).resolves.toBeUndefined();
  });

  it('turns a refusal of the stack into ClusterProvisionFailed, keeping the cause', async () => {
    cfn.on(CreateStackCommand).rejects(
      new CloudFormationServiceException({
        name: 'InsufficientCapabilitiesException',
        $fault: 'client',
        $metadata: {},
        message: 'Requires capabilities',
      }),
    );
    await expect(provisioner.create(request())).rejects.toMatchObject({
      name: 'ClusterProvisionFailed',
      message: expect.stringContaining('Requires capabilities') as string,
    });
  });

  it('lets throttling and server faults through for a retry', async () => {
    cfn
      .on(CreateStackCommand)
      .rejectsOnce(
        new CloudFormationServiceException({
          name: 'Throttling',
          $fault: 'client',
          $metadata: {},
          message: 'Rate exceeded',
        }),
      )
      .rejectsOnce(
        new CloudFormationServiceException({
          name: 'InternalFailure',
          $fault: 'server',
          $metadata: {},
          message: 'try again',
        }),
      );
    await expect(provisioner.create(request())).rejects.toMatchObject({ name: 'Throttling' });
    await expect(provisioner.create(request())).rejects.toMatchObject({ name: 'InternalFailure' });
  });
});

describe('CloudFormationClusterProvisioner.status', () => {
  it.each([
    ['REVIEW_IN_PROGRESS', 'creating'],
    ['CREATE_IN_PROGRESS', 'creating'],
    ['CREATE_COMPLETE', 'ready'],
    ['UPDATE_COMPLETE', 'ready'],
    ['UPDATE_ROLLBACK_COMPLETE', 'ready'],
    ['DELETE_IN_PROGRESS', 'deleting'],
    ['DELETE_COMPLETE', 'deleted'],
  ] as const)('reports %s as %s', async (StackStatus, phase) => {
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack({ StackStatus })] });
    expect((await provisioner.status(STACK)).phase).toBe(phase);
    expect(cfn).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: STACK });
  });

  it('gives the stack outputs of a ready cluster', async () => {
    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [
        stack({
          StackStatus: 'CREATE_COMPLETE',
          Outputs: [
            { OutputKey: 'ManagerPublicIp', OutputValue: '198.51.100.4' },
            { OutputKey: 'StackName', OutputValue: STACK },
          ],
        }),
      ],
    });
    expect(await provisioner.status(STACK)).toEqual({
      phase: 'ready',
      reason: null,
      outputs: { ManagerPublicIp: '198.51.100.4', StackName: STACK },
    });
  });

  it('says deleted when the stack does not exist', async () => {
    cfn.on(DescribeStacksCommand).rejects(missingStack());
    expect(await provisioner.status(STACK)).toEqual({ phase: 'deleted', reason: null, outputs: {} });
  });

  it('lets other ValidationErrors through', async () => {
    cfn.on(DescribeStacksCommand).rejects(
      new CloudFormationServiceException({
        name: 'ValidationError',
        $fault: 'client',
        $metadata: {},
        message: 'Rate exceeded',
      }),
    );
    await expect(provisioner.status(STACK)).rejects.toThrow('Rate exceeded');
  });

  it('reports a rolled-back stack as failed with the reason of the first resource that failed', async () => {
    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [
        stack({
          StackStatus: 'ROLLBACK_COMPLETE',
          StackStatusReason: 'The following resource(s) failed to create: [Workers, Managers].',
        }),
      ],
    });
    // Newest first, on two pages, as CloudFormation returns them.
    cfn
      .on(DescribeStackEventsCommand, { NextToken: undefined })
      .resolves({
        StackEvents: [
          {
            LogicalResourceId: STACK,
            ResourceStatus: 'ROLLBACK_COMPLETE',
            StackId: STACK_ID,
            StackName: STACK,
            EventId: '5',
            Timestamp: new Date(),
          },
          {
            LogicalResourceId: STACK,
            ResourceStatus: 'ROLLBACK_IN_PROGRESS',
            ResourceStatusReason: 'The following resource(s) failed to create: [Workers, Managers].',
            StackId: STACK_ID,
            StackName: STACK,
            EventId: '4',
            Timestamp: new Date(),
          },
          {
            LogicalResourceId: 'Managers',
            ResourceStatus: 'CREATE_FAILED',
            ResourceStatusReason: 'Resource creation cancelled',
            StackId: STACK_ID,
            StackName: STACK,
            EventId: '3',
            Timestamp: new Date(),
          },
        ],
        NextToken: 'page-2',
      })
      .on(DescribeStackEventsCommand, { NextToken: 'page-2' })
      .resolves({
        StackEvents: [
          {
            LogicalResourceId: 'Workers',
            ResourceStatus: 'CREATE_FAILED',
            ResourceStatusReason:
              'The requested instance type c7a.24xlarge is not supported in eu-central-1c',
            StackId: STACK_ID,
            StackName: STACK,
            EventId: '2',
            Timestamp: new Date(),
          },
          {
            LogicalResourceId: 'Workers',
            ResourceStatus: 'CREATE_IN_PROGRESS',
            StackId: STACK_ID,
            StackName: STACK,
            EventId: '1',
            Timestamp: new Date(),
          },
        ],
      });
    expect(await provisioner.status(STACK)).toEqual({
      phase: 'failed',
      reason: 'Workers: The requested instance type c7a.24xlarge is not supported in eu-central-1c',
      outputs: {},
    });
    // By id: the events of a stack stay readable after it is deleted.
    expect(cfn).toHaveReceivedCommandWith(DescribeStackEventsCommand, { StackName: STACK_ID });
  });

  it.each(['CREATE_FAILED', 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_FAILED'] as const)(
    'reports %s as failed, with the stack reason when no resource says why',
    async (StackStatus) => {
      cfn.on(DescribeStacksCommand).resolves({
        Stacks: [stack({ StackStatus, StackStatusReason: 'Template error: unresolved reference' })],
      });
      cfn.on(DescribeStackEventsCommand).resolves({ StackEvents: [] });
      expect(await provisioner.status(STACK)).toMatchObject({
        phase: 'failed',
        reason: 'Template error: unresolved reference',
      });
    },
  );

  it('reports DELETE_FAILED as delete-failed with the reason', async () => {
    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [
        stack({
          StackStatus: 'DELETE_FAILED',
          StackStatusReason: 'The subnet has dependencies and cannot be deleted',
        }),
      ],
    });
    expect(await provisioner.status(STACK)).toMatchObject({
      phase: 'delete-failed',
      reason: 'The subnet has dependencies and cannot be deleted',
    });
  });
});

describe('CloudFormationClusterProvisioner.delete', () => {
  it('deletes the stack', async () => {
    cfn.on(DeleteStackCommand).resolves({});
    await provisioner.delete(STACK);
    expect(cfn).toHaveReceivedCommandExactlyOnceWith(DeleteStackCommand, { StackName: STACK });
  });

  it('is fine with a stack that is gone', async () => {
    cfn.on(DeleteStackCommand).rejects(missingStack());
    await expect(provisioner.delete(STACK)).resolves.toBeUndefined();
  });
});

describe('CloudFormationClusterProvisioner.list', () => {
  it('lists the clusters of its stage across pages, and nothing else', async () => {
    const tags = (campaign: string | null, stage: string) => [
      ...(campaign === null ? [] : [{ Key: 'inet-swarm:campaign', Value: campaign }]),
      { Key: 'inet-swarm:stage', Value: stage },
    ];
    cfn
      .on(DescribeStacksCommand, { NextToken: undefined })
      .resolves({
        Stacks: [
          stack({ StackName: 'inet-swarm-dev-a', StackStatus: 'CREATE_COMPLETE', Tags: tags('a', 'dev') }),
          stack({ StackName: 'inet-swarm-prod-b', StackStatus: 'CREATE_COMPLETE', Tags: tags('b', 'prod') }),
          stack({ StackName: 'unrelated', StackStatus: 'CREATE_COMPLETE' }),
        ],
        NextToken: 'p2',
      })
      .on(DescribeStacksCommand, { NextToken: 'p2' })
      .resolves({
        Stacks: [
          stack({ StackName: 'inet-swarm-dev-c', StackStatus: 'DELETE_FAILED', Tags: tags('c', 'dev') }),
          stack({ StackName: 'inet-swarm-dev-d', StackStatus: 'DELETE_COMPLETE', Tags: tags('d', 'dev') }),
          stack({ StackName: 'dev-no-campaign', StackStatus: 'CREATE_COMPLETE', Tags: tags(null, 'dev') }),
        ],
      });
    expect(await provisioner.list()).toEqual([
      {
        stackName: 'inet-swarm-dev-a',
        campaignId: 'a',
        createdAt: new Date('2026-03-01T10:00:00Z'),
        phase: 'ready',
      },
      {
        stackName: 'inet-swarm-dev-c',
        campaignId: 'c',
        createdAt: new Date('2026-03-01T10:00:00Z'),
        phase: 'delete-failed',
      },
    ]);
    expect(cfn).toHaveReceivedCommandTimes(DescribeStacksCommand, 2);
  });
});

describe('CloudFormationClusterProvisioner.purge', () => {
  const PATH = `/inet-swarm/${STACK}`;
  const names = (count: number, from = 0) =>
    Array.from({ length: count }, (_, i) => `${PATH}/leader/${String(from + i).padStart(2, '0')}`);
  const page = (list: string[], NextToken?: string) => ({
    Parameters: list.map((Name) => ({ Name, Type: 'String' as const })),
    ...(NextToken === undefined ? {} : { NextToken }),
  });

  it("lists the stack's path recursively across pages and deletes what it found, 10 names at a time", async () => {
    ssm
      .on(GetParametersByPathCommand, { NextToken: undefined })
      .resolves(page(names(10), 'page-2'))
      .on(GetParametersByPathCommand, { NextToken: 'page-2' })
      .resolves(page(names(15, 10)));
    ssm.on(DeleteParametersCommand).callsFake((input: { Names: string[] }) => ({
      DeletedParameters: input.Names,
      InvalidParameters: [],
    }));

    expect(await provisioner.purge(STACK)).toEqual(names(25));

    expect(ssm).toHaveReceivedCommandTimes(GetParametersByPathCommand, 2);
    expect(ssm).toHaveReceivedNthCommandWith(GetParametersByPathCommand, 1, {
      Path: PATH,
      Recursive: true,
    });
    expect(ssm).toHaveReceivedNthCommandWith(GetParametersByPathCommand, 2, {
      Path: PATH,
      Recursive: true,
      NextToken: 'page-2',
    });
    expect(ssm).toHaveReceivedCommandTimes(DeleteParametersCommand, 3);
    expect(ssm).toHaveReceivedNthCommandWith(DeleteParametersCommand, 1, { Names: names(10) });
    expect(ssm).toHaveReceivedNthCommandWith(DeleteParametersCommand, 2, { Names: names(10, 10) });
    expect(ssm).toHaveReceivedNthCommandWith(DeleteParametersCommand, 3, { Names: names(5, 20) });
    // Values are not needed, so not decrypted.
    expect(ssm.commandCalls(GetParametersByPathCommand)[0]?.args[0].input.WithDecryption).toBeUndefined();
  });

  it('takes parameters gone since the listing as deleted, and does not report them', async () => {
    ssm.on(GetParametersByPathCommand).resolves(page([`${PATH}/gateway-token`, `${PATH}/join-token/worker`]));
    ssm.on(DeleteParametersCommand).resolves({
      DeletedParameters: [`${PATH}/gateway-token`],
      InvalidParameters: [`${PATH}/join-token/worker`],
    });
    expect(await provisioner.purge(STACK)).toEqual([`${PATH}/gateway-token`]);
  });

  it('does not call DeleteParameters when nothing is left', async () => {
    ssm.on(GetParametersByPathCommand).resolves({ Parameters: [] });
    expect(await provisioner.purge(STACK)).toEqual([]);
    expect(ssm).not.toHaveReceivedCommand(DeleteParametersCommand);
  });

  it('lets any other failure through', async () => {
    ssm.on(GetParametersByPathCommand).resolves(page([`${PATH}/gateway-token`]));
    ssm.on(DeleteParametersCommand).rejects(
      new SSMServiceException({
        name: 'AccessDeniedException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'not authorized to perform: ssm:DeleteParameters',
      }),
    );
    await expect(provisioner.purge(STACK)).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });
});

describe('CloudFormationClusterProvisioner.leftovers', () => {
  it("finds the stacks of its stage by their parameters' names, once each, across pages", async () => {
    const described = (...names: string[]) => names.map((Name) => ({ Name }));
    ssm
      .on(DescribeParametersCommand, { NextToken: undefined })
      .resolves({
        Parameters: described(
          '/inet-swarm/inet-swarm-dev-a/manager-ip',
          '/inet-swarm/inet-swarm-dev-a/join-token/worker',
          '/inet-swarm/inet-swarm-dev-b/leader/6c1f',
        ),
        NextToken: 'p2',
      })
      .on(DescribeParametersCommand, { NextToken: 'p2' })
      .resolves({
        Parameters: described(
          '/inet-swarm/inet-swarm-dev-a/gateway-token',
          // Not under a stack's path: nothing purge would remove.
          '/inet-swarm/inet-swarm-dev-c',
          '/inet-swarm/inet-swarm-dev-/x',
        ),
      });

    expect(await provisioner.leftovers()).toEqual([
      { stackName: 'inet-swarm-dev-a', campaignId: 'a' },
      { stackName: 'inet-swarm-dev-b', campaignId: 'b' },
    ]);
    // SSM filters by the stage's prefix: no other stage's names come back, and no values at all.
    expect(ssm).toHaveReceivedNthCommandWith(DescribeParametersCommand, 1, {
      ParameterFilters: [{ Key: 'Name', Option: 'BeginsWith', Values: ['/inet-swarm/inet-swarm-dev-'] }],
      MaxResults: 50,
    });
    expect(ssm).toHaveReceivedCommandTimes(DescribeParametersCommand, 2);
  });
});
