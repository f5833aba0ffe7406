/** One contract for every BlobStore: a directory (the per-node cache) and GridFS on a real FerretDB. */
import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DirectoryBlobStore } from '../../lib/adapters/local/directory-blob-store.js';
import { GridFsBlobStore } from '../../lib/adapters/mongo/grid-fs-blob-store.js';
import type { BlobStore } from '../../lib/ports/blob-store.js';
import { useFerretDb } from '../support/ferretdb-server.js';

const mongoClient = useFerretDb();
let databases = 0;

const adapters: [string, () => BlobStore][] = [
  ['DirectoryBlobStore', () => new DirectoryBlobStore(mkdtempSync(path.join(os.tmpdir(), 'blobs-')))],
  ['GridFsBlobStore', () => new GridFsBlobStore(mongoClient().db(`blobs${databases++}`))],
  // Everything through GridFS chunks rather than inline documents.
  [
    'GridFsBlobStore (GridFS only)',
    () => new GridFsBlobStore(mongoClient().db(`blobs${databases++}`), 'blobs', 0),
  ],
];

function file(content: string | Buffer): string {
  const f = path.join(mkdtempSync(path.join(os.tmpdir(), 'blob-src-')), 'data');
  writeFileSync(f, content);
  return f;
}

describe.each(adapters)('BlobStore contract: %s', (_name, create) => {
  it('stores a blob and gives it back byte for byte, with its checksum', async () => {
    const store = create();
    const content = Buffer.alloc(3 * 1024 * 1024 + 17, 7); // several GridFS chunks
    const stored = await store.putFile('source-abc123', file(content));
    expect(stored).toMatchObject({ key: 'source-abc123', size: content.length });
    expect(stored.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(await store.stat('source-abc123')).toEqual(stored);
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'blob-out-')), 'copy');
    expect(await store.getFile('source-abc123', out)).toEqual(stored);
    expect(readFileSync(out).equals(content)).toBe(true);
  });

  it('keeps the first copy when the same key is stored again', async () => {
    const store = create();
    const first = await store.putFile('k', file('first'));
    expect(await store.putFile('k', file('second'))).toEqual(first);
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'blob-out-')), 'copy');
    await store.getFile('k', out);
    expect(readFileSync(out, 'utf8')).toBe('first');
  });

  it('says so when a blob is missing, and writes nothing', async () => {
    const store = create();
    expect(await store.stat('nope')).toBeNull();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'blob-out-'));
    await expect(store.getFile('nope', path.join(dir, 'copy'))).rejects.toThrow(/no blob nope/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('DirectoryBlobStore as a node cache', () => {
  it('detects a damaged entry, drops it and writes nothing', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'blobs-'));
    const store = new DirectoryBlobStore(dir);
    await store.putFile('artifact-1', file('good content'));
    writeFileSync(path.join(dir, 'ar', 'artifact-1.blob'), 'bad content!');
    const outDir = mkdtempSync(path.join(os.tmpdir(), 'blob-out-'));
    await expect(store.getFile('artifact-1', path.join(outDir, 'copy'))).rejects.toThrow(
      /does not match its checksum/,
    );
    expect(readdirSync(outDir)).toEqual([]);
    expect(await store.stat('artifact-1')).toBeNull();
    expect(existsSync(path.join(dir, 'ar', 'artifact-1.json'))).toBe(false);
  });

  it('stays consistent when several tasks store the same blob at once', async () => {
    const store = new DirectoryBlobStore(mkdtempSync(path.join(os.tmpdir(), 'blobs-')));
    const source = file(Buffer.alloc(1 << 20, 3));
    const results = await Promise.all([1, 2, 3, 4, 5, 6].map(() => store.putFile('shared', source)));
    expect(new Set(results.map((r) => r.sha256)).size).toBe(1);
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'blob-out-')), 'copy');
    await store.getFile('shared', out);
    expect(readFileSync(out).length).toBe(1 << 20);
  });

  it('refuses keys that could name a path', async () => {
    const store = new DirectoryBlobStore(mkdtempSync(path.join(os.tmpdir(), 'blobs-')));
    await expect(store.putFile('../escape', file('x'))).rejects.toThrow(/invalid blob key/);
  });
});
