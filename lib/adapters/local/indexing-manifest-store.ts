/**
 * A ManifestStore that also streams each finished run's scalars into the results index
 * (`<resultDir>/inet-swarm-index.sqlite`, lib/results/result-index.ts). Every backend appends the runs
 * it stores here to the local manifest, so wrapping that manifest feeds the same index from all of them.
 *
 * The manifest stays the source of truth: a record is appended first, and only then queued for
 * indexing. Queued files go to the ResultIndexer in batches (every BATCH records or FLUSH_DELAY_MS,
 * and on close), never in the append path. The index can always be rebuilt with `inet-swarm index`,
 * so its problems (a damaged `.sca`, a full disk, an unwritable directory) never fail the campaign:
 * they are reported to `onProblem` and indexing goes on, or, if the index itself cannot be written,
 * stops for this session with one message.
 *
 * What is indexed: the `.sca` files of `ok` records. A run that failed, was lost or was interrupted
 * leaves at best a partial `.sca` (OMNeT++ writes scalars in finish()), which must not be averaged
 * with complete ones: its file is dropped from the index instead, so that a rerun that failed does not
 * leave the results of an earlier execution behind. Files outside the result directory are ignored.
 *
 * Catching up: the first `latestRecords()` (the resume decision of every backend) also queues the
 * files of `ok` records that the index lacks or holds at another size or mtime: results from before
 * the index existed, or from a session killed before its last flush, whose runs resume will not rerun.
 */
import path from 'node:path';
import type { RecordedRun, RunRecord } from '../../core/campaign.js';
import type { CampaignObserver } from '../../ports/campaign-observer.js';
import type { ManifestStore } from '../../ports/manifest-store.js';
import type { IndexChange, ResultIndexer } from '../../results/result-indexer.js';
import { WorkerResultIndexer } from '../../results/worker-result-indexer.js';

export interface ResultIndexTarget {
  /** Absolute: the index lives here and names files relative to it. */
  readonly resultDir: string;
  /** Absolute: record file paths are relative to it. */
  readonly workingDir: string;
}

export interface IndexingOptions extends ResultIndexTarget {
  /** Does the reading and writing (for this result directory). */
  readonly indexer: ResultIndexer;
  /** Told about each problem; the campaign goes on. */
  readonly onProblem: (message: string) => void;
  /** Records per batch (default 200). */
  readonly batchSize?: number;
  /** Longest wait before a queued record is indexed (default 500 ms). */
  readonly flushDelayMs?: number;
}

const BATCH = 200;
const FLUSH_DELAY_MS = 500;

export class IndexingManifestStore implements ManifestStore {
  /** Index path -> change; a later record of the same file replaces an earlier one. */
  private queue = new Map<string, IndexChange>();
  private timer: NodeJS.Timeout | null = null;
  /** The indexer's work, in order: catch-up, then batches. Never rejects. */
  private work: Promise<void> = Promise.resolve();
  private disabled = false;
  private flushWaiting = false;
  private caughtUp = false;
  private closed = false;
  private readonly batchSize: number;
  private readonly flushDelayMs: number;

  constructor(
    private readonly inner: ManifestStore,
    private readonly options: IndexingOptions,
  ) {
    this.batchSize = options.batchSize ?? BATCH;
    this.flushDelayMs = options.flushDelayMs ?? FLUSH_DELAY_MS;
  }

  async latestRecords(): Promise<RecordedRun[]> {
    const records = await this.inner.latestRecords();
    if (!this.caughtUp && records.length > 0) {
      this.caughtUp = true;
      void this.enqueueWork(() => this.catchUp(records));
    }
    return records;
  }

  async append(record: RunRecord): Promise<void> {
    await this.inner.append(record);
    if (this.closed || this.disabled) return;
    for (const change of this.changesOf(record)) this.queue.set(pathOfChange(change), change);
    this.schedule();
  }

  /** Resolves once everything queued so far is indexed (or reported); never rejects. */
  flush(): Promise<void> {
    this.clearTimer();
    // A flush still waiting for its turn takes the whole queue when it starts: one is enough.
    if (this.flushWaiting) return this.work;
    this.flushWaiting = true;
    return this.enqueueWork(() => {
      this.flushWaiting = false;
      return this.flushBatch();
    });
  }

  /** Indexes what is queued, closes the index (checkpointed into one file), then the manifest. */
  async close(): Promise<void> {
    this.closed = true;
    try {
      await this.flush();
      await this.options.indexer.close();
    } catch (error) {
      this.problem(`results index: ${(error as Error).message}`);
    } finally {
      await this.inner.close();
    }
  }

  private enqueueWork(step: () => Promise<void>): Promise<void> {
    this.work = this.work.then(step).catch((error: unknown) => this.disable(error));
    return this.work;
  }

  private schedule(): void {
    if (this.queue.size >= this.batchSize) {
      void this.flush();
      return;
    }
    if (this.timer === null && this.queue.size > 0) {
      this.timer = setTimeout(() => void this.flush(), this.flushDelayMs);
      this.timer.unref(); // a pending flush must not keep the process alive; close() flushes
    }
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** The record's `.sca` files indexed (ok), or dropped (any other status). */
  private changesOf(record: Pick<RunRecord, 'status' | 'files'>): IndexChange[] {
    const changes = new Map<string, IndexChange>();
    for (const file of record.files) {
      const absolutePath = path.resolve(this.options.workingDir, file.path);
      const scaPath = `${absolutePath.replace(/\.[^./\\]*$/, '')}.sca`;
      const indexPath = this.indexPathOf(scaPath);
      if (indexPath === null) continue;
      if (record.status !== 'ok') {
        // Every result file of a run shares its stem: the .sca beside this one is partial or stale.
        changes.set(indexPath, { kind: 'drop', indexPath });
      } else if (absolutePath === scaPath) {
        changes.set(indexPath, {
          kind: 'index',
          source: { absolutePath, indexPath, displayName: file.path, sha256: file.sha256 },
        });
      }
    }
    return [...changes.values()];
  }

  /** Relative to the result directory with `/` separators; null outside it. */
  private indexPathOf(absolutePath: string): string | null {
    const relative = path.relative(this.options.resultDir, absolutePath);
    if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) return null;
    return relative.split(path.sep).join('/');
  }

  private async catchUp(records: readonly RecordedRun[]): Promise<void> {
    if (this.disabled) return;
    const indexed = await this.options.indexer.indexedFiles();
    for (const record of records) {
      for (const change of this.changesOf(record)) {
        const indexPath = pathOfChange(change);
        const known = indexed.get(indexPath);
        const current =
          change.kind === 'drop'
            ? known === undefined
            : known !== undefined &&
              record.files.some(
                (f) =>
                  f.path === change.source.displayName &&
                  f.size === known.size &&
                  f.mtimeMs === known.mtimeMs,
              );
        // A record appended meanwhile is newer than this one.
        if (!current && !this.queue.has(indexPath)) this.queue.set(indexPath, change);
      }
    }
    this.schedule();
  }

  private async flushBatch(): Promise<void> {
    if (this.queue.size === 0 || this.disabled) return;
    const batch = [...this.queue.values()];
    this.queue = new Map();
    const problems = await this.options.indexer.apply(batch);
    for (const problem of problems) this.problem(`results index: skipped ${problem}`);
  }

  private disable(error: unknown): void {
    if (this.disabled) return;
    this.disabled = true;
    this.queue.clear();
    this.clearTimer();
    this.problem(
      `results index not updated for the rest of this session: ${(error as Error).message}; ` +
        'the results themselves are fine: rebuild the index with `inet-swarm index`',
    );
  }

  private problem(message: string): void {
    try {
      this.options.onProblem(message);
    } catch {
      // A reporter that throws must not take the campaign down with it.
    }
  }
}

/** The index path a change is about. */
function pathOfChange(change: IndexChange): string {
  return change.kind === 'drop' ? change.indexPath : change.source.indexPath;
}

/**
 * The campaign's manifest, feeding the results index from a worker thread (the campaign's own thread
 * only posts file names); problems become `notice` events.
 */
export function indexingManifest(
  inner: ManifestStore,
  target: ResultIndexTarget,
  observer: CampaignObserver,
): IndexingManifestStore {
  return new IndexingManifestStore(inner, {
    ...target,
    indexer: new WorkerResultIndexer(target.resultDir),
    onProblem: (message) => observer.notify({ type: 'notice', message }),
  });
}
