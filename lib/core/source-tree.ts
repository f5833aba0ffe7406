/**
 * Rules for moving a project's source tree between machines as an archive: which entries are safe to
 * unpack, and the content hash that names a snapshot (same hash -> same build). Pure, so that the
 * client that packs and the builder that unpacks apply the very same rules.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';

export type SourceEntryKind = 'file' | 'directory' | 'symlink' | 'other';

/** One entry of a snapshot, as hashed: files by content, symlinks by their target. */
export interface SourceEntry {
  /** Relative, `/`-separated path inside the snapshot. */
  readonly path: string;
  readonly kind: 'file' | 'symlink';
  readonly executable: boolean;
  readonly size: number;
  /** sha256 of the file content, or of the link target text. */
  readonly sha256: string;
}

/**
 * The snapshot's name: a hash over paths, kinds, executable bits and contents, independent of
 * timestamps, owners, archive format and file order.
 */
export function treeHash(entries: readonly SourceEntry[]): string {
  const hash = createHash('sha256');
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const entry of sorted) {
    hash.update(
      `${entry.kind} ${entry.executable ? 'x' : '-'} ${entry.size} ${entry.sha256} ${entry.path}\0`,
    );
  }
  return hash.digest('hex');
}

/**
 * Why an archive entry must not be unpacked, or null if it is safe: absolute paths, `..` segments,
 * links that point outside the target, and anything but plain files, directories and symlinks
 * (hard links, devices, FIFOs) are refused.
 */
export function unsafeEntryReason(
  entryPath: string,
  kind: SourceEntryKind,
  linkTarget?: string,
): string | null {
  if (entryPath === '' || entryPath.includes('\0')) return 'empty or malformed path';
  if (path.posix.isAbsolute(entryPath) || /^[A-Za-z]:[\\/]/.test(entryPath) || entryPath.startsWith('\\')) {
    return 'absolute path';
  }
  if (entryPath.split(/[\\/]/).includes('..')) return "path contains '..'";
  if (kind === 'other') return 'only files, directories and symbolic links are allowed';
  if (kind === 'symlink') {
    if (linkTarget === undefined || linkTarget === '') return 'symbolic link without a target';
    if (path.posix.isAbsolute(linkTarget)) return `symbolic link to an absolute path (${linkTarget})`;
    const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(entryPath), linkTarget));
    if (resolved === '..' || resolved.startsWith('../'))
      return `symbolic link leaves the tree (${linkTarget})`;
  }
  return null;
}
