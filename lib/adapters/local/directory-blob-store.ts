/**
 * Blobs as files in a directory: the per-node artifact cache of the swarm runners, and the local
 * backend's store. Safe under concurrent tasks on the same node: every write goes to a unique temporary
 * file and is renamed into place, so readers never see a half-written blob.
 */
import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BlobCorruptError, BlobNotFoundError } from '../../core/errors.js';
import { checkStoreKey } from '../../core/store-keys.js';
import type { BlobInfo, BlobStore } from '../../ports/blob-store.js';
import { sha256File } from './sha256-file.js';

export class DirectoryBlobStore implements BlobStore {
  constructor(private readonly dir: string) {}

  private paths(key: string) {
    checkStoreKey(key, 'blob');
    const base = path.join(this.dir, key.slice(0, 2), key);
    return { blob: `${base}.blob`, info: `${base}.json` };
  }

  async stat(key: string): Promise<BlobInfo | null> {
    try {
      return JSON.parse(await readFile(this.paths(key).info, 'utf8')) as BlobInfo;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async putFile(key: string, file: string): Promise<BlobInfo> {
    const existing = await this.stat(key);
    if (existing !== null) return existing;
    const { blob, info } = this.paths(key);
    await mkdir(path.dirname(blob), { recursive: true });
    const stored: BlobInfo = { key, size: (await stat(file)).size, sha256: await sha256File(file) };
    const temporary = `${blob}.${randomUUID()}.tmp`;
    await copyFile(file, temporary);
    await rename(temporary, blob);
    // The info file is written last: its presence means the blob is complete.
    await this.commitInfo(info, stored);
    return stored;
  }

  async getFile(key: string, file: string): Promise<BlobInfo> {
    const stored = await this.stat(key);
    if (stored === null) throw new BlobNotFoundError(`no blob ${key} in ${this.dir}`);
    const temporary = `${file}.${randomUUID()}.tmp`;
    await copyFile(this.paths(key).blob, temporary);
    if ((await sha256File(temporary)) !== stored.sha256) {
      await rm(temporary, { force: true });
      // A damaged cache entry is dropped so that the next fetch repopulates it.
      await rm(this.paths(key).info, { force: true });
      throw new BlobCorruptError(
        `blob ${key} in ${this.dir} does not match its checksum; removed from the cache`,
      );
    }
    await rename(temporary, file);
    return stored;
  }

  private async commitInfo(info: string, stored: BlobInfo): Promise<void> {
    const temporary = `${info}.${randomUUID()}.tmp`;
    await writeFile(temporary, JSON.stringify(stored));
    await rename(temporary, info);
  }
}
