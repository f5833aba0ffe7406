/** One contract for every ManifestStore: the in-memory fake and the JSONL file must behave alike. */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../lib/core/campaign.js';
import { IndexingManifestStore } from '../../lib/adapters/local/indexing-manifest-store.js';
import { JsonlManifestStore } from '../../lib/adapters/local/jsonl-manifest-store.js';
import { InThreadResultIndexer } from '../../lib/results/result-indexer.js';
import type { ManifestStore } from '../../lib/ports/manifest-store.js';
import { InMemoryManifestStore } from '../fakes/in-memory-stores.js';
import { runRecord } from '../support/run-record.js';

const record = (runNumber: number, status: RunRecord['status'], attempt = 1) =>
  runRecord(runNumber, { status, attempt });

const adapters: [string, () => ManifestStore][] = [
  ['InMemoryManifestStore', () => new InMemoryManifestStore()],
  [
    'JsonlManifestStore',
    () => new JsonlManifestStore(path.join(mkdtempSync(path.join(os.tmpdir(), 'manifest-')), 'm.jsonl')),
  ],
  [
    // A decorator: whatever it adds (the results index), it must still be a manifest.
    'IndexingManifestStore',
    () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'manifest-'));
      return new IndexingManifestStore(new JsonlManifestStore(path.join(dir, 'm.jsonl')), {
        resultDir: dir,
        workingDir: dir,
        indexer: new InThreadResultIndexer(dir),
        onProblem: () => undefined,
      });
    },
  ],
];

describe.each(adapters)('ManifestStore contract: %s', (_name, create) => {
  it('starts empty', async () => {
    expect(await create().latestRecords()).toEqual([]);
  });

  it('returns the newest record of each run, with what resume needs', async () => {
    const store = create();
    await store.append(record(0, 'lost', 1));
    await store.append(record(1, 'ok'));
    await store.append(record(0, 'ok', 2));
    const latest = await store.latestRecords();
    expect(latest.map((r) => [r.runNumber, r.status])).toEqual(
      expect.arrayContaining([
        [0, 'ok'],
        [1, 'ok'],
      ]),
    );
    expect(latest).toHaveLength(2);
    expect(latest.find((r) => r.runNumber === 1)).toMatchObject({
      configName: 'C',
      description: '$x=1, $repetition=0',
      fingerprint: 'f',
      files: record(1, 'ok').files,
    });
    await store.close();
  });

  it('keeps appends made concurrently', async () => {
    const store = create();
    await Promise.all([...Array(50).keys()].map((n) => store.append(record(n, 'ok'))));
    expect(await store.latestRecords()).toHaveLength(50);
    await store.close();
  });
});
