/**
 * A private working tree for one runner task. Tasks on a node share one unpacked artifact, but each
 * simulation writes its results into its project's result directory; giving every task a mirror of the
 * tree made of symbolic links (cheap: no file is copied) plus a real, empty result directory keeps tasks
 * apart without adding `--result-dir` to the command line, which OMNeT++ would record in every result
 * file: results stay identical to a local run.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readlink, rm, symlink } from 'node:fs/promises';
import path from 'node:path';

export interface TaskWorkspace {
  /** The mirror's root: the artifact tree as the task sees it. */
  readonly root: string;
  /** The task's own result directory inside the mirror. */
  readonly resultDir: string;
  dispose(): Promise<void>;
}

async function mirror(source: string, target: string, skip: string): Promise<void> {
  await mkdir(target, { recursive: true });
  for (const entry of await readdir(source, { withFileTypes: true })) {
    const from = path.join(source, entry.name);
    const to = path.join(target, entry.name);
    if (from === skip) continue;
    if (entry.isDirectory()) {
      await mirror(from, to, skip);
    } else if (entry.isSymbolicLink()) {
      // Relative links keep meaning the same thing inside the mirror.
      await symlink(await readlink(from), to);
    } else {
      await symlink(from, to);
    }
  }
}

/**
 * @param tree the unpacked artifact (read-only for tasks)
 * @param resultDir the project's result directory, relative to `tree` (e.g. `simulations/results`)
 */
export async function createTaskWorkspace(
  tree: string,
  scratchDir: string,
  resultDir: string,
): Promise<TaskWorkspace> {
  if (path.isAbsolute(resultDir) || resultDir.split(/[\\/]/).includes('..')) {
    throw new Error(`result directory ${resultDir} must lie inside the project`);
  }
  const root = path.join(scratchDir, `task-${randomUUID()}`);
  const results = path.join(root, resultDir);
  await mirror(tree, root, path.join(tree, resultDir));
  await mkdir(results, { recursive: true });
  return { root, resultDir: results, dispose: () => rm(root, { recursive: true, force: true }) };
}
