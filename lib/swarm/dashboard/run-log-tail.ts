/**
 * The end of a run's Cmdenv output (its `.out` result file), where the `<!>` error or termination
 * message and the last events are. Only the tail is kept in memory: an `.out` file can be gigabytes.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { BlobNotFoundError } from '../../core/errors.js';
import type { BlobStore } from '../../ports/blob-store.js';
import type { SwarmRunRecord } from '../../ports/campaign-store.js';

export interface RunLogTail {
  /** The file's name in the result directory. */
  readonly name: string;
  readonly lines: readonly string[];
}

/**
 * The last `maxLines` lines of the record's `.out` file, or null when the record has none (or its
 * blob is gone). The blob store hands out whole files only, so it is copied into `scratchDir` first.
 */
export async function runLogTail(
  blobs: BlobStore,
  entry: SwarmRunRecord,
  maxLines: number,
  scratchDir: string,
): Promise<RunLogTail | null> {
  const out = entry.results.find((result) => result.name.endsWith('.out'));
  if (out === undefined) return null;
  const dir = await mkdtemp(path.join(scratchDir, 'dashboard-log-'));
  try {
    const file = path.join(dir, 'run.out');
    try {
      await blobs.getFile(out.blobKey, file);
    } catch (error) {
      if (error instanceof BlobNotFoundError) return null;
      throw error;
    }
    const lines: string[] = [];
    for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
      lines.push(line);
      if (lines.length > maxLines) lines.shift();
    }
    return { name: out.name, lines };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
