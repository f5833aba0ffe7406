/**
 * Packs a tree for another machine (a source snapshot, a build artifact) so that `extractSafely` takes
 * it and the same files always give the same bytes: entries in the given order, owners and times
 * neutral, and every file stored whole, hard-linked or not.
 */
import { create as createTar } from 'tar';

/** Packs `paths` (relative to `root`, in order, directories not recursed) into `archiveFile` (.tar.gz). */
export async function packTree(root: string, paths: string[], archiveFile: string): Promise<void> {
  await createTar(
    {
      file: archiveFile,
      cwd: root,
      gzip: true,
      portable: true,
      mtime: new Date(0),
      noDirRecurse: true,
      // As if singly linked, files go in whole and undeferred (a no-op linkCache stalls: node-tar#460).
      filter: (_path, entry) => {
        entry.nlink = 1;
        return true;
      },
    },
    paths,
  );
}
