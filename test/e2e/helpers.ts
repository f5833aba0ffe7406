/** Helpers for end-to-end tests: a throw-away copy of the demo project and the built CLI. */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunRecord } from '../../lib/core/campaign.js';
import { repoRoot } from '../support/repo.js';

export { repoRoot };

const cli = path.join(repoRoot, 'dist/cli/main.js');
const demo = path.join(repoRoot, 'examples/demo');

/** A fresh project directory holding the demo program and its omnetpp.ini. */
export function demoProject(label = 'project'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `inet-swarm-e2e-${label}-`));
  copyFileSync(path.join(demo, 'demo'), path.join(dir, 'demo'));
  copyFileSync(path.join(demo, 'omnetpp.ini'), path.join(dir, 'omnetpp.ini'));
  return dir;
}

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function startCli(
  args: readonly string[],
  cwd: string,
  env: Record<string, string> = {},
): ChildProcess {
  return spawn(process.execPath, [cli, ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
}

export function collect(child: ChildProcess): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  return new Promise((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
}

export function inetSwarm(
  args: readonly string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<CliResult> {
  return collect(startCli(args, cwd, env));
}

/**
 * The CLI on a terminal: stdin and stdout/stderr are a pseudo-terminal (util-linux `script`), as when a
 * person types the command. `answer` is typed once `prompt` has appeared. The output is the terminal's,
 * stdout and stderr interleaved.
 */
export function inetSwarmOnTerminal(
  args: readonly string[],
  cwd: string,
  env: Record<string, string>,
  typing: { readonly prompt: string; readonly answer: string },
): Promise<{ readonly code: number | null; readonly output: string }> {
  const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;
  const command = [process.execPath, cli, ...args].map(quote).join(' ');
  // -e: the command's exit code; -f: flush at once, so the prompt is seen while the CLI waits.
  const child = spawn('script', ['-qefc', command, '/dev/null'], {
    cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
  let output = '';
  let typed = false;
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
    if (!typed && output.includes(typing.prompt)) {
      typed = true;
      child.stdin.write(`${typing.answer}\n`);
    }
  });
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, output })));
}

/** A project holding the demo's sources, Makefile and ini but no program: only a build can make it. */
export function demoSourceProject(label = 'source'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `inet-swarm-e2e-${label}-`));
  for (const name of readdirSync(demo)) {
    if (/\.(cc|h)$/.test(name) || name === 'Makefile' || name === 'omnetpp.ini')
      copyFileSync(path.join(demo, name), path.join(dir, name));
  }
  return dir;
}

/**
 * Every manifest record of the campaigns in the project's state directory, in write order; none
 * before the first is written. A line still being written by a live session is left out.
 */
export function manifestRecords(project: string): RunRecord[] {
  const campaigns = path.join(project, '.inet-swarm', 'campaigns');
  if (!existsSync(campaigns)) return [];
  return readdirSync(campaigns).flatMap((id) => {
    const file = path.join(campaigns, id, 'manifest.jsonl');
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.endsWith('}'))
      .map((line) => JSON.parse(line) as RunRecord);
  });
}

/** Result file contents with the lines that legitimately differ between two executions removed. */
export function normalisedResult(file: string): string {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => !/^(run |attr (datetime|datetimef|processid) |file )/.test(line))
    .join('\n');
}

export function resultFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => /\.(sca|vec|vci|out)$/.test(name))
    .sort();
}

/** Waits until `predicate` holds, polling; for states only visible on disk. */
export async function waitFor(predicate: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
