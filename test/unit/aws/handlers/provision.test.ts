import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CloudFormationClient, CreateStackCommand, type Parameter } from '@aws-sdk/client-cloudformation';
import { S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import '../../../support/aws-mock-matchers.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { campaignKeys } from '../../../../lib/aws/bucket-layout.js';
import { clusterRate } from '../../../../lib/aws/cost.js';
import { BUCKET, CAMPAIGN_ID, STAGE, spec, status } from '../support/campaigns.js';
import { lambdaContext, MockBucket, stubFunctionEnv } from '../support/aws-mocks.js';

const STACK_ROLE_ARN = 'arn:aws:iam::123456789012:role/inet-swarm-ci-cluster-stack';
const STACK_TEXT = 'services:\n  agent:\n    image: inet-swarm/agent\n';
const TEMPLATE_TEXT = 'AWSTemplateFormatVersion: "2010-09-09"\nResources: {}\n';
const dir = mkdtempSync(path.join(os.tmpdir(), 'provision-handler-'));
writeFileSync(path.join(dir, 'docker-stack.yml'), STACK_TEXT);
writeFileSync(path.join(dir, 'cluster.cfn.yaml'), TEMPLATE_TEXT);

const s3 = mockClient(S3Client);
const cfn = mockClient(CloudFormationClient);
let bucket: MockBucket;
let handler: (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;

beforeAll(async () => {
  stubFunctionEnv({
    STACK_FILE: path.join(dir, 'docker-stack.yml'),
    CLUSTER_TEMPLATE: path.join(dir, 'cluster.cfn.yaml'),
    CLUSTER_STACK_ROLE_ARN: STACK_ROLE_ARN,
  });
  ({ handler } = await import('../../../../functions/provision/handler.js'));
});
afterAll(() => {
  vi.unstubAllEnvs();
});

beforeEach(() => {
  s3.reset();
  cfn.reset();
  bucket = new MockBucket(s3);
  cfn
    .on(CreateStackCommand)
    .resolves({ StackId: 'arn:aws:cloudformation:eu-central-1:123456789012:stack/x/1' });
});

describe('provision handler', () => {
  it('uploads the stack file and creates the cluster stack with the campaign parameters and tags', async () => {
    bucket.putJson(campaignKeys(CAMPAIGN_ID).spec, spec());
    bucket.putJson(campaignKeys(CAMPAIGN_ID).status, status({ state: 'provisioning' }));
    const stackName = `inet-swarm-${STAGE}-${CAMPAIGN_ID}`;

    const result = await handler({ campaignId: CAMPAIGN_ID, limits: undefined }, lambdaContext());

    expect(result).toEqual({ stackName });
    expect(bucket.objects.get(campaignKeys(CAMPAIGN_ID).stackFile)?.toString()).toBe(STACK_TEXT);
    expect(cfn).toHaveReceivedCommandTimes(CreateStackCommand, 1);
    expect(cfn).toHaveReceivedCommandWith(CreateStackCommand, {
      StackName: stackName,
      TemplateBody: TEMPLATE_TEXT,
      Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'],
      // CloudFormation acts with this role, not with the function's own (small) rights.
      RoleARN: STACK_ROLE_ARN,
      Tags: [
        { Key: 'inet-swarm:campaign', Value: CAMPAIGN_ID },
        { Key: 'inet-swarm:stage', Value: STAGE },
      ],
      Parameters: expect.arrayContaining([
        { ParameterKey: 'ClusterSize', ParameterValue: '2' },
        { ParameterKey: 'ManagerSize', ParameterValue: '1' },
        { ParameterKey: 'InstanceType', ParameterValue: 'c5.large' },
        { ParameterKey: 'SpotEnabled', ParameterValue: 'true' },
        { ParameterKey: 'Bucket', ParameterValue: BUCKET },
        { ParameterKey: 'CampaignId', ParameterValue: CAMPAIGN_ID },
        // The dashboard's cost meter on the cluster.
        {
          ParameterKey: 'ClusterUsdPerHour',
          ParameterValue: clusterRate(spec().cluster).usdPerHour.toFixed(4),
        },
      ]) as Parameter[],
    });
    expect(bucket.json(campaignKeys(CAMPAIGN_ID).status)).toMatchObject({ stackName });
  });

  it('refuses an input that is not the workflow state, creating nothing', async () => {
    await expect(handler({ campaign: CAMPAIGN_ID }, lambdaContext())).rejects.toMatchObject({
      name: 'InvalidEvent',
      message: expect.stringContaining('campaignId:') as string,
    });
    await expect(handler({ campaignId: '../other' }, lambdaContext())).rejects.toMatchObject({
      name: 'InvalidEvent',
    });
    expect(cfn).not.toHaveReceivedCommand(CreateStackCommand);
  });

  it('lets an unknown campaign fail under its error name, creating nothing', async () => {
    await expect(handler({ campaignId: CAMPAIGN_ID }, lambdaContext())).rejects.toMatchObject({
      name: 'CampaignNotFound',
    });
    expect(cfn).not.toHaveReceivedCommand(CreateStackCommand);
  });
});
