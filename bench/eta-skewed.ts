/**
 * bench:eta — how right is the ETA the progress display shows? The demo's `Skewed` campaign (34 light
 * runs, then 6 heavy ones up to 30x longer) with `inet-swarm run -j2 --json`: at the first run-finished
 * event at or past 25% of the runs, the ETA it carried is compared with the time the campaign then
 * really took to finish (the events' arrival times, as a user would see them).
 *
 *   history   the study was run before (its runtime history is in the state directory), run again
 *             with --force: the case the ETA is built for. Bar: error within 20%.
 *   cold      a fresh state directory: nothing is known about the runs but what finishes. Reported,
 *             not held to the bar: the heavy runs come last and nothing before them hints at them.
 *
 * Each scenario is repeated (BENCH_REPETITIONS, default 5); medians are quoted. Last line:
 *   eta_error_history=<fraction> eta_error_cold=<fraction>
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { CampaignEvent } from '../lib/core/events.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cli = path.join(root, 'dist/cli/main.js');
const demoDir = path.join(root, 'examples/demo');
const repetitions = Number(process.env.BENCH_REPETITIONS ?? 5);
const scratch = mkdtempSync(path.join(os.tmpdir(), 'bench-eta-'));
const AT_COMPLETION = 0.25;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

interface EtaSample {
  /** The ETA shown at 25% completion, ms. */
  readonly predictedMs: number | null;
  /** From that event to the campaign's end, ms. */
  readonly actualMs: number;
  readonly finishedAt25: number;
  readonly toRun: number;
}

/** Runs the CLI with --json and reads the ETA at 25% and the true remaining time from its events. */
async function measure(stateDir: string, resultDir: string, extra: readonly string[]): Promise<EtaSample> {
  const child = spawn(
    cli,
    [
      'run',
      '-j',
      '2',
      '--json',
      '--state-dir',
      stateDir,
      ...extra,
      '-C',
      demoDir,
      './demo',
      '-c',
      'Skewed',
      `--result-dir=${resultDir}`,
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  let toRun = 0;
  let at25: { at: number; etaMs: number | null; finished: number } | null = null;
  let endedAt: number | null = null;
  for await (const line of createInterface({ input: child.stdout })) {
    const now = performance.now();
    const event = JSON.parse(line) as CampaignEvent;
    if (event.type === 'campaign-started') toRun = event.toRun;
    if (event.type === 'run-finished' && at25 === null) {
      const finished = event.counts.ok + event.counts.failed + event.counts.lost;
      if (finished >= AT_COMPLETION * toRun) at25 = { at: now, etaMs: event.etaMs, finished };
    }
    if (event.type === 'campaign-finished') endedAt = now;
  }
  const code = await new Promise<number | null>((resolve) =>
    child.exitCode !== null ? resolve(child.exitCode) : child.once('close', resolve),
  );
  if (code !== 0 || at25 === null || endedAt === null)
    throw new Error(`inet-swarm run -c Skewed exited with ${String(code)}:\n${stderr}`);
  return { predictedMs: at25.etaMs, actualMs: endedAt - at25.at, finishedAt25: at25.finished, toRun };
}

function relativeError(sample: EtaSample): number {
  // No ETA at all is as wrong as it gets.
  if (sample.predictedMs === null) return 1;
  return Math.abs(sample.predictedMs - sample.actualMs) / sample.actualMs;
}

function describe(label: string, sample: EtaSample): string {
  const predicted = sample.predictedMs === null ? 'none' : `${(sample.predictedMs / 1000).toFixed(2)} s`;
  return (
    `${label}: after ${sample.finishedAt25}/${sample.toRun} runs ETA ${predicted}, ` +
    `really ${(sample.actualMs / 1000).toFixed(2)} s (error ${(100 * relativeError(sample)).toFixed(0)}%)`
  );
}

try {
  console.log(
    `bench:eta node ${process.version}, ${os.availableParallelism()} cores, ${repetitions} repetitions`,
  );
  const history: number[] = [];
  const cold: number[] = [];
  for (let i = 0; i < repetitions; i++) {
    const state = path.join(scratch, `state-${i}`);
    const first = await measure(state, path.join(scratch, `results-${i}`), []);
    cold.push(relativeError(first));
    const again = await measure(state, path.join(scratch, `results-${i}`), ['--force']);
    history.push(relativeError(again));
    console.log(`rep ${i + 1}: ${describe('cold', first)}; ${describe('history', again)}`);
  }
  console.log(`eta_error_history=${median(history).toFixed(3)} eta_error_cold=${median(cold).toFixed(3)}`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
