/**
 * The gateway's view of a build or plan job on a real Redis, read while workers finish jobs: a job is
 * never seen succeeded without its result, nor failed without its reason (the agent once saw a build
 * succeed with a null result, read between BullMQ's two writes as it looked).
 */
import { Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobView } from '../../lib/swarm/gateway/job-view.js';
import { startRedis, type TestRedis } from '../support/redis-server.js';

let redis: TestRedis;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

describe('jobView', () => {
  it('shows every finished job with its result or failure reason, however it is polled', async () => {
    const connection = redis.client();
    const queue = new Queue('view-race', { connection });
    const worker = new Worker(
      'view-race',
      (job) =>
        Number(job.id?.slice(4)) % 5 === 0
          ? Promise.reject(new Error(`job ${job.id} failed`))
          : Promise.resolve({ artifactKey: `artifact-${job.id}` }),
      { connection: redis.client(), concurrency: 4 },
    );
    const ids = Array.from({ length: 150 }, (_, i) => `job-${i + 1}`);
    await queue.addBulk(ids.map((id) => ({ name: 'build', data: {}, opts: { jobId: id } })));
    const torn: string[] = [];
    const pending = new Set(ids);
    // Poll each job until it is finished, as the CLI and the agent do, only without pausing.
    await Promise.all(
      ids.map(async (id) => {
        while (pending.has(id)) {
          const view = await jobView(queue, id, 0);
          if (view.state === 'succeeded' && view.result === null)
            torn.push(`${id} succeeded without a result`);
          if (view.state === 'failed' && view.failedReason === 'failed')
            torn.push(`${id} failed without a reason`);
          if (view.state === 'succeeded' || view.state === 'failed') pending.delete(id);
        }
      }),
    );
    await worker.close();
    await queue.close();
    expect(torn).toEqual([]);
  });
});
