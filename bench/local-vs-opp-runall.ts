/**
 * bench:local — `inet-swarm run` against opp_runall's algorithm on the demo simulation, both measured
 * in the same run on the same machine, alternating, >= 3 times each; medians of makespans as ratios.
 *
 *   skewed          Skewed config, -j2, no runtime history (a fresh state directory)
 *   skewed_history  Skewed config, -j2, with the history of one earlier campaign
 *   uniform         Uniform config, -j2
 *   overhead_ms     per-run cost of the runner over executing the same near-empty runs directly
 *   rss_mb          peak RSS of the CLI planning and running a 20,000-run campaign
 *
 * The last line printed is machine-readable:
 *   skewed=<ratio> skewed_history=<ratio> uniform=<ratio> overhead_ms=<n> rss_mb=<n>
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseRunNumbers } from '../lib/core/omnetpp-output.js';
import { queryArgs, readInvocation, runArgs } from '../lib/core/simulation-args.js';
import { runOppRunallBaseline } from './opp-runall-baseline.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cli = path.join(root, 'dist/cli/main.js');
const demoDir = path.join(root, 'examples/demo');
const repetitions = Number(process.env.BENCH_REPETITIONS ?? 3);
const scratch = mkdtempSync(path.join(os.tmpdir(), 'bench-local-'));

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

let counter = 0;
function freshDir(label: string): string {
  return path.join(scratch, `${label}-${counter++}`);
}

/** Runs the CLI to completion; returns wall time and the peak RSS of the CLI process itself. */
async function inetSwarm(args: readonly string[]): Promise<{ wallMs: number; peakRssKb: number }> {
  const started = performance.now();
  // Executed as users do (through its shebang and the Node flags there), not as `node main.js`.
  const child = spawn('/usr/bin/time', ['-f', '%M', cli, ...args], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  const wallMs = performance.now() - started;
  const lines = stderr.trim().split('\n');
  const peakRssKb = Number(lines.at(-1));
  if (code !== 0) throw new Error(`inet-swarm ${args.join(' ')} exited with ${String(code)}:\n${stderr}`);
  return { wallMs, peakRssKb };
}

function baseline(config: string, jobs: number): number {
  const result = runOppRunallBaseline(
    './demo',
    ['-c', config, `--result-dir=${freshDir('baseline')}`],
    demoDir,
    jobs,
  );
  if (result.exitCode !== 0) throw new Error(`opp_runall baseline failed on ${config}`);
  return result.wallMs;
}

async function ours(config: string, jobs: number, stateDir: string, extra: string[] = []): Promise<number> {
  const { wallMs } = await inetSwarm([
    'run',
    '-j',
    String(jobs),
    '--state-dir',
    stateDir,
    ...extra,
    '-C',
    demoDir,
    './demo',
    '-c',
    config,
    `--result-dir=${freshDir('ours')}`,
  ]);
  return wallMs;
}

async function makespanRatios(): Promise<{ skewed: number; skewedHistory: number; uniform: number }> {
  const base = { Skewed: [] as number[], Uniform: [] as number[] };
  const noHistory: number[] = [];
  const withHistory: number[] = [];
  const uniform: number[] = [];
  for (let i = 0; i < repetitions; i++) {
    // Alternate who goes first so that drift on a shared machine does not favour either side.
    const baselineFirst = i % 2 === 0;
    if (baselineFirst) base.Skewed.push(baseline('Skewed', 2));
    const state = freshDir('state');
    noHistory.push(await ours('Skewed', 2, state));
    withHistory.push(await ours('Skewed', 2, state, ['--force']));
    if (!baselineFirst) base.Skewed.push(baseline('Skewed', 2));

    if (baselineFirst) base.Uniform.push(baseline('Uniform', 2));
    uniform.push(await ours('Uniform', 2, freshDir('state')));
    if (!baselineFirst) base.Uniform.push(baseline('Uniform', 2));
    console.log(
      `rep ${i + 1}: Skewed opp_runall ${base.Skewed.at(-1)?.toFixed(0)} ms, inet-swarm ${noHistory.at(-1)?.toFixed(0)} ms, ` +
        `with history ${withHistory.at(-1)?.toFixed(0)} ms; Uniform opp_runall ${base.Uniform.at(-1)?.toFixed(0)} ms, ` +
        `inet-swarm ${uniform.at(-1)?.toFixed(0)} ms`,
    );
  }
  return {
    skewed: median(noHistory) / median(base.Skewed),
    skewedHistory: median(withHistory) / median(base.Skewed),
    uniform: median(uniform) / median(base.Uniform),
  };
}

/** Per-run cost of inet-swarm over running the same near-empty runs one by one directly. */
async function overheadPerRun(): Promise<number> {
  const invocation = readInvocation(['-c', 'Empty']);
  const runs = parseRunNumbers(
    spawnSync('./demo', queryArgs(invocation, 'runnumbers'), { cwd: demoDir, encoding: 'utf8' }).stdout,
  );
  const samples: number[] = [];
  for (let i = 0; i < repetitions; i++) {
    const dir = freshDir('direct');
    const started = performance.now();
    for (const run of runs) {
      spawnSync('./demo', runArgs(readInvocation(['-c', 'Empty', `--result-dir=${dir}`]), [run]), {
        cwd: demoDir,
        stdio: 'ignore',
      });
    }
    const direct = performance.now() - started;
    // -b 1: measure the runner itself, not the batching that would hide its cost.
    const mine = await ours('Empty', 1, freshDir('state'), ['-b', '1']);
    samples.push((mine - direct) / runs.length);
    console.log(
      `rep ${i + 1}: ${runs.length} near-empty runs, direct ${direct.toFixed(0)} ms, inet-swarm -j1 ${mine.toFixed(0)} ms`,
    );
  }
  return median(samples);
}

async function peakRssMb(): Promise<number> {
  const numruns = spawnSync('./demo', ['-c', 'Huge', '-s', '-q', 'numruns'], {
    cwd: demoDir,
    encoding: 'utf8',
  }).stdout.trim();
  const { peakRssKb, wallMs } = await inetSwarm([
    'run',
    '-j',
    '2',
    '--state-dir',
    freshDir('state'),
    '-C',
    demoDir,
    './demo',
    '-c',
    'Huge',
    `--result-dir=${freshDir('huge')}`,
  ]);
  console.log(
    `Huge: ${numruns} runs in ${(wallMs / 1000).toFixed(1)} s, CLI peak RSS ${(peakRssKb / 1024).toFixed(0)} MB`,
  );
  return peakRssKb / 1024;
}

try {
  const version = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
  console.log(
    `bench:local inet-swarm ${version.version}, node ${process.version}, ${os.availableParallelism()} cores, ${repetitions} repetitions`,
  );
  const ratios = await makespanRatios();
  const overhead = await overheadPerRun();
  const rss = await peakRssMb();
  console.log(
    `skewed=${ratios.skewed.toFixed(3)} skewed_history=${ratios.skewedHistory.toFixed(3)} uniform=${ratios.uniform.toFixed(3)} ` +
      `overhead_ms=${overhead.toFixed(1)} rss_mb=${rss.toFixed(0)}`,
  );
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
