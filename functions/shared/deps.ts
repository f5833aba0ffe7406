/**
 * The adapters behind the steps' ports, built from the config. Each function builds what it uses once
 * per container, at its cold start (clients keep their connections between invocations). The SDK
 * honours AWS_ENDPOINT_URL(_<SERVICE>), which is how tests and local runs point them elsewhere.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';
import { CloudFormationClusterProvisioner } from '../../lib/adapters/aws/cloudformation-cluster-provisioner.js';
import { S3ControlPlaneStore } from '../../lib/adapters/aws/s3-control-plane-store.js';
import { SfnWorkflowEngine } from '../../lib/adapters/aws/sfn-workflow-engine.js';
import { SsmClusterSwarm } from '../../lib/adapters/aws/ssm-cluster-swarm.js';
import type { ClusterProvisioner } from '../../lib/ports/cluster-provisioner.js';
import type { ClusterSwarm } from '../../lib/ports/cluster-swarm.js';
import type { ControlPlaneStore } from '../../lib/ports/control-plane-store.js';
import type { WorkflowEngine } from '../../lib/ports/workflow-engine.js';
import type { Config, WorkflowConfig } from './config.js';

export const now = (): Date => new Date();

export function createStore(config: Config): ControlPlaneStore {
  return new S3ControlPlaneStore(new S3Client({ region: config.region }), config.bucket);
}

/**
 * `templateBody` only for the function that creates stacks (provision): the others delete and look,
 * and must keep working even if the template were missing from their package. SSM: the parameters
 * the cluster's instances leave behind (checkTeardown and the sweeper purge them).
 */
export function createProvisioner(config: Config, templateBody = ''): ClusterProvisioner {
  return new CloudFormationClusterProvisioner(
    new CloudFormationClient({ region: config.region }),
    new SSMClient({ region: config.region }),
    {
      stage: config.stage,
      templateBody,
      ...(config.clusterStackRoleArn === undefined ? {} : { stackRoleArn: config.clusterStackRoleArn }),
    },
  );
}

export function createClusterSwarm(config: Config): ClusterSwarm {
  return new SsmClusterSwarm(new SSMClient({ region: config.region }));
}

export function createWorkflow(config: WorkflowConfig): WorkflowEngine {
  return new SfnWorkflowEngine(new SFNClient({ region: config.region }), config.stateMachineArn);
}

/** The cluster template's text. @throws if the file is not packaged with the function */
export function readClusterTemplate(config: Config): string {
  return readFileSync(config.clusterTemplate, 'utf8');
}

/** The stack file's path and sha256 (the store checks uploads against it). @throws if it is not packaged */
export function readStackFile(config: Config): { path: string; sha256: string } {
  const bytes = readFileSync(config.stackFile);
  return { path: config.stackFile, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/**
 * The ARN of a campaign's execution: the state machine's ARN with `stateMachine` replaced by
 * `execution` and the campaign id appended, as Step Functions names standard executions.
 */
export function executionArnOf(stateMachineArn: string, campaignId: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${campaignId}`;
}
