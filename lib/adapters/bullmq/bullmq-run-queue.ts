/**
 * The RunQueue on Redis through BullMQ, shared by every runner of a swarm. Job id = unit id, so a
 * unit enqueued twice exists once; BullMQ priorities give longest-first dispatch; its attempts and
 * exponential backoff retry transient failures, and UnrecoverableError ends deterministic ones. A
 * unit handed back goes to the delayed set without spending an attempt (moveToDelayed + DelayedError).
 */
import { DelayedError, Queue, UnrecoverableError, Worker, type Job, type JobType } from 'bullmq';
import type { Redis } from 'ioredis';
import { UnitFailedPermanentlyError, UnitHandedBackError } from '../../core/errors.js';
import type {
  AbandonedHandler,
  Consumer,
  EnqueueOptions,
  QueuedUnit,
  RetryPolicy,
  RunQueue,
  UnitHandler,
} from '../../ports/run-queue.js';

/** BullMQ's largest priority; lower numbers are served first. */
const MAX_PRIORITY = 2 ** 21;
/** Finished units are kept this long, so that a resubmission in that time is recognised as a duplicate. */
const KEEP_FINISHED_SECONDS = 7 * 24 * 3600;
const STALLS_TOLERATED = 10;
/**
 * A unit handed back waits this long: the runner handing it back may still be waiting for work while
 * it closes, and would take it again at once.
 */
const HANDED_BACK_DELAY_MS = 1000;
const NOT_STARTED: JobType[] = ['waiting', 'prioritized', 'delayed'];
const UNFINISHED: JobType[] = [...NOT_STARTED, 'active'];

export class BullMqRunQueue implements RunQueue {
  private readonly queue: Queue<QueuedUnit>;

  /**
   * @param connection an ioredis client created with `maxRetriesPerRequest: null` (workers block on it,
   *   and must wait out a Redis restart rather than fail)
   */
  constructor(
    private readonly connection: Redis,
    private readonly queueName = 'runs',
  ) {
    this.queue = new Queue<QueuedUnit>(queueName, { connection });
  }

  async enqueue(
    units: readonly QueuedUnit[],
    retry: RetryPolicy,
    options: EnqueueOptions = {},
  ): Promise<void> {
    for (const unit of units) {
      if (unit.id.includes(':')) throw new Error(`unit id ${unit.id} contains ':', which BullMQ reserves`);
    }
    if (options.replaceFinished === true) await this.removeFinished(units);
    await this.queue.addBulk(
      units.map((unit) => ({
        // The job name carries the campaign so that cancel and pending can select by it.
        name: unit.campaignId,
        data: unit,
        opts: {
          jobId: unit.id,
          priority: Math.min(Math.max(1, unit.priority), MAX_PRIORITY),
          attempts: retry.attempts,
          backoff: { type: 'exponential', delay: retry.backoffMs },
          removeOnComplete: { age: KEEP_FINISHED_SECONDS },
          removeOnFail: { age: KEEP_FINISHED_SECONDS },
        },
      })),
    );
  }

  /** Finished jobs under these ids are removed, so that adding them again runs them again. */
  private async removeFinished(units: readonly QueuedUnit[]): Promise<void> {
    for (let i = 0; i < units.length; i += 1000) {
      const slice = units.slice(i, i + 1000);
      const states = await Promise.all(slice.map((unit) => this.queue.getJobState(unit.id)));
      const finished = slice.filter((_unit, j) => states[j] === 'completed' || states[j] === 'failed');
      await Promise.all(finished.map((unit) => this.queue.remove(unit.id)));
    }
  }

  consume(handler: UnitHandler, concurrency: number, onAbandoned?: AbandonedHandler): Consumer {
    const worker = new Worker<QueuedUnit>(
      this.queueName,
      async (job, token) => {
        try {
          await handler(job.data, job.attemptsMade + 1);
        } catch (error) {
          if (error instanceof UnitFailedPermanentlyError) throw new UnrecoverableError(error.message);
          if (error instanceof UnitHandedBackError) await handBack(job, error.remainingRuns, token);
          throw error;
        }
      },
      {
        connection: this.connection,
        concurrency,
        // A runner container killed mid-run leaves its unit 'active' until its lock expires; the unit
        // then goes back to the queue. Killing runners repeatedly is survivable up to this many times.
        maxStalledCount: STALLS_TOLERATED,
      },
    );
    // Failures are the handler's to report; without a listener BullMQ would print them.
    worker.on('error', () => undefined);
    if (onAbandoned !== undefined) {
      worker.on('failed', (job, error) => {
        // Only the stalled-job checker fails a job without our handler having thrown; handler
        // failures already wrote their run records.
        if (job === undefined || !/stalled/i.test(error.message)) return;
        onAbandoned(job.data, error.message, job.opts.attempts ?? 1).catch(() => undefined);
      });
    }
    return { close: () => worker.close() };
  }

  async cancel(campaignId: string): Promise<number> {
    let removed = 0;
    for (const job of await this.queue.getJobs(NOT_STARTED)) {
      if (job.name !== campaignId) continue;
      await job.remove();
      removed += 1;
    }
    return removed;
  }

  async pending(campaignId: string): Promise<number> {
    return (await this.queue.getJobs(UNFINISHED)).filter((job) => job.name === campaignId).length;
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

/**
 * Puts a unit back as BullMQ documents it for a processor: moveToDelayed (which, unlike a failure,
 * leaves attemptsMade alone) under the job's lock, then DelayedError so that the worker does not
 * complete or fail the job. The lock is still ours while the worker closes: close() waits for the
 * processor before it stops renewing locks.
 */
async function handBack(
  job: Job<QueuedUnit>,
  remainingRuns: readonly number[],
  token?: string,
): Promise<never> {
  const remaining = new Set(remainingRuns);
  // The finished runs are recorded: the next consumer runs only the rest.
  await job.updateData({ ...job.data, runs: job.data.runs.filter((run) => remaining.has(run.runNumber)) });
  await job.moveToDelayed(Date.now() + HANDED_BACK_DELAY_MS, token);
  throw new DelayedError();
}
