import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ResultFileInfo } from '../../core/campaign.js';
import { RESULT_EXTENSIONS } from '../../core/result-names.js';
import type { FileCheck, ResultFileStore } from '../../ports/result-file-store.js';
import { sha256File } from './sha256-file.js';

/** The kernel stamps mtimes from a coarse clock that can lag the process clock by a tick. */
const MTIME_TOLERANCE_MS = 20;

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
