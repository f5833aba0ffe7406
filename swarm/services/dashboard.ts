/**
 * The dashboard service: the swarm's web page for people (see lib/swarm/dashboard/), behind the same
 * token as the gateway. It runs on a manager, whose Docker socket the stack mounts read-only, because
 * only managers can list the swarm's nodes, services and tasks.
 */
import { once } from 'node:events';
import { Queue } from 'bullmq';
import Docker from 'dockerode';
import { GridFsBlobStore } from '../../lib/adapters/mongo/grid-fs-blob-store.js';
import { MongoCampaignStore } from '../../lib/adapters/mongo/mongo-campaign-store.js';
import { BUILD_QUEUE, PLAN_QUEUE } from '../../lib/swarm/build-jobs.js';
import { clusterPriceFromEnv } from '../../lib/swarm/dashboard/cluster-cost.js';
import { createDashboardApp } from '../../lib/swarm/dashboard/dashboard-app.js';
import { DockerSwarmInspector } from '../../lib/swarm/dashboard/docker-swarm-inspector.js';
import { RUN_QUEUE } from '../../lib/swarm/runner-worker.js';
import { connectMongo, connectRedis, readGatewayToken, readPort, type ServiceConfig } from './config.js';
import { untilAborted } from './lifecycle.js';

export async function runDashboard(
  config: ServiceConfig,
  stop: AbortSignal,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<void> {
  const token = readGatewayToken(env, 'dashboard');
  const port = readPort(env, 8081);
  // A bad price is not worth a dashboard that does not start: it shows no cost and says why.
  const clusterPrice = clusterPriceFromEnv(env, (message) => console.warn(`dashboard: ${message}`));
  const redis = connectRedis(config);
  const { client, db } = await connectMongo(config);
  const queues = [RUN_QUEUE, BUILD_QUEUE, PLAN_QUEUE].map((name) => new Queue(name, { connection: redis }));
  const app = createDashboardApp({
    token,
    campaigns: new MongoCampaignStore(db),
    blobs: new GridFsBlobStore(db),
    queues,
    docker: new DockerSwarmInspector(new Docker({ socketPath: '/var/run/docker.sock' })),
    scratchDir: config.scratchDir,
    clusterPrice,
  });
  const server = app.listen(port);
  await once(server, 'listening');
  console.log(`dashboard listening on port ${port}`);
  await untilAborted(stop);
  const closed = once(server, 'close');
  server.close();
  // The page polls over keep-alive connections, which would hold the server open until they time out.
  server.closeAllConnections();
  await closed;
  await Promise.all(queues.map((queue) => queue.close()));
  await client.close();
  redis.disconnect();
}
