/**
 * The runner service: one per node (global), executing as many runs at a time as the node has cores.
 * Every run goes through the same runner code as the local backend (lib/swarm/runner-worker.ts).
 *
 * On spot capacity (aws mode, INET_SWARM_SPOT_WATCH=1) it also watches the instance metadata for the
 * two-minute interruption notice. On a notice the node stops taking units and ends the running ones
 * exactly as on SIGTERM: their units go back to the queue without spending an attempt (runs that
 * finished before are recorded, the cut-off ones are not), and runners on other nodes run the rest as
 * the same attempt; they are not simulation failures. The service then stays up, idle, until the
 * instance goes: exiting would make Docker restart it here, taking units again.
 */
import os from 'node:os';
import path from 'node:path';
import { SpotInterruptionWatcher } from '../../lib/adapters/aws/imds-spot-interruption.js';
import { BullMqRunQueue } from '../../lib/adapters/bullmq/bullmq-run-queue.js';
import { GridFsBlobStore } from '../../lib/adapters/mongo/grid-fs-blob-store.js';
import { MongoCampaignStore } from '../../lib/adapters/mongo/mongo-campaign-store.js';
import { ArtifactCache } from '../../lib/swarm/artifact-cache.js';
import { abandonedRunsRecorder, RUN_QUEUE, runnerWorker } from '../../lib/swarm/runner-worker.js';
import { connectMongo, connectRedis, ServiceConfigError, type ServiceConfig } from './config.js';
import { untilAborted } from './lifecycle.js';

type Env = Readonly<Record<string, string | undefined>>;

export interface RunnerOptions {
  /** How often the spot watcher looks at the metadata service (default: the watcher's 5 s). */
  readonly spotWatchIntervalMs?: number;
}

/** INET_SWARM_SPOT_WATCH: `1` watches for spot interruptions, `0` or unset does not. */
function spotWatchEnabled(env: Env): boolean {
  const value = env.INET_SWARM_SPOT_WATCH ?? '';
  if (value === '' || value === '0') return false;
  if (value === '1') return true;
  throw new ServiceConfigError(`INET_SWARM_SPOT_WATCH must be 0 or 1, not '${value}'`);
}

export async function runRunner(
  config: ServiceConfig,
  stop: AbortSignal,
  env: Env = process.env,
  options: RunnerOptions = {},
): Promise<void> {
  const concurrency = Number(env.RUNNER_CONCURRENCY ?? 0) || os.availableParallelism();
  const watchSpot = spotWatchEnabled(env);
  const redis = connectRedis(config);
  const { client, db } = await connectMongo(config);
  const blobs = new GridFsBlobStore(db);
  const campaigns = new MongoCampaignStore(db);
  const queue = new BullMqRunQueue(redis, RUN_QUEUE);
  const artifacts = new ArtifactCache(blobs, {
    dir: path.join(config.scratchDir, 'artifacts'),
    limits: config.extractLimits,
  });
  // Ends the running simulations: on SIGTERM, or on a spot interruption notice.
  const runs = new AbortController();
  stop.addEventListener('abort', () => runs.abort(), { once: true });
  const consumer = queue.consume(
    runnerWorker({
      campaigns,
      blobs,
      artifacts,
      scratchDir: path.join(config.scratchDir, 'tasks'),
      stop: runs.signal,
    }),
    concurrency,
    abandonedRunsRecorder(campaigns),
  );
  let closing: Promise<void> | null = null;
  const closeConsumer = () => (closing ??= consumer.close());

  let watcher: SpotInterruptionWatcher | null = null;
  if (watchSpot) {
    watcher = new SpotInterruptionWatcher({
      // The SDK's variable for the metadata endpoint; tests point it at a fake.
      ...(env.AWS_EC2_METADATA_SERVICE_ENDPOINT ? { baseUrl: env.AWS_EC2_METADATA_SERVICE_ENDPOINT } : {}),
      ...(options.spotWatchIntervalMs !== undefined ? { intervalMs: options.spotWatchIntervalMs } : {}),
    });
    watcher.onNotice((notice) => {
      console.log(
        JSON.stringify({
          time: new Date().toISOString(),
          service: 'runner',
          msg: 'spot interruption notice: taking no more runs, handing back the running ones',
          host: os.hostname(),
          action: notice.action,
          at: notice.time,
        }),
      );
      // Closing first: the consumer takes no unit after this call, so no unit is started only to
      // be cut off and handed back at once.
      closeConsumer().catch((error: unknown) =>
        console.error(`runner: cannot stop taking runs: ${(error as Error).message}`),
      );
      runs.abort();
    });
    watcher.start();
  }
  console.log(
    `runner on ${os.hostname()}: ${concurrency} runs at a time${watchSpot ? ', watching for spot interruptions' : ''}`,
  );
  await untilAborted(stop);
  watcher?.stop();
  // Running simulations see `stop` too: they end and their units are handed back, as on a notice.
  await closeConsumer();
  await queue.close();
  await client.close();
  redis.disconnect();
}
