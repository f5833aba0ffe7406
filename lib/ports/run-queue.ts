import type { RunSpec } from '../core/campaign.js';

/**
 * The queue that carries units of work (a run, or a batch of runs) from whoever plans a campaign to the
 * runners that execute it. Units have deterministic ids (`<campaign>-<first run>`), so enqueueing the
 * same unit twice never duplicates work, and a priority (lower runs sooner: longest-expected first).
 */

export interface QueuedUnit {
  /** Deterministic and free of ':' (BullMQ reserves it): `<campaignId>-<firstRunNumber>`. */
  readonly id: string;
  readonly campaignId: string;
  /** The runs, as planned: the runner needs their result names and descriptions for the records. */
  readonly runs: readonly RunSpec[];
  /** 1 = first; larger numbers run later. */
  readonly priority: number;
}

/** How often a unit is tried when its handler fails transiently. */
export interface RetryPolicy {
  /** Attempts per unit, the first included. */
  readonly attempts: number;
  /** Delay before the first retry; doubles after each. */
  readonly backoffMs: number;
}

/**
 * A unit's handler, told which attempt this is (1 for the first). Throwing
 * UnitFailedPermanentlyError (lib/core/errors.ts) ends the unit; UnitHandedBackError puts it back
 * without spending the attempt, narrowed to its remaining runs, for another consumer shortly after;
 * any other error retries it.
 */
export type UnitHandler = (unit: QueuedUnit, attempt: number) => Promise<void>;

export interface Consumer {
  /** Stops taking units and waits for the ones in progress. */
  close(): Promise<void>;
}

export interface EnqueueOptions {
  /**
   * Also add units whose id finished earlier (succeeded or failed): a resubmission asks for exactly the
   * runs it wants redone. Units still queued or running are joined either way, never duplicated.
   */
  readonly replaceFinished?: boolean;
}

/**
 * Called when the queue gives up on a unit without its handler having finished it: the worker running
 * it vanished (a killed container or node) more often than the queue tolerates.
 */
export type AbandonedHandler = (unit: QueuedUnit, reason: string, finalAttempt: number) => Promise<void>;

export interface RunQueue {
  /** Adds units; ids already queued, running or recently done are ignored (unless replaceFinished). */
  enqueue(units: readonly QueuedUnit[], retry: RetryPolicy, options?: EnqueueOptions): Promise<void>;
  /** Starts handling units, `concurrency` at a time, until the consumer is closed. */
  consume(handler: UnitHandler, concurrency: number, onAbandoned?: AbandonedHandler): Consumer;
  /** Removes a campaign's units that have not started; returns how many. */
  cancel(campaignId: string): Promise<number>;
  /** Units of a campaign not yet finished (waiting, delayed for retry, or running). */
  pending(campaignId: string): Promise<number>;
  close(): Promise<void>;
}
