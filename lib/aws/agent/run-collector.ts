/**
 * Moves finished runs from the swarm into the bucket as they finish, in the background after the
 * fan-out: for each record the swarm has not handed out yet, its result files go to
 * data/<id>/results/<name> (checksum-verified on the way), then the record to
 * data/<id>/records/<run>-<attempt>.json, and only then is it marked fetched in the swarm. An agent
 * killed at any point therefore leaves no record pointing at missing files, and loses nothing: what
 * it had not stored is still unfetched, and the next agent stores it (the same keys again).
 *
 * It also keeps the counts the workflow and people watch (progress.json, laid over status.json's `runs`, the `progress`
 * answers), counting a run as finished once a record says no further attempt will come.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { RunRecord } from '../../core/campaign.js';
import { GatewayError } from '../../core/errors.js';
import type { ControlPlaneStore } from '../../ports/control-plane-store.js';
import { recordKey, type SwarmRunRecord } from '../../ports/campaign-store.js';
import { isFinal } from '../../swarm/client/collect-results.js';
import type { ProgressOutput } from '../agent-protocol.js';
import { campaignKeys } from '../bucket-layout.js';
import type { AgentProgress, RunProgress } from '../campaign-status.js';
import { storedRecordSchema, type StoredRecord } from '../stored-record.js';
import { sleep, type AgentLog, type AgentTiming, type SwarmGateway } from './agent-options.js';
import { isSwarmLost } from './task-failure.js';

/** Records asked for at once. */
const PAGE = 200;
/** Records stored at the same time: their downloads and uploads overlap. */
const PARALLEL_RECORDS = 8;
/** Stored records read at once when a restarted agent counts them. */
const PARALLEL_READS = 16;
/** Collection errors in a row (other than the gateway's) before the collection gives up. */
const MAX_FAILURES_IN_A_ROW = 10;

export interface CollectorDeps {
  readonly campaignId: string;
  readonly store: ControlPlaneStore;
  readonly gateway: SwarmGateway;
  readonly scratchDir: string;
  readonly log: AgentLog;
  readonly timing: Pick<AgentTiming, 'statusWriteMs' | 'recordPollMs' | 'collectRetryMs'>;
  readonly now: () => Date;
}

interface RunState {
  readonly ok: boolean;
  readonly durationMs: number;
}

/** A result name from the swarm, relative to the result directory, or refused. */
export function checkResultName(name: string): string {
  const normalised = path.posix.normalize(name);
  if (
    name === '' ||
    path.posix.isAbsolute(name) ||
    normalised === '..' ||
    normalised.startsWith('../') ||
    normalised !== name
  )
    throw new GatewayError(`the swarm sent a result file named '${name}', which leaves the result directory`);
  return name;
}

export class RunCollector {
  private readonly planned: ReadonlySet<number>;
  /** Runs with a final record. */
  private readonly finals = new Map<number, RunState>();
  private ok = 0;
  private durationSumMs = 0;
  /** The newest attempt whose result files are stored, per run: an older one never overwrites them. */
  private readonly newestAttempt = new Map<number, number>();
  private failureError: Error | null = null;
  private dirty = true;
  private lastStatusWrite = Number.NEGATIVE_INFINITY;
  private readonly halt = new AbortController();
  private loop: Promise<void> | null = null;
  private waiters: (() => void)[] = [];

  /**
   * @param runNumbers the planned runs
   * @param attempts attempts the queue makes per run (the retry policy's), for finality
   */
  constructor(
    private readonly deps: CollectorDeps,
    runNumbers: readonly number[],
    private readonly attempts: number,
  ) {
    this.planned = new Set(runNumbers);
  }

  /** Counts the records already in the bucket (stored by an earlier agent of this campaign). */
  async loadStored(): Promise<number> {
    const prefix = campaignKeys(this.deps.campaignId).recordsPrefix;
    let next: string | null = null;
    let loaded = 0;
    do {
      const page = await this.deps.store.list(prefix, next, 1000);
      for (let i = 0; i < page.objects.length; i += PARALLEL_READS) {
        const stored = await Promise.all(
          page.objects
            .slice(i, i + PARALLEL_READS)
            .map((object) => this.deps.store.getJson(object.key, storedRecordSchema)),
        );
        for (const entry of stored) {
          if (entry === null) continue;
          const { runNumber, attempt } = entry.record;
          this.newestAttempt.set(runNumber, Math.max(attempt, this.newestAttempt.get(runNumber) ?? 0));
          this.count(entry.record);
          loaded += 1;
        }
      }
      next = page.next;
    } while (next !== null);
    return loaded;
  }

  /** Starts collecting in the background; it ends once every run is final, or on stop() or failure. */
  start(): void {
    this.loop ??= this.collect();
  }

  /** Stops collecting (a record being stored is finished first). */
  async stop(): Promise<void> {
    this.halt.abort();
    await this.loop;
  }

  /** Why collection stopped before every run was final (the gateway was lost), or null. */
  get failure(): Error | null {
    return this.failureError;
  }

  get allFinal(): boolean {
    return this.finals.size >= this.planned.size;
  }

  progress(): ProgressOutput {
    return { ...this.counts(), allFinal: this.allFinal };
  }

  /** Resolves when every run is final or collection failed, or (as is) when `signal` is aborted. */
  async settled(signal: AbortSignal): Promise<void> {
    while (!this.allFinal && this.failureError === null && !signal.aborted) {
      await new Promise<void>((resolve) => {
        const done = () => {
          signal.removeEventListener('abort', done);
          resolve();
        };
        signal.addEventListener('abort', done, { once: true });
        this.waiters.push(done);
      });
    }
  }

  private counts(): RunProgress {
    const total = this.planned.size;
    const finished = this.finals.size;
    const meanSeconds = finished === 0 ? null : this.durationSumMs / finished / 1000;
    return {
      total,
      ok: this.ok,
      failed: finished - this.ok,
      finished,
      remainingSeconds: meanSeconds === null ? null : meanSeconds * (total - finished),
    };
  }

  private changed(): void {
    this.dirty = true;
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Takes a record into the counts: a run is finished by its first final record (an ok one wins). */
  private count(record: RunRecord): void {
    if (!this.planned.has(record.runNumber) || !isFinal(record, this.attempts)) return;
    const known = this.finals.get(record.runNumber);
    const ok = record.status === 'ok';
    if (known !== undefined && (known.ok || !ok)) return;
    if (known !== undefined) this.durationSumMs -= known.durationMs;
    this.finals.set(record.runNumber, { ok, durationMs: record.durationMs });
    this.durationSumMs += record.durationMs;
    if (ok) this.ok += 1;
    this.changed();
  }

  private async collect(): Promise<void> {
    let tmp: string | null = null;
    try {
      tmp = await mkdtemp(path.join(this.deps.scratchDir, 'agent-results-'));
      await this.drain(tmp);
    } catch (error) {
      this.fail(error);
    } finally {
      if (tmp !== null) await rm(tmp, { recursive: true, force: true });
      this.changed();
    }
  }

  private fail(error: unknown): void {
    this.failureError = error instanceof Error ? error : new Error(String(error));
    this.deps.log.error('collection failed', {
      campaignId: this.deps.campaignId,
      message: this.failureError.message,
    });
  }

  /** Stores what the swarm hands out until every run is final (or stop, or failure). */
  private async drain(tmp: string): Promise<void> {
    const { gateway, campaignId, log, timing } = this.deps;
    const signal = this.halt.signal;
    let failuresInARow = 0;
    while (!signal.aborted && !this.allFinal) {
      try {
        const page = await gateway.unfetchedRecords(campaignId, PAGE);
        if (page.length === 0) {
          await this.writeStatus(false);
          await sleep(timing.recordPollMs, signal);
          continue;
        }
        for (let i = 0; i < page.length; i += PARALLEL_RECORDS) {
          const slice = page.slice(i, i + PARALLEL_RECORDS);
          await this.storeSlice(slice, tmp);
          await gateway.markFetched(campaignId, slice.map(recordKey));
        }
        failuresInARow = 0;
        await this.writeStatus(false);
      } catch (error) {
        if (signal.aborted) break;
        failuresInARow += 1;
        if (isSwarmLost(error) || failuresInARow >= MAX_FAILURES_IN_A_ROW) {
          this.fail(error);
          break;
        }
        log.warn('collection error; trying again', {
          campaignId,
          message: (error as Error).message,
          failuresInARow,
        });
        await sleep(timing.collectRetryMs, signal);
      }
    }
    await this.writeStatus(true);
    if (this.allFinal) log.info('every run is final', { campaignId, ...this.counts() });
  }

  /**
   * Stores records side by side; a run's records one after the other, oldest attempt first, so that
   * the result files left under a name are those of the newest attempt.
   */
  private async storeSlice(slice: readonly SwarmRunRecord[], tmp: string): Promise<void> {
    const byRun = new Map<number, SwarmRunRecord[]>();
    for (const entry of slice) {
      const list = byRun.get(entry.record.runNumber) ?? [];
      list.push(entry);
      byRun.set(entry.record.runNumber, list);
    }
    await Promise.all(
      [...byRun.values()].map(async (entries) => {
        entries.sort((a, b) => a.record.attempt - b.record.attempt);
        for (const entry of entries) await this.storeEntry(entry, tmp);
      }),
    );
  }

  /** Result files first, then the record: a record in the bucket always has its files. */
  private async storeEntry(entry: SwarmRunRecord, tmp: string): Promise<void> {
    const { record, results } = entry;
    const { store, gateway, campaignId } = this.deps;
    const keys = campaignKeys(campaignId);
    if (results.length !== record.files.length)
      throw new GatewayError(
        `run ${record.runNumber}: the swarm lists ${results.length} stored files for ${record.files.length} result files`,
      );
    const names = results.map((result) => checkResultName(result.name));
    const newest = this.newestAttempt.get(record.runNumber) ?? 0;
    if (record.attempt >= newest) {
      await Promise.all(
        results.map(async (result, i) => {
          const sha256 = record.files[i]?.sha256 ?? '';
          const file = path.join(tmp, randomUUID());
          try {
            await gateway.downloadBlob(result.blobKey, file, sha256);
            await store.uploadFile(keys.result(names[i] as string), file, sha256);
          } finally {
            await rm(file, { force: true });
          }
        }),
      );
      this.newestAttempt.set(record.runNumber, record.attempt);
    }
    const stored: StoredRecord = { v: 1, record, results: names };
    await store.putJson(keys.record(record.runNumber, record.attempt), stored);
    this.count(record);
  }

  /** Writes the counts to progress.json (the agent's own document), at most every statusWriteMs. */
  private async writeStatus(force: boolean): Promise<void> {
    const { store, campaignId, timing, now, log } = this.deps;
    const time = now().getTime();
    if (!this.dirty || (!force && time - this.lastStatusWrite < timing.statusWriteMs)) return;
    const key = campaignKeys(campaignId).progress;
    try {
      this.dirty = false;
      this.lastStatusWrite = time;
      const progress: AgentProgress = { ...this.counts(), updatedAt: now().toISOString() };
      await store.putJson(key, progress);
    } catch (error) {
      this.dirty = true;
      log.warn('cannot write the run counts', { campaignId, message: (error as Error).message });
    }
  }
}

/** What the collector needs of data/<id>/plan.json: the planned run numbers. */
export const plannedRunsSchema = z.object({
  runs: z.array(z.object({ runNumber: z.number().int().nonnegative() })),
});
