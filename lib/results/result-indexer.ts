/**
 * What keeps a result directory's index current while a campaign runs: batches of changes to `.sca`
 * files (index this one, drop that one), applied in this thread (InThreadResultIndexer) or in a worker
 * thread (WorkerResultIndexer, ./worker-result-indexer.ts). Campaigns use the worker: with runs of a
 * few milliseconds the CLI's own thread is what limits throughput, and reading, parsing and writing
 * results there made 5,000 runs of the demo's Huge config (3 ms each, 2 vCPUs) about 20% slower; from
 * the worker, 6-10% (the CPU the indexing itself takes; a worker that does nothing costs 2%).
 */
import { ResultIndex, type FileRuns } from './result-index.js';
import { readScaSource, readScaSourceSync, type ScaReadOutcome, type ScaSource } from './sca-import.js';

/** One change the index is to make. */
export type IndexChange =
  /** Read the file and put its runs in place of what it gave before. */
  | { readonly kind: 'index'; readonly source: ScaSource }
  /** Forget the file and its runs (gone, partial, or of a run that did not end ok). */
  | { readonly kind: 'drop'; readonly indexPath: string };

export type IndexedFiles = Map<string, { readonly size: number; readonly mtimeMs: number }>;

/** Keeps one result directory's index current. Calls are applied in order. */
export interface ResultIndexer {
  /**
   * Applies one batch of changes.
   * @returns the problems met: files that could not be read or parsed (they are dropped), one line each
   * @throws ResultIndexError when the index cannot be opened or written
   */
  apply(changes: readonly IndexChange[]): Promise<string[]>;
  /** Every indexed file with its size and mtime when indexed (index path -> ...). */
  indexedFiles(): Promise<IndexedFiles>;
  /** Closes the index, if it was opened. */
  close(): Promise<void>;
}

/** In the calling thread; the index is opened at the first call. */
export class InThreadResultIndexer implements ResultIndexer {
  private index: ResultIndex | null = null;

  /** @param reads `sync` in a thread that has nothing else to do (see readScaSourceSync) */
  constructor(
    private readonly resultDir: string,
    private readonly reads: 'async' | 'sync' = 'async',
  ) {}

  /** The calls in flight, chained: a call applies after the one before it (its reads are async). */
  private applied: Promise<unknown> = Promise.resolve();

  apply(changes: readonly IndexChange[]): Promise<string[]> {
    const result = this.applied.then(() => this.applyNow(changes));
    this.applied = result.catch(() => undefined);
    return result;
  }

  private async applyNow(changes: readonly IndexChange[]): Promise<string[]> {
    const index = this.open();
    const problems: string[] = [];
    const drops: string[] = [];
    /** A file read, or null when it is to be dropped (and why, if it is damaged). */
    const take = (source: ScaSource, outcome: ScaReadOutcome): FileRuns | null => {
      if (outcome.kind === 'read') return outcome.fileRuns;
      // Whatever the index held of this file is no longer what is on disk.
      drops.push(source.indexPath);
      if (outcome.kind === 'invalid') problems.push(outcome.problem);
      return null;
    };
    const sources: ScaSource[] = [];
    for (const change of changes) {
      if (change.kind === 'drop') drops.push(change.indexPath);
      else sources.push(change.source);
    }
    // Sync: each file read as it is written, so one file's runs are in memory at a time. Async: read
    // together, letting the thread's other work run while they are.
    const files: Iterable<FileRuns | null> =
      this.reads === 'sync'
        ? (function* () {
            for (const source of sources) yield take(source, readScaSourceSync(source));
          })()
        : await Promise.all(sources.map(async (source) => take(source, await readScaSource(source))));
    await index.replaceFilesGradually(nonNull(files));
    if (drops.length > 0) index.removeFiles(drops);
    return problems;
  }

  async indexedFiles(): Promise<IndexedFiles> {
    await this.applied;
    return this.open().indexedFiles();
  }

  async close(): Promise<void> {
    await this.applied;
    this.index?.close();
    this.index = null;
  }

  private open(): ResultIndex {
    this.index ??= ResultIndex.open(this.resultDir);
    return this.index;
  }
}

function* nonNull<T>(items: Iterable<T | null>): Generator<T> {
  for (const item of items) if (item !== null) yield item;
}
