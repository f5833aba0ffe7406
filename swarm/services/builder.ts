/**
 * The builder service: builds project sources into artifacts (queue `build`) and plans campaigns in
 * them (queue `plan`), for the gateway. One build at a time, because builds share the ccache volume and
 * a build already spreads its compiles over every distcc daemon; plans are short, two at a time.
 */
import os from 'node:os';
import path from 'node:path';
import { Worker, type Job } from 'bullmq';
import { GridFsBlobStore } from '../../lib/adapters/mongo/grid-fs-blob-store.js';
import { ArtifactCache } from '../../lib/swarm/artifact-cache.js';
import { BUILD_QUEUE, decodeJobFailure, PLAN_QUEUE } from '../../lib/swarm/build-jobs.js';
import { builderProcessors, checkToolchain, readBuilderEnvironment } from '../../lib/swarm/builder-worker.js';
import { connectMongo, connectRedis, type ServiceConfig } from './config.js';
import { untilAborted } from './lifecycle.js';

/** One JSON line per event on stdout: fixed message, data in fields. */
function logEvent(msg: string, fields: Record<string, unknown>): void {
  console.log(JSON.stringify({ time: new Date().toISOString(), service: 'builder', msg, ...fields }));
}

/** Logs the start and the end of every job of `worker`. */
function logJobs(worker: Worker, queue: string): void {
  worker.on('active', (job: Job) => logEvent('job started', { queue, jobId: job.id }));
  worker.on('completed', (job: Job, result: unknown) =>
    logEvent('job succeeded', { queue, jobId: job.id, result }),
  );
  worker.on('failed', (job: Job | undefined, error: Error) => {
    const failure = decodeJobFailure(error.message);
    logEvent('job failed', {
      queue,
      jobId: job?.id,
      error: failure.name,
      message: failure.message,
      attempt: job?.attemptsMade,
    });
  });
  worker.on('error', (error: Error) => logEvent('worker error', { queue, message: error.message }));
}

export async function runBuilder(
  config: ServiceConfig,
  stop: AbortSignal,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<void> {
  const environment = readBuilderEnvironment(env);
  await checkToolchain(environment);
  const { client, db } = await connectMongo(config);
  const redis = connectRedis(config);
  const blobs = new GridFsBlobStore(db);
  const artifacts = new ArtifactCache(blobs, {
    dir: path.join(config.scratchDir, 'artifacts'),
    limits: config.extractLimits,
  });
  const processors = builderProcessors({
    blobs,
    artifacts,
    scratchDir: path.join(config.scratchDir, 'builds'),
    limits: config.extractLimits,
    environment,
    // A build running when the service stops is killed; its job fails transiently and is retried.
    stop,
  });
  const builds = new Worker(BUILD_QUEUE, processors.build, { connection: redis, concurrency: 1 });
  const plans = new Worker(PLAN_QUEUE, processors.plan, { connection: redis, concurrency: 2 });
  logJobs(builds, BUILD_QUEUE);
  logJobs(plans, PLAN_QUEUE);
  logEvent('builder ready', { host: os.hostname(), distccService: environment.distccService });

  await untilAborted(stop);
  await Promise.all([builds.close(), plans.close()]);
  await client.close();
  redis.disconnect();
}
