/** Checks of the local machine made before anything is started: program, directories. */
import { constants, readFileSync } from 'node:fs';
import { access, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CampaignInputError } from '../../core/errors.js';

/** A text file's content, or undefined if it cannot be read (planning treats that as a missing ini). */
export function readTextOrUndefined(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

export async function checkWorkingDir(dir: string): Promise<void> {
  const info = await stat(dir).catch(() => null);
  if (info === null || !info.isDirectory())
    throw new CampaignInputError(`working directory ${dir} does not exist`);
}

/** Resolves the program as a shell would (a name with a slash against the working directory, else PATH). */
export async function resolveProgram(program: string, workingDir: string): Promise<string> {
  if (program === '') throw new CampaignInputError('no simulation program given');
  const candidates = program.includes('/')
    ? [path.resolve(workingDir, program)]
    : (process.env.PATH ?? '')
        .split(':')
        .filter(Boolean)
        .map((dir) => path.resolve(workingDir, dir, program));
  for (const candidate of candidates) {
    const info = await stat(candidate).catch(() => null);
    if (info === null || !info.isFile()) continue;
    try {
      await access(candidate, constants.X_OK);
    } catch {
      throw new CampaignInputError(
        `simulation program ${candidate} is not executable (chmod +x, or did the build finish?)`,
      );
    }
    return candidate;
  }
  const where = program.includes('/') ? `in ${workingDir}` : 'on PATH';
  throw new CampaignInputError(`simulation program ${program} not found ${where} (is it built?)`);
}

/**
 * Makes sure `dir` exists and accepts files, by creating it and a probe file. A real write is the only
 * reliable test (permissions lie for root; read-only mounts and full disks only show on write), and
 * OMNeT++ itself would only notice at the end of a run.
 */
export async function ensureWritableDir(dir: string, what: string): Promise<void> {
  const probe = path.join(dir, `.inet-swarm-write-probe-${process.pid}`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(probe, '', { flag: 'wx' });
    await rm(probe, { force: true });
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new CampaignInputError(`${what} ${dir} is not writable (${reason})`, { cause: error });
  }
}
