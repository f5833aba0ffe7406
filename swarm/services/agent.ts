/**
 * The agent service (aws mode only; 0 replicas in swarm mode): bridges the campaign's swarm to the
 * control plane's S3 bucket and its Step Functions workflow (lib/aws/agent/agent.ts). It reaches the
 * swarm through the gateway like the CLI does, and AWS with the node's instance role.
 */
import os from 'node:os';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { S3ControlPlaneStore } from '../../lib/adapters/aws/s3-control-plane-store.js';
import { SfnTaskReporter } from '../../lib/adapters/aws/sfn-task-reporter.js';
import { Agent } from '../../lib/aws/agent/agent.js';
import type { AgentLog } from '../../lib/aws/agent/agent-options.js';
import { campaignIdSchema } from '../../lib/aws/bucket-layout.js';
import { GatewayClient } from '../../lib/swarm/client/gateway-client.js';
import { readGatewayToken, ServiceConfigError } from './config.js';

type Env = Readonly<Record<string, string | undefined>>;

const agentEnvSchema = z.object({
  INET_SWARM_CAMPAIGN: campaignIdSchema,
  INET_SWARM_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name'),
  AWS_REGION: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as eu-central-1'),
  INET_SWARM_GATEWAY_URL: z.url().default('http://gateway:8080'),
  SCRATCH_DIR: z.string().min(1).optional(),
});

export interface AgentConfig {
  readonly campaignId: string;
  readonly bucket: string;
  readonly region: string;
  readonly gatewayUrl: string;
  readonly gatewayToken: string;
  readonly scratchDir: string;
}

/** The agent's settings, parsed once; every problem is reported as a `NAME: message` line. */
export function readAgentConfig(env: Env = process.env): AgentConfig {
  // The stack passes unset variables as empty strings: they are missing, not values.
  const given = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = agentEnvSchema.safeParse(given);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = issue.path.join('.');
      return `${name}: ${given[name] === undefined ? 'is not set' : issue.message}`;
    });
    throw new ServiceConfigError(`the agent's environment is incomplete:\n${lines.join('\n')}`);
  }
  return {
    campaignId: parsed.data.INET_SWARM_CAMPAIGN,
    bucket: parsed.data.INET_SWARM_BUCKET,
    region: parsed.data.AWS_REGION,
    gatewayUrl: parsed.data.INET_SWARM_GATEWAY_URL,
    gatewayToken: readGatewayToken(env, 'agent'),
    scratchDir: parsed.data.SCRATCH_DIR ?? os.tmpdir(),
  };
}

/** One JSON line per event on stdout: fixed message, data in fields. */
function jsonLog(service: string): AgentLog {
  const line =
    (level: string) =>
    (msg: string, fields: Record<string, unknown> = {}) =>
      console.log(JSON.stringify({ time: new Date().toISOString(), level, service, msg, ...fields }));
  return { info: line('info'), warn: line('warn'), error: line('error') };
}

export async function runAgent(stop: AbortSignal, env: Env = process.env): Promise<void> {
  const config = readAgentConfig(env);
  const s3 = new S3Client({ region: config.region });
  const sfn = new SFNClient({ region: config.region });
  try {
    const agent = new Agent({
      campaignId: config.campaignId,
      store: new S3ControlPlaneStore(s3, config.bucket),
      reporter: new SfnTaskReporter(sfn),
      gateway: new GatewayClient(config.gatewayUrl, config.gatewayToken),
      scratchDir: config.scratchDir,
      log: jsonLog('agent'),
    });
    await agent.run(stop);
  } finally {
    s3.destroy();
    sfn.destroy();
  }
}
