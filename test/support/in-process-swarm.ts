/**
 * Every swarm service in the test process, without Docker: the gateway (real HTTP on loopback), the
 * builder and the runner as BullMQ workers, over a real Redis and a real FerretDB. The CLI reaches it
 * exactly as it reaches a deployed stack (INET_SWARM_GATEWAY + INET_SWARM_TOKEN), so client, gateway,
 * queue and store are tested for real; only the containers are missing (test/swarm/ has those).
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Queue, Worker } from 'bullmq';
import { MongoClient, type Db } from 'mongodb';
import { BullMqRunQueue } from '../../lib/adapters/bullmq/bullmq-run-queue.js';
import { GridFsBlobStore } from '../../lib/adapters/mongo/grid-fs-blob-store.js';
import { MongoCampaignStore } from '../../lib/adapters/mongo/mongo-campaign-store.js';
import type { Consumer } from '../../lib/ports/run-queue.js';
import { ArtifactCache } from '../../lib/swarm/artifact-cache.js';
import { BUILD_QUEUE, PLAN_QUEUE, type BuildRequest, type PlanRequest } from '../../lib/swarm/build-jobs.js';
import { builderProcessors, readBuilderEnvironment } from '../../lib/swarm/builder-worker.js';
import { createGatewayApp } from '../../lib/swarm/gateway/gateway-app.js';
import { abandonedRunsRecorder, RUN_QUEUE, runnerWorker } from '../../lib/swarm/runner-worker.js';
import { startFerretDb, type TestMongo } from './ferretdb-server.js';
import { startRedis, type TestRedis } from './redis-server.js';

export interface InProcessSwarm {
  readonly url: string;
  readonly token: string;
  /** Environment for a CLI process that should use this swarm. */
  readonly cliEnv: Record<string, string>;
  readonly db: () => Db;
  /** Starts (again) the runner: `runs` at a time. */
  startRunner(runs: number): void;
  stopRunner(): Promise<void>;
  stop(): Promise<void>;
}

const limits = { maxBytes: 2 ** 30, maxEntries: 100_000 };

export async function startInProcessSwarm(
  options: { maxUploadBytes?: number } = {},
): Promise<InProcessSwarm> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'in-process-swarm-'));
  const [redis, mongo]: [TestRedis, TestMongo] = await Promise.all([startRedis(), startFerretDb()]);
  const client = new MongoClient(mongo.url);
  await client.connect();
  const db = client.db('swarm');
  const blobs = new GridFsBlobStore(db);
  const campaigns = new MongoCampaignStore(db);
  const connection = redis.client();
  const token = randomBytes(24).toString('hex');
  const builds = new Queue<BuildRequest, unknown, string>(BUILD_QUEUE, { connection });
  const plans = new Queue<PlanRequest, unknown, string>(PLAN_QUEUE, { connection });
  const runs = new BullMqRunQueue(connection, RUN_QUEUE);
  const app = createGatewayApp({
    token,
    blobs,
    campaigns,
    runs,
    builds,
    plans,
    scratchDir: path.join(scratch, 'gateway'),
    maxUploadBytes: options.maxUploadBytes ?? 64 * 2 ** 20,
  });
  const server: Server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('gateway did not listen');
  const url = `http://127.0.0.1:${address.port}`;

  // The builder as in the stack, minus distcc: no daemons answer, so it compiles locally with ccache.
  const processors = builderProcessors({
    blobs,
    artifacts: new ArtifactCache(blobs, { dir: path.join(scratch, 'builder-artifacts'), limits }),
    scratchDir: path.join(scratch, 'builds'),
    limits,
    environment: readBuilderEnvironment({
      ...process.env,
      CCACHE_DIR: path.join(scratch, 'ccache'),
      DISTCC_SERVICE: 'no-distcc.invalid',
    }),
    distccHosts: () => Promise.resolve([]),
  });
  const builderConnection = redis.client();
  const buildWorker = new Worker(BUILD_QUEUE, processors.build, {
    connection: builderConnection,
    concurrency: 1,
  });
  const planWorker = new Worker(PLAN_QUEUE, processors.plan, {
    connection: builderConnection,
    concurrency: 2,
  });
  for (const worker of [buildWorker, planWorker]) worker.on('error', () => undefined);

  const runnerConnection = redis.client();
  const runnerQueue = new BullMqRunQueue(runnerConnection, RUN_QUEUE);
  let runner: { consumer: Consumer; stop: AbortController } | null = null;
  const startRunner = (concurrency: number) => {
    const stop = new AbortController();
    const consumer = runnerQueue.consume(
      runnerWorker({
        campaigns,
        blobs,
        artifacts: new ArtifactCache(blobs, { dir: path.join(scratch, 'runner-artifacts'), limits }),
        scratchDir: path.join(scratch, 'tasks'),
        stop: stop.signal,
      }),
      concurrency,
      abandonedRunsRecorder(campaigns),
    );
    runner = { consumer, stop };
  };
  const stopRunner = async () => {
    if (runner === null) return;
    runner.stop.abort();
    await runner.consumer.close();
    runner = null;
  };

  return {
    url,
    token,
    cliEnv: { INET_SWARM_GATEWAY: url, INET_SWARM_TOKEN: token },
    db: () => db,
    startRunner,
    stopRunner,
    async stop() {
      await stopRunner();
      server.closeAllConnections();
      server.close();
      await Promise.all([buildWorker.close(), planWorker.close()]);
      await Promise.all([builds.close(), plans.close(), runs.close(), runnerQueue.close()]);
      for (const c of [connection, builderConnection, runnerConnection]) c.disconnect();
      await client.close();
      await Promise.all([redis.stop(), mongo.stop()]);
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}
