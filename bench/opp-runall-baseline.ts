/**
 * The baseline of bench:local: OMNeT++'s own `opp_runall` algorithm, reimplemented faithfully because
 * OMNeT++ cannot be installed here. Like the real tool it asks the program for the run numbers,
 * splits them in run order into batches of `min(5, ceil(runs / jobs))`, writes a Makefile with one
 * target per batch running `<prog> <args> -s -u Cmdenv --cmdenv-redirect-output=true -r a,b,c`,
 * and runs `make -j<jobs>` (no -k: the first failing batch stops new ones).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseRunNumbers } from '../lib/core/omnetpp-output.js';
import { queryArgs, readInvocation, runArgs } from '../lib/core/simulation-args.js';

/** Quotes one argument for the POSIX shell make runs recipes in. */
function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** A make recipe line: `$` must be doubled for make, then the line is handed to the shell. */
function recipe(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ').replace(/\$/g, '$$$$');
}

export interface BaselineResult {
  readonly exitCode: number;
  readonly batches: number;
  readonly wallMs: number;
}

export function runOppRunallBaseline(
  program: string,
  args: readonly string[],
  workingDir: string,
  jobs: number,
): BaselineResult {
  const invocation = readInvocation(args);
  const numbers = parseRunNumbers(
    execFileSync(program, queryArgs(invocation, 'runnumbers'), { cwd: workingDir, encoding: 'utf8' }),
  );
  const batchSize = Math.min(5, Math.ceil(numbers.length / jobs));
  const batches: number[][] = [];
  for (let i = 0; i < numbers.length; i += batchSize) batches.push(numbers.slice(i, i + batchSize));

  const targets = batches.map((_, i) => `batch${i}`);
  const makefile = [
    '.PHONY: all ' + targets.join(' '),
    `all: ${targets.join(' ')}`,
    ...batches.map(
      (batch, i) => `batch${i}:\n\t@${recipe([program, ...runArgs(invocation, batch)])} >/dev/null`,
    ),
    '',
  ].join('\n');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'opp-runall-'));
  try {
    const file = path.join(dir, 'Makefile');
    writeFileSync(file, makefile);
    const started = performance.now();
    const result = spawnSync('make', ['-s', '-f', file, `-j${jobs}`], {
      cwd: workingDir,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    return { exitCode: result.status ?? 1, batches: batches.length, wallMs: performance.now() - started };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
