/** The few git queries inet-swarm makes about a user's project. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What `git <args>` printed in `cwd`, or null if git failed (not a repository, git missing...). */
export async function gitOutput(args: readonly string[], cwd: string): Promise<string | null> {
  try {
    const { stdout } = await run('git', [...args], { cwd, maxBuffer: 1 << 30, encoding: 'utf8' });
    return stdout;
  } catch {
    return null;
  }
}

/** The top directory of the git work tree containing `dir`, or null outside git. */
export async function gitTopLevel(dir: string): Promise<string | null> {
  return (await gitOutput(['rev-parse', '--show-toplevel'], dir))?.trim() ?? null;
}
