/**
 * Unpacks an archive that came from elsewhere (a source snapshot, a build artifact) without letting it
 * write outside its target: every entry is checked before anything is written, and links are checked
 * again on disk afterwards, where `a -> .` style tricks can no longer hide behind lexical paths.
 */
import { mkdir, readdir, realpath, rm } from 'node:fs/promises';
import path from 'node:path';
import { extract, list, type ReadEntry } from 'tar';
import { ArchiveEntryRejectedError } from '../../core/errors.js';
import { unsafeEntryReason, type SourceEntryKind } from '../../core/source-tree.js';

export interface ExtractLimits {
  /** Refuse archives whose files add up to more than this many bytes. */
  readonly maxBytes: number;
  readonly maxEntries: number;
}

function kindOf(entry: ReadEntry): SourceEntryKind {
  switch (entry.type) {
    case 'File':
    case 'OldFile':
    case 'ContiguousFile':
      return 'file';
    case 'Directory':
      return 'directory';
    case 'SymbolicLink':
      return 'symlink';
    default:
      return 'other';
  }
}

/** Why `entry` must not be unpacked, or null if it is safe. */
function rejectionOf(entry: ReadEntry): string | null {
  // Refused (a Link entry can name any path) with a message of its own: the generic one hides what it is.
  if (entry.type === 'Link') {
    return `hard link to ${entry.linkpath ?? '(nothing)'}: hard links are not allowed in archives`;
  }
  return unsafeEntryReason(entry.path, kindOf(entry), entry.linkpath);
}

async function inspect(
  archiveFile: string,
  limits: ExtractLimits,
): Promise<{ entries: number; bytes: number }> {
  const problems: string[] = [];
  let entries = 0;
  let bytes = 0;
  await list({
    file: archiveFile,
    onReadEntry: (entry: ReadEntry) => {
      entries += 1;
      bytes += entry.size;
      const reason = rejectionOf(entry);
      if (reason !== null) problems.push(`${entry.path}: ${reason}`);
    },
  });
  if (problems.length > 0) {
    throw new ArchiveEntryRejectedError(
      `archive ${archiveFile} rejected, nothing was extracted:\n  ${problems.slice(0, 10).join('\n  ')}`,
      problems,
    );
  }
  if (entries > limits.maxEntries || bytes > limits.maxBytes) {
    throw new ArchiveEntryRejectedError(
      `archive ${archiveFile} rejected: ${entries} entries, ${bytes} bytes (limits ${limits.maxEntries}, ${limits.maxBytes})`,
      [],
    );
  }
  return { entries, bytes };
}

/** Symbolic links under `dir` whose real target lies outside `root`. */
async function escapingLinks(root: string, dir: string): Promise<string[]> {
  const escaping: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const absolute = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) {
      const real = await realpath(absolute).catch(() => null);
      if (real !== null && real !== root && !real.startsWith(`${root}${path.sep}`))
        escaping.push(path.relative(root, absolute));
    } else if (entry.isDirectory()) {
      escaping.push(...(await escapingLinks(root, absolute)));
    }
  }
  return escaping;
}

/** Extracts `archiveFile` into the (new or empty) `targetDir`; throws and leaves nothing on rejection. */
export async function extractSafely(
  archiveFile: string,
  targetDir: string,
  limits: ExtractLimits,
): Promise<{ entries: number; bytes: number }> {
  const summary = await inspect(archiveFile, limits);
  await mkdir(targetDir, { recursive: true });
  if ((await readdir(targetDir)).length > 0) {
    // On rejection the target is removed whole, so it must not hold anything of anyone else's.
    throw new Error(`extraction target ${targetDir} is not empty`);
  }
  const root = await realpath(targetDir);
  try {
    // strict: any warning (a path node-tar itself would have to rewrite) is an error.
    await extract({ file: archiveFile, cwd: root, strict: true, preserveOwner: false });
    const escaping = await escapingLinks(root, root);
    if (escaping.length > 0) {
      throw new ArchiveEntryRejectedError(
        `archive ${archiveFile} rejected: links resolve outside the target: ${escaping.join(', ')}`,
        escaping,
      );
    }
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
  return summary;
}
