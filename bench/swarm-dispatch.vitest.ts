/**
 * The measurements of bench:swarm (see bench/swarm.ts, which prints them). The swarm's services run in
 * this process (test/support/in-process-swarm.ts: the real gateway over HTTP, BullMQ on a real Redis,
 * a real FerretDB, the real runner and builder code); the CLI runs as users run it. Container overhead
 * is not part of these figures: they measure what inet-swarm itself adds.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { demoProject, demoSourceProject, repoRoot } from '../test/e2e/helpers.js';
import { startInProcessSwarm } from '../test/support/in-process-swarm.js';

const cli = path.join(repoRoot, 'dist/cli/main.js');
const repetitions = Number(process.env.BENCH_REPETITIONS ?? 3);

interface Timed {
  readonly events: { time: string; type: string; message?: string }[];
  readonly peakRssKb: number;
}

/** Runs the CLI through its shebang under GNU time, with NDJSON events on stdout. */
async function inetSwarm(
  args: readonly string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<Timed> {
  // --json before the program: everything after the program is the program's.
  const [command = 'run', ...rest] = args;
  const child = spawn('/usr/bin/time', ['-f', '%M', cli, command, '--json', ...rest], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  if (code !== 0) throw new Error(`inet-swarm ${args.join(' ')} exited ${String(code)}:\n${stderr}`);
  const events = stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Timed['events'][number]);
  return { events, peakRssKb: Number(stderr.trim().split('\n').at(-1)) };
}

function at(timed: Timed, what: (e: Timed['events'][number]) => boolean): number {
  const event = timed.events.find(what);
  if (event === undefined) throw new Error('expected event missing');
  return Date.parse(event.time);
}
const notice = (prefix: string) => (e: Timed['events'][number]) =>
  e.type === 'notice' && (e.message ?? '').startsWith(prefix);

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

it('measures dispatch overhead, enqueueing 100,000 runs, and rebuilds', async () => {
  const swarm = await startInProcessSwarm({ maxUploadBytes: 256 * 2 ** 20 });
  try {
    // 1. Per-run overhead on 200 near-empty runs, one at a time on both sides: from the plan to the last result.
    const local: number[] = [];
    const remote: number[] = [];
    swarm.startRunner(1);
    const source = demoSourceProject('bench-dispatch');
    for (let i = 0; i < repetitions; i++) {
      const localProject = demoProject('bench-local');
      const l = await inetSwarm(
        ['run', '-j1', '-b1', '-C', localProject, './demo', '-c', 'Empty'],
        localProject,
      );
      local.push(at(l, (e) => e.type === 'campaign-finished') - at(l, (e) => e.type === 'campaign-started'));
      const project = mkdtempSync(path.join(os.tmpdir(), 'bench-swarm-'));
      cpSync(source, project, { recursive: true });
      const s = await inetSwarm(
        ['run', '--swarm', '-C', project, './demo', '-c', 'Empty'],
        project,
        swarm.cliEnv,
      );
      remote.push(at(s, (e) => e.type === 'campaign-finished') - at(s, notice('planned ')));
    }
    const dispatchOverheadMs = (median(remote) - median(local)) / 200;

    process.stderr.write(`local ${JSON.stringify(local)} ms, swarm ${JSON.stringify(remote)} ms\n`);

    // 3. A second submission of an unchanged source: the compiles it causes. The first submission of
    // this source compiles (a changed file defeats ccache), the second must not.
    const changed = demoSourceProject('bench-rebuild');
    appendFileSync(path.join(changed, 'model.cc'), `\n// bench:swarm ${Date.now()}\n`);
    const first = await inetSwarm(['submit', '-C', changed, './demo', '-c', 'Quick'], changed, swarm.cliEnv);
    expect(first.events.some(notice('built '))).toBe(true);
    const again = mkdtempSync(path.join(os.tmpdir(), 'bench-rebuild-'));
    cpSync(changed, again, { recursive: true });
    const second = await inetSwarm(['submit', '-C', again, './demo', '-c', 'Quick'], again, swarm.cliEnv);
    const built = second.events.find(notice('built '));
    const rebuildCompiles =
      built === undefined ? 0 : Number(/: (\d+) compiles/.exec(built.message ?? '')?.[1] ?? NaN);
    expect(second.events.some(notice('using the build')) || built !== undefined).toBe(true);

    // 2. Enqueueing a 100,000-run campaign: from the plan in hand to every run queued; the client's peak RSS.
    await swarm.stopRunner();
    const big = await inetSwarm(['submit', '-C', source, './demo', '-c', 'Huge100k'], source, swarm.cliEnv);
    const enqueueS = (at(big, notice('swarm campaign ')) - at(big, notice('planned '))) / 1000;
    process.stderr.write(
      `rebuild compiles ${rebuildCompiles}; 100k: enqueued in ${enqueueS} s, rss ${big.peakRssKb} kB\n`,
    );

    const results = {
      local_ms: local,
      swarm_ms: remote,
      dispatch_overhead_ms: Number(dispatchOverheadMs.toFixed(1)),
      enqueue_100k_s: Number(enqueueS.toFixed(1)),
      rss_mb: Math.round(big.peakRssKb / 1024),
      rebuild_compiles: rebuildCompiles,
    };
    writeFileSync(
      process.env.BENCH_OUT ?? path.join(os.tmpdir(), 'bench-swarm.json'),
      JSON.stringify(results),
    );
  } finally {
    await swarm.stop();
  }
});
