/**
 * Brings a result directory's index up to date with the `.sca` files in it (and below it), however
 * they got there: inet-swarm on any backend, plain `opp_runall`, copied from elsewhere. A file whose
 * size and mtime are what the index recorded is skipped, a changed one replaces its rows, and the rows
 * of files that are gone are dropped. Files that cannot be read are listed, not fatal: the others are
 * still indexed, and what the index held of a damaged file is dropped.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { CampaignInputError } from '../core/errors.js';
import { RESULT_INDEX_FILE, ResultIndex, type FileRuns } from './result-index.js';
import { readScaSource, type ScaSource } from './sca-import.js';

export interface IndexDirSummary {
  /** Absolute path of the index file. */
  readonly indexFile: string;
  /** Files (re)indexed now, and the runs they hold. */
  readonly files: number;
  readonly runs: number;
  /** Files skipped because the index has them at this size and mtime. */
  readonly unchanged: number;
  /** Files whose rows were dropped because they are gone. */
  readonly removed: number;
  /** One line per file that could not be read, naming the file and line. */
  readonly problems: readonly string[];
}

/** Files read and parsed before they are written: bounds memory on directories of 100,000 files. */
const READ_BATCH = 200;

/** @throws CampaignInputError when `resultDir` is missing or not a directory */
async function checkDirectory(resultDir: string, shownAs: string): Promise<void> {
  const info = await stat(resultDir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new CampaignInputError(`result directory ${shownAs} does not exist`);
    throw new CampaignInputError(`cannot read result directory ${shownAs}: ${error.message}`, {
      cause: error,
    });
  });
  if (!info.isDirectory()) throw new CampaignInputError(`${shownAs} is not a directory`);
}

/** Every `.sca` file below the directory, as index paths (relative, `/`-separated), sorted. */
async function scalarFiles(resultDir: string): Promise<string[]> {
  const entries = await readdir(resultDir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.sca'))
    .map((entry) =>
      path.relative(resultDir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'),
    )
    .sort();
}

/**
 * @param resultDir absolute
 * @param shownAs how messages name the directory (as the user typed it)
 * @throws CampaignInputError, ResultIndexError
 */
export async function indexResultDir(resultDir: string, shownAs: string): Promise<IndexDirSummary> {
  await checkDirectory(resultDir, shownAs);
  const found = await scalarFiles(resultDir);
  const index = ResultIndex.open(resultDir);
  try {
    const known = index.indexedFiles();
    const sources: ScaSource[] = [];
    let unchanged = 0;
    for (const indexPath of found) {
      const absolutePath = path.join(resultDir, ...indexPath.split('/'));
      const info = await stat(absolutePath).catch(() => null);
      if (info === null) continue; // gone since the listing: dropped below with the others
      const indexed = known.get(indexPath);
      if (indexed !== undefined && indexed.size === info.size && indexed.mtimeMs === info.mtimeMs) {
        unchanged += 1;
        continue;
      }
      sources.push({
        absolutePath,
        indexPath,
        displayName: path.posix.join(shownAs, indexPath),
        sha256: null,
      });
    }

    const problems: string[] = [];
    const unusable: string[] = [];
    let files = 0;
    let runs = 0;
    for (let i = 0; i < sources.length; i += READ_BATCH) {
      const batch = sources.slice(i, i + READ_BATCH);
      const outcomes = await Promise.all(batch.map((source) => readScaSource(source)));
      const read: FileRuns[] = [];
      for (const [j, outcome] of outcomes.entries()) {
        if (outcome.kind === 'read') read.push(outcome.fileRuns);
        else unusable.push((batch[j] as ScaSource).indexPath);
        if (outcome.kind === 'invalid') problems.push(outcome.problem);
      }
      runs += await index.replaceFilesGradually(read);
      files += read.length;
    }

    const present = new Set(found);
    const gone = [...known.keys()].filter((indexPath) => !present.has(indexPath));
    const removed = index.removeFiles(gone);
    index.removeFiles(unusable);
    return { indexFile: path.join(resultDir, RESULT_INDEX_FILE), files, runs, unchanged, removed, problems };
  } finally {
    index.close();
  }
}
