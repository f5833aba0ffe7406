/**
 * Where a campaign's results come from: the program's own version banner, the git commit and whether
 * the tree was dirty, a hash of the source, the host. The fingerprint derived from them decides
 * whether earlier results are still valid for resume.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { SimulationProgram } from '../../ports/simulation-program.js';
import { gitOutput, gitTopLevel } from './git.js';

export interface Provenance {
  readonly programVersion: string;
  readonly gitCommit: string | null;
  readonly gitDirty: boolean | null;
  /** Hash of the tracked source plus uncommitted changes (git), or of the program and ini files. */
  readonly sourceHash: string;
  /** What resume compares: program binary, ini files and source. */
  readonly fingerprint: string;
  readonly host: string;
  readonly nodeVersion: string;
}

async function hashFiles(files: readonly string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(file).update('\0');
    hash.update(await readFile(file).catch(() => Buffer.from('<missing>'))).update('\0');
  }
  return hash.digest('hex');
}

export interface ProvenanceInput {
  readonly programPath: string;
  readonly workingDir: string;
  readonly iniFiles: readonly string[];
  /** Paths (absolute) whose changes are outputs, not source: the result and state directories. */
  readonly excluded: readonly string[];
  readonly program: SimulationProgram;
}

export async function collectProvenance(input: ProvenanceInput): Promise<Provenance> {
  const version = await input.program.invoke(['-v']);
  const programVersion = (version.stdout + version.stderr).trim().split('\n').slice(0, 12).join('\n');
  const inputsHash = await hashFiles([
    input.programPath,
    ...input.iniFiles.map((f) => path.resolve(input.workingDir, f)),
  ]);

  const git = await gitState(input.workingDir, input.excluded);
  const { gitCommit, gitDirty } = git;
  const sourceHash = git.sourceHash ?? inputsHash;
  const fingerprint = createHash('sha256').update(inputsHash).update(sourceHash).digest('hex').slice(0, 32);
  return {
    programVersion,
    gitCommit,
    gitDirty,
    sourceHash,
    fingerprint,
    host: os.hostname(),
    nodeVersion: process.version,
  };
}

export interface GitState {
  readonly gitCommit: string | null;
  /** Null outside a git work tree. */
  readonly gitDirty: boolean | null;
  /** Hash of the commit plus uncommitted changes; null outside a git work tree. */
  readonly sourceHash: string | null;
}

/** The work tree's commit and uncommitted changes, the `excluded` paths (outputs) left out. */
export async function gitState(workingDir: string, excluded: readonly string[]): Promise<GitState> {
  const gitCommit = (await gitOutput(['rev-parse', 'HEAD'], workingDir))?.trim() ?? null;
  if (gitCommit === null) return { gitCommit, gitDirty: null, sourceHash: null };
  const top = (await gitTopLevel(workingDir)) ?? workingDir;
  const excludes = excluded
    .map((p) => path.relative(top, p))
    .filter((p) => p !== '' && !p.startsWith('..'))
    .map((p) => `:(exclude)${p}`);
  // The commit pins every tracked file; the diff adds staged and unstaged changes on top of it.
  const diff = (await gitOutput(['diff', 'HEAD', '--binary', '--', '.', ...excludes], top)) ?? '';
  return {
    gitCommit,
    gitDirty: diff.length > 0,
    sourceHash: createHash('sha256').update(gitCommit).update('\0').update(diff).digest('hex'),
  };
}
