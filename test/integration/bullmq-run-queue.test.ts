/**
 * BullMqRunQueue on a real Redis, beyond the RunQueue contract: a unit handed back by a consumer that
 * is stopping (UnitHandedBackError) goes back to the queue narrowed to its remaining runs, without
 * spending an attempt, even while that consumer closes, and only another consumer takes it again.
 */
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BullMqRunQueue } from '../../lib/adapters/bullmq/bullmq-run-queue.js';
import { UnitHandedBackError } from '../../lib/core/errors.js';
import type { QueuedUnit } from '../../lib/ports/run-queue.js';
import { startRedis, type TestRedis } from '../support/redis-server.js';
import { runSpec } from '../support/run-spec.js';

let redis: TestRedis;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

/** A promise and the function that resolves it. */
function signal<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('BullMqRunQueue handing units back', () => {
  it('requeues a unit handed back while its consumer closes, narrowed and with the same attempt', async () => {
    const connection = redis.client();
    const queueName = 'runs-hand-back';
    const queue = new BullMqRunQueue(connection, queueName);
    const jobs = new Queue<QueuedUnit>(queueName, { connection });
    const unit: QueuedUnit = {
      id: 'c-0',
      campaignId: 'c',
      runs: [runSpec(0), runSpec(1), runSpec(2)],
      priority: 1,
    };
    // A single attempt: spending it would fail the unit.
    await queue.enqueue([unit], { attempts: 1, backoffMs: 10 });

    // The stopping consumer: a free slot (concurrency 2) is left waiting for work as it closes.
    const started = signal();
    const release = signal();
    const firstCalls: [number[], number][] = [];
    const first = queue.consume(async (u, attempt) => {
      firstCalls.push([u.runs.map((run) => run.runNumber), attempt]);
      started.resolve();
      await release.promise;
      throw new UnitHandedBackError('the runner is stopping', [1, 2]);
    }, 2);
    await started.promise;
    const closing = first.close();
    release.resolve();
    await closing;

    const handedBack = await jobs.getJob('c-0');
    expect(await jobs.getJobState('c-0')).toBe('delayed');
    expect(handedBack?.attemptsMade).toBe(0);
    expect(handedBack?.data.runs.map((run) => run.runNumber)).toEqual([1, 2]);
    expect(handedBack?.failedReason).toBeFalsy();
    expect(await queue.pending('c')).toBe(1);

    const done = signal<[number[], number]>();
    const second = queue.consume(async (u, attempt) => {
      done.resolve([u.runs.map((run) => run.runNumber), attempt]);
      await Promise.resolve();
    }, 1);
    expect(await done.promise).toEqual([[1, 2], 1]);
    await second.close();

    expect(await jobs.getJobState('c-0')).toBe('completed');
    expect(firstCalls).toEqual([[[0, 1, 2], 1]]);
    await Promise.all([jobs.close(), queue.close()]);
    await connection.quit();
  });
});
