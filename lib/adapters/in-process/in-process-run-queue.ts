/**
 * The RunQueue inside one process: the same semantics as the shared queue (dedup by id, priorities,
 * retries with backoff, permanent failures, units handed back), for single-machine use and as the
 * reference in the contract tests.
 */
import { UnitFailedPermanentlyError, UnitHandedBackError } from '../../core/errors.js';
import type {
  Consumer,
  EnqueueOptions,
  QueuedUnit,
  RetryPolicy,
  RunQueue,
  UnitHandler,
} from '../../ports/run-queue.js';

/** As BullMqRunQueue: a unit handed back waits this long, so its closing consumer does not take it again. */
const HANDED_BACK_DELAY_MS = 1000;

interface Entry {
  /** Narrowed to the remaining runs when handed back. */
  unit: QueuedUnit;
  readonly retry: RetryPolicy;
  attempt: number;
  state: 'waiting' | 'delayed' | 'active' | 'done';
}

export class InProcessRunQueue implements RunQueue {
  private readonly entries = new Map<string, Entry>();
  private readonly wakers = new Set<() => void>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();

  enqueue(units: readonly QueuedUnit[], retry: RetryPolicy, options: EnqueueOptions = {}): Promise<void> {
    for (const unit of units) {
      const existing = this.entries.get(unit.id);
      if (existing === undefined || (options.replaceFinished === true && existing.state === 'done'))
        this.entries.set(unit.id, { unit, retry, attempt: 0, state: 'waiting' });
    }
    this.wake();
    return Promise.resolve();
  }

  /** Workers here cannot vanish without their handler settling, so no unit is ever abandoned. */
  consume(handler: UnitHandler, concurrency: number): Consumer {
    let closed = false;
    let active = 0;
    let drained: (() => void) | null = null;
    const pump = () => {
      while (!closed && active < concurrency) {
        const entry = this.next();
        if (entry === undefined) return;
        entry.state = 'active';
        entry.attempt += 1;
        active += 1;
        handler(entry.unit, entry.attempt)
          .then(
            () => (entry.state = 'done'),
            (error: unknown) => this.failed(entry, error),
          )
          .finally(() => {
            active -= 1;
            if (active === 0) drained?.();
            pump();
          });
      }
    };
    this.wakers.add(pump);
    pump();
    return {
      close: async () => {
        closed = true;
        this.wakers.delete(pump);
        if (active > 0) await new Promise<void>((resolve) => (drained = resolve));
      },
    };
  }

  cancel(campaignId: string): Promise<number> {
    let removed = 0;
    for (const [id, entry] of this.entries) {
      if (entry.unit.campaignId === campaignId && (entry.state === 'waiting' || entry.state === 'delayed')) {
        this.entries.delete(id);
        removed += 1;
      }
    }
    return Promise.resolve(removed);
  }

  pending(campaignId: string): Promise<number> {
    const count = [...this.entries.values()].filter(
      (e) => e.unit.campaignId === campaignId && e.state !== 'done',
    );
    return Promise.resolve(count.length);
  }

  close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    return Promise.resolve();
  }

  private next(): Entry | undefined {
    let best: Entry | undefined;
    for (const entry of this.entries.values()) {
      if (entry.state === 'waiting' && (best === undefined || entry.unit.priority < best.unit.priority))
        best = entry;
    }
    return best;
  }

  private failed(entry: Entry, error: unknown): void {
    if (error instanceof UnitHandedBackError) {
      const remaining = new Set(error.remainingRuns);
      entry.unit = { ...entry.unit, runs: entry.unit.runs.filter((run) => remaining.has(run.runNumber)) };
      entry.attempt -= 1; // not spent
      this.delay(entry, HANDED_BACK_DELAY_MS);
      return;
    }
    if (error instanceof UnitFailedPermanentlyError || entry.attempt >= entry.retry.attempts) {
      entry.state = 'done';
      return;
    }
    this.delay(entry, entry.retry.backoffMs * 2 ** (entry.attempt - 1));
  }

  private delay(entry: Entry, ms: number): void {
    entry.state = 'delayed';
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (entry.state !== 'delayed') return;
      entry.state = 'waiting';
      this.wake();
    }, ms);
    this.timers.add(timer);
  }

  private wake(): void {
    for (const waker of this.wakers) waker();
  }
}
