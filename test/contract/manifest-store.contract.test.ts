/** One contract for every ManifestStore: the in-memory fake and the JSONL file must behave alike. */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../lib/core/campaign.js';
import { JsonlManifestStore } from '../../lib/adapters/local/jsonl-manifest-store.js';
import type { ManifestStore } from '../../lib/ports/manifest-store.js';
import { InMemoryManifestStore } from '../fakes/in-memory-stores.js';

function record(runNumber: number, status: RunRecord['status'], attempt = 1): RunRecord {
  return {
    v: 1,
    runNumber,
    configName: 'C',
    description: `$x=${runNumber}, $repetition=0`,
    status,
    attempt,
    failure: status === 'ok' ? null : { kind: 'signal', message: 'killed by SIGKILL' },
    exitCode: status === 'ok' ? 0 : null,
    signal: status === 'ok' ? null : 'SIGKILL',
    startedAt: '2026-11-24T00:00:00.000Z',
    endedAt: '2026-11-24T00:00:01.000Z',
    durationMs: 1000,
    events: 10,
    simTime: '5',
    termination: '<!> Simulation time limit reached -- at t=5s, event #10',
    peakRssKb: null,
    host: 'h',
    argv: ['./sim', '-r', String(runNumber)],
    batchSize: 1,
    sessionId: 's',
    fingerprint: 'f',
    files: [{ path: `results/C-x=${runNumber}-#0.sca`, size: 3, mtimeMs: 1, sha256: 'a'.repeat(64) }],
  };
}

const adapters: [string, () => ManifestStore][] = [
  ['InMemoryManifestStore', () => new InMemoryManifestStore()],
  [
    'JsonlManifestStore',
    () => new JsonlManifestStore(path.join(mkdtempSync(path.join(os.tmpdir(), 'manifest-')), 'm.jsonl')),
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
