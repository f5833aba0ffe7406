/**
 * The functions' environment, parsed once per container and strictly: a missing or malformed
 * variable stops the function at its cold start instead of surfacing as a wrong bucket later.
 * serverless.yml sets these; AWS_REGION comes from Lambda itself.
 */
import path from 'node:path';
import { z } from 'zod';
import { issueLines } from '../../lib/aws/campaign-spec.js';

const nonEmpty = z.string().trim().min(1);

const envSchema = z.object({
  BUCKET: nonEmpty,
  /** The control plane's stage (dev, prod...): names and tags cluster stacks, scopes the sweeper. */
  STAGE: z.string().regex(/^[a-z0-9-]{1,20}$/, 'lowercase letters, digits and dashes, at most 20'),
  AWS_REGION: nonEmpty,
  STATE_MACHINE_ARN: z
    .string()
    .regex(/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]+$/, 'a state machine ARN')
    .optional(),
  /** Packaged with the functions that need them (serverless.yml), relative to the working directory. */
  STACK_FILE: nonEmpty.default('swarm/docker-stack.yml'),
  CLUSTER_TEMPLATE: nonEmpty.default('swarm/cluster.cfn.yaml'),
  /** The role CloudFormation creates cluster stacks with (provision only; see serverless.yml). */
  CLUSTER_STACK_ROLE_ARN: z
    .string()
    .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, 'an IAM role ARN')
    .optional(),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
});

export type LogLevel = z.infer<typeof envSchema>['LOG_LEVEL'];

export interface Config {
  readonly bucket: string;
  readonly stage: string;
  readonly region: string;
  /** Absolute paths (resolved against the working directory, /var/task in Lambda). */
  readonly stackFile: string;
  readonly clusterTemplate: string;
  /** Only set for provision. */
  readonly clusterStackRoleArn: string | undefined;
  readonly logLevel: LogLevel;
}

export interface WorkflowConfig extends Config {
  readonly stateMachineArn: string;
}

/** @throws Error listing every problem (`VARIABLE: message`) */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const { stateMachineArn: _unused, ...config } = parseEnv(env);
  return config;
}

/**
 * For the functions that start or look up workflow executions (api, start*, sweeper).
 * @throws Error listing every problem, STATE_MACHINE_ARN included
 */
export function loadWorkflowConfig(env: NodeJS.ProcessEnv): WorkflowConfig {
  const { stateMachineArn, ...config } = parseEnv(env);
  if (stateMachineArn === undefined)
    throw new Error('invalid function environment:\nSTATE_MACHINE_ARN: required by this function');
  return { ...config, stateMachineArn };
}

function parseEnv(env: NodeJS.ProcessEnv): Config & { stateMachineArn: string | undefined } {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success)
    throw new Error(`invalid function environment:\n${issueLines(parsed.error).join('\n')}`, {
      cause: parsed.error,
    });
  const e = parsed.data;
  return {
    bucket: e.BUCKET,
    stage: e.STAGE,
    region: e.AWS_REGION,
    stateMachineArn: e.STATE_MACHINE_ARN,
    stackFile: path.resolve(e.STACK_FILE),
    clusterTemplate: path.resolve(e.CLUSTER_TEMPLATE),
    clusterStackRoleArn: e.CLUSTER_STACK_ROLE_ARN,
    logLevel: e.LOG_LEVEL,
  };
}
