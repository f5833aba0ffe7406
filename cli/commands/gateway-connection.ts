/**
 * Which swarm a command talks to: the one deployed last, or `--swarm NAME`, from the user's swarm
 * config; INET_SWARM_GATEWAY + INET_SWARM_TOKEN override it (scripts, CI).
 */
import { GatewayClient } from '../../lib/swarm/client/gateway-client.js';
import { findSwarm } from '../../lib/swarm/client/swarm-config.js';

/** `--swarm` without a name means the swarm deployed last. */
export function swarmName(option: boolean | string | undefined): string | null {
  return typeof option === 'string' ? option : null;
}

export async function connectGateway(name: string | null): Promise<GatewayClient> {
  const url = process.env.INET_SWARM_GATEWAY;
  const token = process.env.INET_SWARM_TOKEN;
  if (url !== undefined && url !== '' && token !== undefined && token !== '')
    return new GatewayClient(url, token);
  const entry = await findSwarm(name);
  return new GatewayClient(entry.gateway, entry.token);
}
