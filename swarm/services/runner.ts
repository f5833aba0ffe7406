/**
 * The runner service: one per node (global), executing as many runs at a time as the node has cores.
 * Every run goes through the same runner code as the local backend (lib/swarm/runner-worker.ts).
 */
import os from 'node:os';
import path from 'node:path';
import { BullMqRunQueue } from '../../lib/adapters/bullmq/bullmq-run-queue.js';
import { GridFsBlobStore } from '../../lib/adapters/mongo/grid-fs-blob-store.js';
import { MongoCampaignStore } from '../../lib/adapters/mongo/mongo-campaign-store.js';
import { ArtifactCache } from '../../lib/swarm/artifact-cache.js';
import { abandonedRunsRecorder, RUN_QUEUE, runnerWorker } from '../../lib/swarm/runner-worker.js';
import { connectMongo, connectRedis, type ServiceConfig } from './config.js';
import { untilAborted } from './lifecycle.js';

export async function runRunner(
  config: ServiceConfig,
  stop: AbortSignal,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<void> {
  const concurrency = Number(env.RUNNER_CONCURRENCY ?? 0) || os.availableParallelism();
  const redis = connectRedis(config);
  const { client, db } = await connectMongo(config);
  const blobs = new GridFsBlobStore(db);
  const campaigns = new MongoCampaignStore(db);
  const queue = new BullMqRunQueue(redis, RUN_QUEUE);
  const artifacts = new ArtifactCache(blobs, {
    dir: path.join(config.scratchDir, 'artifacts'),
    limits: config.extractLimits,
  });
  const consumer = queue.consume(
    runnerWorker({ campaigns, blobs, artifacts, scratchDir: path.join(config.scratchDir, 'tasks'), stop }),
    concurrency,
    abandonedRunsRecorder(campaigns),
  );
  console.log(`runner on ${os.hostname()}: ${concurrency} runs at a time`);
  await untilAborted(stop);
  // Running simulations see `stop` too: they end, are recorded as interrupted, and their units retried.
  await consumer.close();
  await queue.close();
  await client.close();
  redis.disconnect();
}
