/**
 * One contract for every ResultIndexer: in this thread, and in a worker thread. The worker runs the
 * compiled script (dist/, built by `npm run build`), as it does under the CLI.
 */
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RESULT_INDEX_FILE } from '../../lib/results/result-index.js';
import {
  InThreadResultIndexer,
  type IndexChange,
  type ResultIndexer,
} from '../../lib/results/result-indexer.js';
import { WorkerResultIndexer } from '../../lib/results/worker-result-indexer.js';

const workerScript = new URL('../../dist/lib/results/result-indexer-worker.js', import.meta.url);

const adapters: [string, (resultDir: string) => ResultIndexer][] = [
  ['InThreadResultIndexer', (dir) => new InThreadResultIndexer(dir)],
  ['WorkerResultIndexer', (dir) => new WorkerResultIndexer(dir, workerScript)],
];

function resultDir(): string {
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'result-indexer-')), 'results');
  mkdirSync(dir);
  return dir;
}

/** Writes `results/<name>` and returns the change that indexes it. */
function scaFile(dir: string, name: string, text: string): IndexChange {
  writeFileSync(path.join(dir, name), text);
  return {
    kind: 'index',
    source: {
      absolutePath: path.join(dir, name),
      indexPath: name,
      displayName: `results/${name}`,
      sha256: null,
    },
  };
}

const sca = (run: string) => `version 3\nrun ${run}\nitervar x 1\n\nscalar Net.q x:last 1\n`;

describe.each(adapters)('ResultIndexer contract: %s', (_name, create) => {
  it('indexes files, drops them, and reports the ones it cannot read with file and line', async () => {
    const dir = resultDir();
    const indexer = create(dir);
    const problems = await indexer.apply([
      scaFile(dir, 'a.sca', sca('A-0')),
      scaFile(dir, 'b.sca', 'version 3\nrun B-0\nfield count 1\n'),
      scaFile(dir, 'c.sca', sca('C-0')),
      {
        kind: 'index',
        source: {
          absolutePath: path.join(dir, 'gone.sca'),
          indexPath: 'gone.sca',
          displayName: 'results/gone.sca',
          sha256: null,
        },
      },
    ]);
    expect(problems).toEqual(["results/b.sca:3: stray 'field' line, must be under a 'statistic'"]);
    expect([...(await indexer.indexedFiles()).keys()].sort()).toEqual(['a.sca', 'c.sca']);
    expect((await indexer.indexedFiles()).get('a.sca')?.size).toBe(sca('A-0').length);

    expect(await indexer.apply([{ kind: 'drop', indexPath: 'a.sca' }])).toEqual([]);
    expect([...(await indexer.indexedFiles()).keys()]).toEqual(['c.sca']);
    await indexer.close();
    expect(readdirSync(dir).filter((name) => name.startsWith(RESULT_INDEX_FILE))).toEqual([
      RESULT_INDEX_FILE,
    ]);
  });

  it('applies calls in the order they were made', async () => {
    const dir = resultDir();
    const indexer = create(dir);
    const first = indexer.apply([scaFile(dir, 'a.sca', sca('A-0'))]);
    const second = indexer.apply([{ kind: 'drop', indexPath: 'a.sca' }, scaFile(dir, 'b.sca', sca('B-0'))]);
    await Promise.all([first, second]);
    expect([...(await indexer.indexedFiles()).keys()]).toEqual(['b.sca']);
    await indexer.close();
  });

  it('fails with ResultIndexError when the index cannot be opened; closes cleanly after', async () => {
    const dir = resultDir();
    mkdirSync(path.join(dir, RESULT_INDEX_FILE)); // a directory where the file would be
    const indexer = create(dir);
    await expect(indexer.apply([scaFile(dir, 'a.sca', sca('A-0'))])).rejects.toMatchObject({
      name: 'ResultIndexError',
      message: expect.stringMatching(/^cannot open the results index /) as unknown,
    });
    await indexer.close();
  });

  it('creates nothing when nothing is asked of it', async () => {
    const dir = resultDir();
    await create(dir).close();
    expect(readdirSync(dir)).toEqual([]);
  });
});
