/**
 * One contract for every RunQueue: the in-process queue and BullMQ on a real, password-protected
 * Redis must dispatch, deduplicate, prioritise, retry and cancel alike.
 */
import type { Redis } from 'ioredis';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BullMqRunQueue } from '../../lib/adapters/bullmq/bullmq-run-queue.js';
import { InProcessRunQueue } from '../../lib/adapters/in-process/in-process-run-queue.js';
import { UnitFailedPermanentlyError, UnitHandedBackError } from '../../lib/core/errors.js';
import type { QueuedUnit, RunQueue } from '../../lib/ports/run-queue.js';
import { startRedis, type TestRedis } from '../support/redis-server.js';
import { runSpec } from '../support/run-spec.js';

let redis: TestRedis;
const clients: Redis[] = [];
let queueCounter = 0;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  // quit() waits for replies still in flight; disconnect() would reject them as unhandled errors.
  await Promise.all(clients.map((client) => client.quit().catch(() => undefined)));
  await redis.stop();
});

const adapters: [string, () => RunQueue][] = [
  ['InProcessRunQueue', () => new InProcessRunQueue()],
  [
    'BullMqRunQueue',
    () => {
      const client = redis.client();
      clients.push(client);
      return new BullMqRunQueue(client, `runs-test-${queueCounter++}`);
    },
  ],
];

const unit = (campaignId: string, run: number, priority = 1): QueuedUnit => ({
  id: `${campaignId}-${run}`,
  campaignId,
  runs: [runSpec(run)],
  priority,
});
const retry = { attempts: 3, backoffMs: 10 };

/** Resolves once `predicate` holds after an event; handlers call `check` after each change. */
function until(predicate: () => boolean): { promise: Promise<void>; check: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => (resolve = r));
  const check = () => {
    if (predicate()) resolve();
  };
  return { promise, check };
}

describe.each(adapters)('RunQueue contract: %s', (_name, create) => {
  it('hands every unit to a consumer once, however often it was enqueued', async () => {
    const queue = create();
    await queue.enqueue([unit('c', 0), unit('c', 1), unit('c', 2)], retry);
    await queue.enqueue([unit('c', 1)], retry);
    const seen: string[] = [];
    const done = until(() => seen.length === 3);
    const consumer = queue.consume(async (u) => {
      seen.push(u.id);
      done.check();
      await Promise.resolve();
    }, 2);
    await done.promise;
    await consumer.close();
    expect(seen.sort()).toEqual(['c-0', 'c-1', 'c-2']);
    expect(await queue.pending('c')).toBe(0);
    await queue.close();
  });

  it('serves lower priority numbers first', async () => {
    const queue = create();
    await queue.enqueue([unit('p', 0, 30), unit('p', 1, 10), unit('p', 2, 20)], retry);
    const seen: number[] = [];
    const done = until(() => seen.length === 3);
    const consumer = queue.consume(async (u) => {
      seen.push(u.runs[0]?.runNumber ?? -1);
      done.check();
      await Promise.resolve();
    }, 1);
    await done.promise;
    await consumer.close();
    expect(seen).toEqual([1, 2, 0]);
    await queue.close();
  });

  it('retries transient failures with the attempt number, and never retries a permanent one', async () => {
    const queue = create();
    await queue.enqueue([unit('r', 0), unit('r', 1)], retry);
    const attempts: [number, number][] = [];
    const done = until(
      () => attempts.filter(([run]) => run === 0).length === 3 && attempts.some(([run]) => run === 1),
    );
    const consumer = queue.consume(async (u, attempt) => {
      const run = u.runs[0]?.runNumber ?? -1;
      attempts.push([run, attempt]);
      done.check();
      await Promise.resolve();
      if (run === 0 && attempt < 3) throw new Error('node lost');
      if (run === 1) throw new UnitFailedPermanentlyError('simulation error');
    }, 2);
    await done.promise;
    // Let a wrongly scheduled retry of run 1 show up, if there were one.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await consumer.close();
    expect(attempts.filter(([run]) => run === 0).map(([, a]) => a)).toEqual([1, 2, 3]);
    expect(attempts.filter(([run]) => run === 1).map(([, a]) => a)).toEqual([1]);
    await queue.close();
  });

  it('takes a unit handed back again as the same attempt, narrowed to its remaining runs', async () => {
    const queue = create();
    await queue.enqueue(
      [{ id: 'h-0', campaignId: 'h', runs: [runSpec(0), runSpec(1), runSpec(2)], priority: 1 }],
      {
        attempts: 1,
        backoffMs: 10,
      },
    );
    const calls: [number[], number][] = [];
    const done = until(() => calls.length === 2);
    const consumer = queue.consume(async (u, attempt) => {
      calls.push([u.runs.map((run) => run.runNumber), attempt]);
      done.check();
      await Promise.resolve();
      if (calls.length === 1) throw new UnitHandedBackError('the runner is stopping', [1, 2]);
    }, 1);
    await done.promise;
    await consumer.close();
    // With a single attempt, a spent one would have ended the unit instead.
    expect(calls).toEqual([
      [[0, 1, 2], 1],
      [[1, 2], 1],
    ]);
    expect(await queue.pending('h')).toBe(0);
    await queue.close();
  });

  it('cancels the units of one campaign that have not started', async () => {
    const queue = create();
    await queue.enqueue([unit('x', 0), unit('x', 1), unit('y', 0)], retry);
    expect(await queue.pending('x')).toBe(2);
    expect(await queue.cancel('x')).toBe(2);
    expect(await queue.pending('x')).toBe(0);
    expect(await queue.pending('y')).toBe(1);
    await queue.close();
  });
});

describe('BullMqRunQueue on Redis', () => {
  it('refuses to talk to Redis without the password', async () => {
    // A raw RESP exchange: what any unauthenticated client on the network would get.
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(redis.port, '127.0.0.1', () => socket.write('PING\r\n'));
      socket.once('data', (data) => {
        resolve(data.toString());
        socket.destroy();
      });
      socket.once('error', reject);
    });
    expect(reply).toMatch(/^-NOAUTH Authentication required/);
  });

  it('refuses unit ids with a colon', async () => {
    const client = redis.client();
    clients.push(client);
    const queue = new BullMqRunQueue(client, 'runs-colon');
    await expect(queue.enqueue([{ ...unit('c', 0), id: 'c:0' }], retry)).rejects.toThrow(/contains ':'/);
    await queue.close();
  });
});
