/**
 * The gateway service: the CLI's only way into the swarm (see lib/swarm/gateway/gateway-app.ts).
 * Published on the manager in host mode; Redis and MongoDB are reachable only from inside the stack.
 */
import { once } from 'node:events';
import { Queue } from 'bullmq';
import { BullMqRunQueue } from '../../lib/adapters/bullmq/bullmq-run-queue.js';
import { GridFsBlobStore } from '../../lib/adapters/mongo/grid-fs-blob-store.js';
import { MongoCampaignStore } from '../../lib/adapters/mongo/mongo-campaign-store.js';
import { BUILD_QUEUE, PLAN_QUEUE, type BuildRequest, type PlanRequest } from '../../lib/swarm/build-jobs.js';
import { createGatewayApp } from '../../lib/swarm/gateway/gateway-app.js';
import { RUN_QUEUE } from '../../lib/swarm/runner-worker.js';
import { connectMongo, connectRedis, readGatewayToken, readPort, type ServiceConfig } from './config.js';
import { untilAborted } from './lifecycle.js';

export async function runGateway(
  config: ServiceConfig,
  stop: AbortSignal,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<void> {
  const token = readGatewayToken(env, 'gateway');
  const redis = connectRedis(config);
  const { client, db } = await connectMongo(config);
  const builds = new Queue<BuildRequest, unknown, string>(BUILD_QUEUE, { connection: redis });
  const plans = new Queue<PlanRequest, unknown, string>(PLAN_QUEUE, { connection: redis });
  const runs = new BullMqRunQueue(redis, RUN_QUEUE);
  const app = createGatewayApp({
    token,
    blobs: new GridFsBlobStore(db),
    campaigns: new MongoCampaignStore(db),
    runs,
    builds,
    plans,
    scratchDir: config.scratchDir,
    maxUploadBytes: Number(env.MAX_SOURCE_BYTES ?? 2 * 2 ** 30),
  });
  const port = readPort(env, 8080);
  const server = app.listen(port);
  await once(server, 'listening');
  console.log(`gateway listening on port ${port}`);
  await untilAborted(stop);
  server.close();
  server.closeAllConnections();
  await Promise.all([builds.close(), plans.close(), runs.close()]);
  await client.close();
  redis.disconnect();
}
