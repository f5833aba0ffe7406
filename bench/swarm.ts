/**
 * bench:swarm — what the swarm backend adds, measured against the local backend in the same run:
 *
 *   dispatch_overhead_ms  per-run cost of swarm over local on 200 near-empty runs, one at a time on
 *                         both sides (median of BENCH_REPETITIONS, default 3); bar: <= 50
 *   enqueue_100k_s        planning done -> all 100,000 runs of Huge100k queued; bar: <= 15
 *   rss_mb                peak RSS of that client process; bar: <= 300
 *   rebuild_compiles      compiler invocations caused by a second submission of an unchanged source; bar: 0
 *
 * The services run in one process (bench/swarm-dispatch.vitest.ts), so container start-up and
 * overlay networking are not in the figures. The last line printed is machine-readable:
 *   dispatch_overhead_ms=<n> enqueue_100k_s=<n> rss_mb=<n> rebuild_compiles=<n>
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'bench-swarm-')), 'results.json');
const run = spawnSync('npx', ['vitest', 'run', '--config', 'bench/vitest.swarm.config.ts'], {
  cwd: root,
  env: { ...process.env, BENCH_OUT: out },
  stdio: ['ignore', 'inherit', 'inherit'],
});
if (run.status !== 0) {
  process.stderr.write('bench:swarm: the measurements failed\n');
  process.exit(1);
}
const results = JSON.parse(readFileSync(out, 'utf8')) as Record<string, number | number[]>;
process.stdout.write(`local Empty (200 runs, -j1): ${JSON.stringify(results.local_ms)} ms\n`);
process.stdout.write(`swarm Empty (200 runs, 1 runner slot): ${JSON.stringify(results.swarm_ms)} ms\n`);
process.stdout.write(
  `dispatch_overhead_ms=${String(results.dispatch_overhead_ms)} enqueue_100k_s=${String(results.enqueue_100k_s)} ` +
    `rss_mb=${String(results.rss_mb)} rebuild_compiles=${String(results.rebuild_compiles)}\n`,
);
