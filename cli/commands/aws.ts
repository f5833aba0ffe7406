/** `inet-swarm aws configure | connect | disconnect`. Loaded only when an aws command runs. */
import path from 'node:path';
import { z } from 'zod';
import { awsConfigFile, regionOfApiUrl, saveAwsConfig } from '../../lib/aws/client/aws-config.js';
import { AwsConfigError, AwsTunnelError } from '../../lib/aws/client/client-errors.js';
import { closeTunnel, openTunnel } from '../../lib/aws/client/ssh-tunnel.js';
import { ExitCode } from '../exit-codes.js';
import { connectControlPlane } from './aws-connection.js';

export async function awsConfigureCommand(options: { api: string; region?: string }): Promise<number> {
  const region = options.region ?? regionOfApiUrl(options.api);
  if (region === null)
    throw new AwsConfigError(
      `the region of ${options.api} cannot be told from the URL: pass --region (the region of the control plane)`,
    );
  const file = awsConfigFile();
  const saved = await saveAwsConfig(file, { api: options.api, region });
  process.stdout.write(`saved ${file}: API ${saved.api} in ${saved.region ?? region}\n`);
  return ExitCode.ok;
}

function tunnelsDir(options: { directory: string; stateDir?: string }): string {
  return path.join(
    path.resolve(options.stateDir ?? path.join(options.directory, '.inet-swarm')),
    'aws-tunnels',
  );
}

export const connectOptionsSchema = z.object({
  api: z.string().optional(),
  directory: z.string().min(1),
  stateDir: z.string().optional(),
  localPort: z.coerce
    .number({ error: '--local-port must be a number' })
    .int('--local-port must be a whole number')
    .min(1, '--local-port must be 1-65535')
    .max(65535, '--local-port must be 1-65535')
    .optional(),
  identity: z.string().min(1).optional(),
  user: z.string().min(1),
});
export type ConnectOptions = z.input<typeof connectOptionsSchema>;

/** `aws connect <id>`: an SSH tunnel to the cluster's dashboard, left running in the background. */
export async function awsConnectCommand(campaign: string, raw: ConnectOptions): Promise<number> {
  const options = connectOptionsSchema.parse(raw);
  const client = await connectControlPlane(options.api);
  const status = await client.campaign(campaign);
  const address = status.cluster?.managerAddress ?? null;
  if (status.cluster === null || address === null)
    throw new AwsTunnelError(`campaign ${campaign} has no cluster to connect to (it is ${status.state})`);
  const remotePort = status.cluster.dashboardPort;
  const tunnel = await openTunnel({
    campaignId: campaign,
    managerAddress: address,
    remotePort,
    localPort: options.localPort ?? remotePort,
    user: options.user,
    identityFile: options.identity === undefined ? null : path.resolve(options.identity),
    tunnelsDir: tunnelsDir(options),
  });
  process.stdout.write(
    `dashboard of ${campaign}: ${tunnel.url}\n` +
      `  (ssh tunnel to ${options.user}@${address}, pid ${tunnel.pid}; close it with: inet-swarm aws disconnect ${campaign})\n`,
  );
  return ExitCode.ok;
}

/** `aws disconnect <id>`: closes the tunnel `aws connect` opened. */
export async function awsDisconnectCommand(
  campaign: string,
  options: { directory: string; stateDir?: string },
): Promise<number> {
  const result = await closeTunnel(tunnelsDir(options), campaign);
  const message = {
    closed: `closed the tunnel to ${campaign}`,
    stale: `the tunnel to ${campaign} had ended already; removed its PID file`,
    none: `no tunnel to ${campaign} is open`,
  }[result];
  process.stdout.write(`${message}\n`);
  return ExitCode.ok;
}
