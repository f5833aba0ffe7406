import { createHash } from 'node:crypto';
import { open, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ResultFileInfo } from '../../core/campaign.js';
import { RESULT_EXTENSIONS } from '../../core/result-names.js';
import type { FileCheck, ResultFileStore } from '../../ports/result-file-store.js';

/** The kernel stamps mtimes from a coarse clock that can lag the process clock by a tick. */
const MTIME_TOLERANCE_MS = 20;

/**
 * Read buffers for hashing, reused: a campaign hashes every result file it produces, and a fresh
 * 64 KiB stream buffer per file made garbage faster than V8 returned it (hundreds of MB of RSS on a
 * 20,000-run campaign of small runs).
 */
const HASH_BUFFER_SIZE = 256 << 10;
const idleBuffers: Buffer[] = [];

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  const buffer = idleBuffers.pop() ?? Buffer.allocUnsafe(HASH_BUFFER_SIZE);
  const handle = await open(file, 'r');
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
    idleBuffers.push(buffer);
  }
  return hash.digest('hex');
}

async function statOrNull(file: string) {
  try {
    return await stat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Result files in a directory on this machine, recorded relative to the campaign's working directory. */
export class FileResultStore implements ResultFileStore {
  constructor(
    private readonly resultDir: string,
    private readonly workingDir: string,
  ) {}

  async collect(stem: string, notBefore: Date): Promise<ResultFileInfo[]> {
    const files: ResultFileInfo[] = [];
    for (const extension of RESULT_EXTENSIONS) {
      const file = path.join(this.resultDir, `${stem}.${extension}`);
      const info = await statOrNull(file);
      if (info === null || !info.isFile() || info.mtimeMs < notBefore.getTime() - MTIME_TOLERANCE_MS)
        continue;
      files.push({
        path: path.relative(this.workingDir, file),
        size: info.size,
        mtimeMs: info.mtimeMs,
        sha256: await sha256File(file),
      });
    }
    return files;
  }

  async readOutput(stem: string, notBefore: Date): Promise<string | null> {
    const file = path.join(this.resultDir, `${stem}.out`);
    const info = await statOrNull(file);
    if (info === null || info.mtimeMs < notBefore.getTime() - MTIME_TOLERANCE_MS) return null;
    return readFile(file, 'utf8');
  }

  async verify(recorded: ResultFileInfo): Promise<FileCheck> {
    const file = path.resolve(this.workingDir, recorded.path);
    const info = await statOrNull(file);
    if (info === null) return 'missing';
    if (info.size !== recorded.size) return 'changed';
    // Same size and timestamp: unchanged unless someone went out of their way; skip the hash.
    if (info.mtimeMs === recorded.mtimeMs) return 'intact';
    return (await sha256File(file)) === recorded.sha256 ? 'intact' : 'changed';
  }
}
