/**
 * Which control plane an aws command talks to (`--api`, INET_SWARM_AWS_API, or the saved config) and
 * with which credentials: the standard AWS chain (environment, profiles, SSO, instance roles), looked
 * up at the first request, so that a missing API is reported before credentials are searched for.
 */
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { resolveAwsConnection } from '../../lib/aws/client/aws-config.js';
import { ControlPlaneClient } from '../../lib/aws/client/control-plane-client.js';

export async function connectControlPlane(apiOption: string | undefined): Promise<ControlPlaneClient> {
  const connection = await resolveAwsConnection(apiOption);
  const chain = fromNodeProviderChain();
  return new ControlPlaneClient({
    apiUrl: connection.apiUrl,
    region: connection.region,
    credentials: () => chain(),
  });
}
