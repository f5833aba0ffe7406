import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { create } from 'tar';
import { describe, expect, it } from 'vitest';
import { DirectoryBlobStore } from '../../../lib/adapters/local/directory-blob-store.js';
import { ArtifactCache } from '../../../lib/swarm/artifact-cache.js';

const tmp = (label: string) => mkdtempSync(path.join(os.tmpdir(), `artifact-${label}-`));
const limits = { maxBytes: 1 << 24, maxEntries: 1000 };

/** A blob store holding one artifact: a tarball with `bin/sim` and `omnetpp.ini`. */
async function storeWithArtifact(key: string): Promise<DirectoryBlobStore> {
  const tree = tmp('tree');
  mkdirSync(path.join(tree, 'bin'));
  writeFileSync(path.join(tree, 'bin', 'sim'), '#!/bin/sh\n', { mode: 0o755 });
  writeFileSync(path.join(tree, 'omnetpp.ini'), '[General]\n');
  const archive = path.join(tmp('archive'), 'a.tar.gz');
  await create({ file: archive, cwd: tree, gzip: true, portable: true }, ['bin', 'omnetpp.ini']);
  const store = new DirectoryBlobStore(tmp('store'));
  await store.putFile(key, archive);
  return store;
}

describe('the node artifact cache', () => {
  it('downloads and unpacks an artifact once, then serves it from the node', async () => {
    const cache = new ArtifactCache(await storeWithArtifact('build-1'), { dir: tmp('cache'), limits });
    const first = await cache.ensure('build-1');
    expect(first.downloaded).toBe(true);
    expect(readFileSync(path.join(first.dir, 'omnetpp.ini'), 'utf8')).toBe('[General]\n');
    expect(await cache.ensure('build-1')).toEqual({ dir: first.dir, downloaded: false });
  });

  it('gives concurrent tasks one complete copy and leaves no scratch behind', async () => {
    const dir = tmp('cache');
    const cache = new ArtifactCache(await storeWithArtifact('build-2'), { dir, limits });
    const results = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map(() => cache.ensure('build-2')));
    expect(new Set(results.map((r) => r.dir)).size).toBe(1);
    expect(results.filter((r) => r.downloaded).length).toBeGreaterThanOrEqual(1);
    expect(readdirSync(dir)).toEqual(['build-2']);
    expect(readdirSync(path.join(dir, 'build-2')).sort()).toEqual(['bin', 'omnetpp.ini']);
  });

  it('fails clearly for an artifact that does not exist, caching nothing', async () => {
    const dir = tmp('cache');
    const cache = new ArtifactCache(await storeWithArtifact('build-3'), { dir, limits });
    await expect(cache.ensure('build-404')).rejects.toThrow(/no blob build-404/);
    expect(readdirSync(dir)).toEqual([]);
  });
});
