/**
 * Reading `.sca` files for the results index, shared by the streaming indexer (as runs finish) and
 * `inet-swarm index` (a whole directory): asynchronously, since the campaign's scheduler shares the
 * thread, and without ever throwing for a file that is gone or damaged.
 */
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileRuns } from './result-index.js';
import { parseSca, ScaFormatError } from './sca-file.js';

/** A `.sca` file to index: where it is, and what the index and messages call it. */
export interface ScaSource {
  readonly absolutePath: string;
  /** Relative to the result directory, with `/` separators. */
  readonly indexPath: string;
  /** How messages name it (relative to the working directory, or as the user typed it). */
  readonly displayName: string;
  readonly sha256: string | null;
}

export type ScaReadOutcome =
  | { readonly kind: 'read'; readonly fileRuns: FileRuns }
  /** Gone since it was listed or recorded. */
  | { readonly kind: 'missing' }
  /** Not a scalar file we can read: the reason, naming the file (and line). */
  | { readonly kind: 'invalid'; readonly problem: string };

/**
 * Reads and parses one file; its size and mtime are taken from the same open file as its text.
 * Asynchronous, for a thread that has other work (a campaign's scheduler).
 */
export async function readScaSource(source: ScaSource): Promise<ScaReadOutcome> {
  try {
    const handle = await open(source.absolutePath, 'r');
    try {
      const { size, mtimeMs } = await handle.stat();
      return parsed(source, await handle.readFile('utf8'), size, mtimeMs);
    } finally {
      await handle.close();
    }
  } catch (error) {
    return unreadable(source, error);
  }
}

/**
 * readScaSource for a thread with nothing else to do (the index worker): it keeps off libuv's thread
 * pool, which every thread of the process shares with the campaign's own file operations.
 */
export function readScaSourceSync(source: ScaSource): ScaReadOutcome {
  try {
    const fd = openSync(source.absolutePath, 'r');
    try {
      const { size, mtimeMs } = fstatSync(fd);
      return parsed(source, readFileSync(fd, 'utf8'), size, mtimeMs);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    return unreadable(source, error);
  }
}

function parsed(source: ScaSource, text: string, size: number, mtimeMs: number): ScaReadOutcome {
  try {
    const runs = parseSca(text, source.displayName);
    return {
      kind: 'read',
      fileRuns: { file: { path: source.indexPath, size, mtimeMs, sha256: source.sha256 }, runs },
    };
  } catch (error) {
    if (error instanceof ScaFormatError) return { kind: 'invalid', problem: error.message };
    throw error;
  }
}

function unreadable(source: ScaSource, error: unknown): ScaReadOutcome {
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
  return { kind: 'invalid', problem: `${source.displayName}: ${(error as Error).message}` };
}
