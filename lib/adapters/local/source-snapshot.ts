/**
 * Snapshots a project's source for building elsewhere: the git-tracked files as they are in the
 * working tree (so uncommitted changes are included), plus untracked files git does not ignore; or,
 * outside git, every file of the directory. No pushed commit or git host is needed. The archive is a
 * gzipped tar with neutral owners and timestamps; its name is the tree hash of the content.
 */
import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { SourceSnapshotError, SourceSnapshotTooLargeError } from '../../core/errors.js';
import { treeHash, unsafeEntryReason, type SourceEntry } from '../../core/source-tree.js';
import { gitOutput, gitTopLevel } from './git.js';
import { packTree } from './pack-tree.js';
import { sha256File } from './sha256-file.js';

export interface SnapshotRequest {
  /** The simulation's working directory; its git work tree (if any) is what gets snapshotted. */
  readonly projectDir: string;
  /** Absolute paths never to include: result and state directories. */
  readonly exclude: readonly string[];
  /** Refuse a snapshot whose files add up to more than this. */
  readonly maxBytes: number;
}

export interface SourceSnapshot {
  /** Tree hash of the content: the snapshot's name. */
  readonly hash: string;
  /** The directory the snapshot is rooted at (git top level, or the project directory). */
  readonly root: string;
  /** The project directory relative to `root` (`.` when they are the same). */
  readonly workingDir: string;
  readonly entries: readonly SourceEntry[];
  readonly totalBytes: number;
  readonly fromGit: boolean;
}

async function gitFiles(root: string): Promise<string[]> {
  const listed = await gitOutput(['ls-files', '-z', '--cached', '--others', '--exclude-standard'], root);
  if (listed === null) throw new SourceSnapshotError(`git could not list the files of ${root}`);
  return [...new Set(listed.split('\0').filter(Boolean))];
}

/** Every file below `dir` (relative to `root`), skipping `.git` folders. */
async function walk(root: string, dir: string, into: string[]): Promise<void> {
  for (const entry of await readdir(path.join(root, dir), { withFileTypes: true })) {
    const relative = dir === '' ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (entry.name !== '.git') await walk(root, relative, into);
    } else {
      into.push(relative);
    }
  }
}

function isExcluded(absolute: string, exclude: readonly string[]): boolean {
  return exclude.some((dir) => absolute === dir || absolute.startsWith(`${dir}${path.sep}`));
}

/** Lists and hashes the project's source; throws before anything is packed if it is unusable. */
export async function scanSource(request: SnapshotRequest): Promise<SourceSnapshot> {
  const projectDir = path.resolve(request.projectDir);
  const top = await gitTopLevel(projectDir);
  const root = top ?? projectDir;
  const listed = top !== null ? await gitFiles(root) : [];
  if (top === null) await walk(root, '', listed);

  const entries: SourceEntry[] = [];
  const pending = [...listed];
  while (pending.length > 0) {
    const relative = pending.pop() ?? '';
    const absolute = path.join(root, relative);
    if (isExcluded(absolute, request.exclude)) continue;
    const info = await lstat(absolute).catch(() => null);
    if (info === null) continue; // tracked but deleted in the working tree: the snapshot has it deleted too
    if (info.isDirectory()) {
      await walk(root, relative, pending); // a git submodule: its files belong to the source too
    } else if (info.isSymbolicLink()) {
      const target = await readlink(absolute);
      const reason = unsafeEntryReason(relative, 'symlink', target);
      if (reason !== null) {
        throw new SourceSnapshotError(
          `cannot snapshot ${relative}: ${reason}; the swarm would not see its target`,
        );
      }
      entries.push({
        path: relative,
        kind: 'symlink',
        executable: false,
        size: 0,
        sha256: createHash('sha256').update(target).digest('hex'),
      });
    } else if (info.isFile()) {
      entries.push({
        path: relative,
        kind: 'file',
        executable: (info.mode & 0o111) !== 0,
        size: info.size,
        sha256: await sha256File(absolute),
      });
    }
  }

  const totalBytes = entries.reduce((sum, e) => sum + e.size, 0);
  if (totalBytes > request.maxBytes) {
    const biggest = [...entries]
      .sort((a, b) => b.size - a.size)
      .slice(0, 5)
      .map((e) => `  ${e.path} (${(e.size / 2 ** 20).toFixed(1)} MiB)`)
      .join('\n');
    throw new SourceSnapshotTooLargeError(
      `the source in ${root} is ${(totalBytes / 2 ** 20).toFixed(1)} MiB, over the limit of ` +
        `${(request.maxBytes / 2 ** 20).toFixed(1)} MiB; the largest files:\n${biggest}\n` +
        'ignore generated files in .gitignore, or raise the limit',
    );
  }
  return {
    hash: treeHash(entries),
    root,
    workingDir: path.relative(root, projectDir) || '.',
    entries,
    totalBytes,
    fromGit: top !== null,
  };
}

/** Packs a scanned snapshot into `archiveFile` (.tar.gz), entries sorted, owners and times neutral. */
export async function packSnapshot(snapshot: SourceSnapshot, archiveFile: string): Promise<void> {
  await packTree(snapshot.root, snapshot.entries.map((e) => e.path).sort(), archiveFile);
}
