/**
 * A ResultIndexer whose reading, parsing and SQLite writing happen in a worker thread
 * (./result-indexer-worker.ts), so that the campaign's own thread only posts file names. The worker
 * starts with the first request (a session that indexes nothing never starts one) and holds the
 * process open only while a request is outstanding.
 */
import { Worker } from 'node:worker_threads';
import { ResultIndexError } from './result-index.js';
import type { IndexChange, IndexedFiles, ResultIndexer } from './result-indexer.js';

type RequestBody =
  | { readonly op: 'apply'; readonly changes: readonly IndexChange[] }
  | { readonly op: 'indexedFiles' | 'close' };

export type IndexerRequest = RequestBody & { readonly id: number };

export type IndexerReply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | {
      readonly id: number;
      readonly ok: false;
      readonly error: { readonly name: string; readonly message: string };
    };

/** The compiled worker beside this module (dist/lib/results/). */
const WORKER_SCRIPT = new URL('./result-indexer-worker.js', import.meta.url);

export class WorkerResultIndexer implements ResultIndexer {
  private worker: Worker | null = null;
  /** Set once the worker died: every later call fails with it. */
  private failure: Error | null = null;
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (e: Error) => void }
  >();

  constructor(
    private readonly resultDir: string,
    private readonly script: URL = WORKER_SCRIPT,
  ) {}

  apply(changes: readonly IndexChange[]): Promise<string[]> {
    return this.request({ op: 'apply', changes }) as Promise<string[]>;
  }

  indexedFiles(): Promise<IndexedFiles> {
    return this.request({ op: 'indexedFiles' }) as Promise<IndexedFiles>;
  }

  async close(): Promise<void> {
    const worker = this.worker;
    if (worker === null) return;
    try {
      if (this.failure === null) await this.request({ op: 'close' });
    } finally {
      this.worker = null;
      await worker.terminate();
    }
  }

  private request(body: RequestBody): Promise<unknown> {
    if (this.failure !== null) return Promise.reject(this.failure);
    const worker = this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ ...body, id } satisfies IndexerRequest);
    });
  }

  private start(): Worker {
    if (this.worker !== null) return this.worker;
    const worker = new Worker(this.script, { workerData: { resultDir: this.resultDir } });
    worker.unref();
    worker.on('message', (reply: IndexerReply) => this.settle(reply));
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => {
      if (this.worker === worker)
        this.fail(new Error(`the results index worker stopped (exit code ${code})`));
    });
    this.worker = worker;
    return worker;
  }

  private settle(reply: IndexerReply): void {
    const waiting = this.pending.get(reply.id);
    if (waiting === undefined) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker?.unref(); // idle: the campaign decides when the process ends
    if (reply.ok) waiting.resolve(reply.value);
    else
      waiting.reject(
        reply.error.name === 'ResultIndexError'
          ? new ResultIndexError(reply.error.message)
          : Object.assign(new Error(reply.error.message), { name: reply.error.name }),
      );
  }

  private fail(error: Error): void {
    this.failure ??= new ResultIndexError(`the results index worker failed: ${error.message}`, {
      cause: error,
    });
    for (const waiting of this.pending.values()) waiting.reject(this.failure);
    this.pending.clear();
  }
}
