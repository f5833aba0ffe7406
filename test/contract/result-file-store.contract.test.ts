/** One contract for every ResultFileStore: the in-memory fake and the local directory. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileResultStore } from '../../lib/adapters/local/file-result-store.js';
import type { ResultFileStore } from '../../lib/ports/result-file-store.js';
import { InMemoryResultFileStore } from '../fakes/in-memory-stores.js';

interface Fixture {
  readonly store: ResultFileStore;
  /** Writes `results/<name>` now. */
  readonly write: (name: string, content: string) => void;
}

const adapters: [string, () => Fixture][] = [
  [
    'InMemoryResultFileStore',
    () => {
      const store = new InMemoryResultFileStore();
      return {
        store,
        write: (name, content) => store.write(`results/${name}`, content),
      };
    },
  ],
  [
    'FileResultStore',
    () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'results-'));
      mkdirSync(path.join(dir, 'results'));
      return {
        store: new FileResultStore(path.join(dir, 'results'), dir),
        write: (name, content) => writeFileSync(path.join(dir, 'results', name), content),
      };
    },
  ],
];

describe.each(adapters)('ResultFileStore contract: %s', (_name, create) => {
  it('collects the files of a stem written since the run started, with checksums', async () => {
    const { store, write } = create();
    const started = new Date(Date.now() - 1000);
    write('S-x=1-#0.sca', 'version 3\n');
    write('S-x=1-#0.out', '<!> done\n');
    write('S-x=2-#0.sca', 'other run\n');
    const files = await store.collect('S-x=1-#0', started);
    expect(files.map((f) => f.path).sort()).toEqual(['results/S-x=1-#0.out', 'results/S-x=1-#0.sca']);
    expect(files.every((f) => /^[0-9a-f]{64}$/.test(f.sha256) && f.size > 0)).toBe(true);
  });

  it('ignores leftovers older than the run', async () => {
    const { store, write } = create();
    write('S-x=1-#0.out', 'old\n');
    expect(await store.readOutput('S-x=1-#0', new Date(Date.now() + 60_000))).toBeNull();
    expect(await store.collect('S-x=1-#0', new Date(Date.now() + 60_000))).toEqual([]);
  });

  it('reads the run output', async () => {
    const { store, write } = create();
    write('S-x=1-#0.out', '<!> Error: boom\n');
    expect(await store.readOutput('S-x=1-#0', new Date(Date.now() - 1000))).toBe('<!> Error: boom\n');
  });

  it('verifies recorded files: intact, changed, missing', async () => {
    const { store, write } = create();
    write('S-x=1-#0.sca', 'scalar a 1\n');
    write('S-x=1-#0.vec', 'vector\n');
    const [sca, vec] = (await store.collect('S-x=1-#0', new Date(Date.now() - 1000))).sort((a, b) =>
      a.path.localeCompare(b.path),
    );
    expect(await store.verify(sca!)).toBe('intact');
    write('S-x=1-#0.sca', 'scalar a 2\n');
    expect(await store.verify(sca!)).toBe('changed');
    expect(await store.verify({ ...vec!, path: 'results/S-x=9-#0.vec' })).toBe('missing');
  });
});
