/**
 * A node's cache of unpacked build artifacts, shared by every runner task on the node: the first task
 * that needs an artifact downloads (checksum-verified) and unpacks it; tasks that need it at the same
 * time each unpack into a private directory and the first atomic rename wins, so no task ever sees a
 * half-unpacked tree and no lock is needed.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { extractSafely, type ExtractLimits } from '../adapters/local/safe-extract.js';
import type { BlobStore } from '../ports/blob-store.js';
import { checkStoreKey } from '../core/store-keys.js';

export interface ArtifactCacheOptions {
  /** Where unpacked artifacts live, one directory per artifact key. */
  readonly dir: string;
  readonly limits: ExtractLimits;
}

export interface ArtifactFetch {
  /** The unpacked artifact's directory. */
  readonly dir: string;
  /** Whether this call downloaded it (false: it was already on the node). */
  readonly downloaded: boolean;
}

async function isDirectory(dir: string): Promise<boolean> {
  return (await stat(dir).catch(() => null))?.isDirectory() ?? false;
}

export class ArtifactCache {
  constructor(
    private readonly store: BlobStore,
    private readonly options: ArtifactCacheOptions,
  ) {}

  /** Returns the directory of the unpacked artifact `key`, fetching it if this node lacks it. */
  async ensure(key: string): Promise<ArtifactFetch> {
    checkStoreKey(key, 'artifact');
    const final = path.join(this.options.dir, key);
    if (await isDirectory(final)) return { dir: final, downloaded: false };

    const work = path.join(this.options.dir, `.incoming-${key}-${randomUUID()}`);
    await mkdir(work, { recursive: true });
    try {
      const archive = path.join(work, 'artifact.tar.gz');
      await this.store.getFile(key, archive); // verifies the checksum
      await extractSafely(archive, path.join(work, 'tree'), this.options.limits);
      try {
        await rename(path.join(work, 'tree'), final);
        return { dir: final, downloaded: true };
      } catch (error) {
        // Another task on this node finished first: use its copy.
        const code = (error as NodeJS.ErrnoException).code;
        if ((code === 'ENOTEMPTY' || code === 'EEXIST') && (await isDirectory(final))) {
          return { dir: final, downloaded: false };
        }
        throw error;
      }
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
}
