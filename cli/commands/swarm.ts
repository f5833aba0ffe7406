/**
 * `inet-swarm swarm up|down|status`: deploy, remove and inspect the stack on a Docker Swarm through
 * the Docker API (local socket, DOCKER_HOST, or --docker tcp://… / ssh://…).
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { DockerSwarmControl, type StackStatus } from '../../lib/adapters/docker/docker-swarm-control.js';
import { readStackFile, type StackFile } from '../../lib/adapters/docker/stack-file.js';
import { GatewayAuthError, GatewayError } from '../../lib/core/errors.js';
import { GatewayClient } from '../../lib/swarm/client/gateway-client.js';
import { findSwarm, forgetSwarm, saveSwarm, SwarmConfigError } from '../../lib/swarm/client/swarm-config.js';
import { ExitCode } from '../exit-codes.js';

/** The stack file shipped with the package. */
export const BUNDLED_STACK_FILE = fileURLToPath(new URL('../../../swarm/docker-stack.yml', import.meta.url));

const SECRETS = {
  redis: 'inet_swarm_redis_password',
  mongo: 'inet_swarm_mongo_password',
  token: 'inet_swarm_gateway_token',
} as const;

export const swarmUpOptionsSchema = z.object({
  docker: z.string().optional(),
  stack: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, '--stack: lower-case letters, digits, - and _'),
  name: z.string().min(1).optional(),
  file: z.string().optional(),
  tokenFile: z.string().optional(),
  timeout: z.coerce.number().positive(),
});
export type SwarmUpOptions = z.input<typeof swarmUpOptionsSchema>;

function publishedPort(file: StackFile, service: 'gateway' | 'dashboard'): number {
  const port = file.services[service]?.ports?.[0]?.published;
  if (port === undefined) throw new SwarmConfigError(`the stack file publishes no port for ${service}`);
  return Number(port);
}

function printStatus(status: StackStatus, out: NodeJS.WritableStream): void {
  out.write('services:\n');
  for (const service of status.services) {
    const problems = service.problems.length > 0 ? `  (${service.problems.join('; ')})` : '';
    out.write(
      `  ${service.name.padEnd(28)} ${service.mode.padEnd(10)} ${service.running}/${service.desired}${problems}\n`,
    );
  }
  out.write('nodes:\n');
  for (const node of status.nodes)
    out.write(
      `  ${node.hostname.padEnd(28)} ${node.role.padEnd(8)} ${node.state.padEnd(6)} ${node.availability.padEnd(7)} ${node.address}\n`,
    );
}

export async function swarmUpCommand(raw: SwarmUpOptions): Promise<number> {
  const options = swarmUpOptionsSchema.parse(raw);
  const stackText = await readFile(options.file ?? BUNDLED_STACK_FILE, 'utf8');
  const stackFile = readStackFile(stackText, process.env); // refuse a bad file before touching Docker
  const control = new DockerSwarmControl(options.docker, options.stack);
  await control.checkManager();

  const name = options.name ?? options.stack;
  const known = await findSwarm(name).catch(() => null);
  const givenToken =
    options.tokenFile !== undefined ? (await readFile(options.tokenFile, 'utf8')).trim() : undefined;
  const secrets = await control.ensureSecrets(
    Object.values(SECRETS),
    givenToken !== undefined ? { [SECRETS.token]: givenToken } : {},
  );
  const token = secrets.created[SECRETS.token] ?? givenToken ?? known?.token;
  if (token === undefined)
    throw new SwarmConfigError(
      `the swarm already has a gateway token (secret ${SECRETS.token}) that this machine does not know: ` +
        'pass it with --token-file, or copy the swarm entry of the machine that deployed it',
    );

  await control.deploy(stackFile, secrets.ids);
  process.stdout.write(`deployed stack '${options.stack}'; waiting for its services...\n`);
  let lastLine = '';
  const status = await control.waitUntilRunning(options.timeout * 1000, (current) => {
    const line = current.services
      .map((s) => `${s.name.replace(`${options.stack}_`, '')} ${s.running}/${s.desired}`)
      .join(', ');
    if (line !== lastLine) process.stdout.write(`  ${line}\n`);
    lastLine = line;
  });
  const address = await control.addressOf('gateway');
  const gatewayUrl = `http://${address}:${publishedPort(stackFile, 'gateway')}`;
  const dashboardAddress = await control.addressOf('dashboard').catch(() => null);
  const dashboardUrl =
    dashboardAddress === null ? null : `http://${dashboardAddress}:${publishedPort(stackFile, 'dashboard')}/`;

  // The token must open the gateway: a 404 for an unknown campaign proves both reachability and auth.
  const gateway = new GatewayClient(gatewayUrl, token);
  await gateway.campaign('probe').catch((error: unknown) => {
    if (error instanceof GatewayAuthError)
      throw new GatewayAuthError(
        `the gateway refused the token of ${options.tokenFile ?? 'this machine'}; pass the right one with --token-file`,
      );
    throw error instanceof GatewayError ? error : new GatewayError(String(error));
  });
  await saveSwarm(name, {
    gateway: gatewayUrl,
    dashboard: dashboardUrl,
    token,
    docker: options.docker ?? null,
    stack: options.stack,
  });
  printStatus(status, process.stdout);
  process.stdout.write(`gateway:   ${gatewayUrl}\n`);
  if (dashboardUrl !== null)
    process.stdout.write(`dashboard: ${dashboardUrl}?token=${encodeURIComponent(token)}\n`);
  process.stdout.write(
    `saved as swarm '${name}'; run campaigns with: inet-swarm run --swarm ${name} ./yourprogram -c Config\n`,
  );
  return ExitCode.ok;
}

export interface SwarmDownOptions {
  readonly docker?: string;
  readonly stack: string;
  readonly name?: string;
  readonly purge: boolean;
}

export async function swarmDownCommand(options: SwarmDownOptions): Promise<number> {
  const control = new DockerSwarmControl(options.docker, options.stack);
  await control.checkManager();
  const removed = await control.remove(options.purge);
  process.stdout.write(`removed ${removed.services} service(s) of stack '${options.stack}'\n`);
  if (options.purge) {
    await forgetSwarm(options.name ?? options.stack);
    process.stdout.write(
      `purged: secrets and ${removed.volumes} volume(s) on this node (other nodes keep their caches)\n`,
    );
  } else {
    process.stdout.write('volumes (queue, database, caches) are kept; `swarm down --purge` deletes them\n');
  }
  return ExitCode.ok;
}

export async function swarmStatusCommand(options: { docker?: string; stack: string }): Promise<number> {
  const control = new DockerSwarmControl(options.docker, options.stack);
  await control.checkManager();
  printStatus(await control.status(), process.stdout);
  return ExitCode.ok;
}
