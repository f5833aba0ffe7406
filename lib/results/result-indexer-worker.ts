/**
 * The worker thread of WorkerResultIndexer: an InThreadResultIndexer serving requests in order.
 * Protocol (./worker-result-indexer.ts): `{ id, op, changes? }` in, `{ id, ok, value | error }` out.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { InThreadResultIndexer } from './result-indexer.js';
import type { IndexerReply, IndexerRequest } from './worker-result-indexer.js';

const port = parentPort;
if (port === null) throw new Error('result-indexer-worker runs as a worker thread');
const indexer = new InThreadResultIndexer((workerData as { resultDir: string }).resultDir, 'sync');

// One request at a time, in arrival order, as ResultIndexer promises.
let queue: Promise<void> = Promise.resolve();
port.on('message', (request: IndexerRequest) => {
  queue = queue.then(async () => {
    let reply: IndexerReply;
    try {
      const value =
        request.op === 'apply'
          ? await indexer.apply(request.changes)
          : request.op === 'indexedFiles'
            ? await indexer.indexedFiles()
            : await indexer.close();
      reply = { id: request.id, ok: true, value };
    } catch (error) {
      const { name, message } = error instanceof Error ? error : new Error(String(error));
      reply = { id: request.id, ok: false, error: { name, message } };
    }
    port.postMessage(reply);
  });
});
