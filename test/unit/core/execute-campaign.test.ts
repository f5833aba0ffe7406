import { describe, expect, it } from 'vitest';
import type { CampaignPlan } from '../../../lib/core/campaign.js';
import { executeCampaign, type ExecutionOptions } from '../../../lib/core/execute-campaign.js';
import { decideResume } from '../../../lib/core/resume.js';
import { RuntimeEstimator } from '../../../lib/core/runtime-history.js';
import {
  InMemoryHistoryStore,
  InMemoryManifestStore,
  InMemoryResultFileStore,
  RecordingObserver,
} from '../../fakes/in-memory-stores.js';
import { ScriptedRunExecutor, type Behaviour } from '../../fakes/scripted-run-executor.js';
import { runSpec } from '../../support/run-spec.js';

const runs = [0, 1, 2, 3, 4, 5].map((n) => runSpec(n));
const plan: CampaignPlan = {
  campaignId: 'camp',
  program: './sim',
  args: ['-c', 'C'],
  workingDir: '/w',
  resultDir: '/w/results',
  configName: 'C',
  runs,
  startupMs: 1,
};
const options: ExecutionOptions = {
  jobs: 2,
  maxBatchSize: 1,
  runTimeoutMs: null,
  maxRetries: 2,
  retryDelayMs: 1,
  sessionId: 's1',
  fingerprint: 'f1',
};

function setup(script: (run: number, attempt: number) => Behaviour) {
  const files = new InMemoryResultFileStore();
  const executor = new ScriptedRunExecutor(files, (n) => runSpec(n).resultStem, script);
  const manifest = new InMemoryManifestStore();
  const history = new InMemoryHistoryStore();
  const observer = new RecordingObserver();
  const deps = { executor, files, manifest, history, observer, now: () => Date.now() };
  const run = (overrides: Partial<ExecutionOptions> = {}, stop = new AbortController().signal) =>
    executeCampaign(
      plan,
      runs,
      0,
      {},
      new RuntimeEstimator('camp', 'C', []),
      { ...options, ...overrides },
      deps,
      stop,
    );
  return { files, executor, manifest, history, observer, run };
}

describe('executing a campaign', () => {
  it('runs every run once and records each with its result files', async () => {
    const { run, manifest, executor, history } = setup(() => 'ok');
    const outcome = await run();
    expect(outcome.counts).toMatchObject({ total: 6, ok: 6, failed: 0, lost: 0 });
    expect(executor.processes.flat().sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(manifest.records.map((r) => r.status)).toEqual(Array(6).fill('ok'));
    expect(manifest.records[0]?.files.map((f) => f.path).sort()).toEqual([
      'results/C-x=0-#0.out',
      'results/C-x=0-#0.sca',
    ]);
    expect(manifest.records[0]?.events).toBe(100);
    expect(history.samples).toHaveLength(6);
  });

  it('isolates a failed run and never retries a simulation error', async () => {
    const { run, executor } = setup((n) => (n === 2 ? 'sim-error' : 'ok'));
    const outcome = await run();
    expect(outcome.counts).toMatchObject({ ok: 5, failed: 1 });
    expect(executor.processes.filter((p) => p.includes(2))).toHaveLength(1);
    expect(outcome.problems[0]?.failure).toEqual({
      kind: 'simulation-error',
      message: '<!> Error: boom -- at t=1s, event #5',
    });
  });

  it('retries a run lost to a signal and records every attempt', async () => {
    const { run, manifest } = setup((n, attempt) => (n === 1 && attempt < 3 ? 'sigkill' : 'ok'));
    const outcome = await run();
    expect(outcome.counts).toMatchObject({ ok: 6, lost: 0 });
    expect(manifest.records.filter((r) => r.runNumber === 1).map((r) => [r.status, r.attempt])).toEqual([
      ['lost', 1],
      ['lost', 2],
      ['ok', 3],
    ]);
  });

  it('gives up after the configured retries', async () => {
    const { run } = setup((n) => (n === 1 ? 'sigkill' : 'ok'));
    const outcome = await run({ maxRetries: 1 });
    expect(outcome.counts).toMatchObject({ ok: 5, lost: 1 });
    expect(outcome.problems[0]).toMatchObject({ runNumber: 1, attempt: 2, status: 'lost' });
  });

  it('re-queues batch-mates skipped after an error in their batch', async () => {
    const many = [...Array(16).keys()].map((n) => runSpec(n));
    const { executor, files, manifest, history, observer } = setup((n) => (n === 0 ? 'sim-error' : 'ok'));
    // Runs known to be far shorter than the program's start-up make batches of -b 4.
    const estimator = new RuntimeEstimator(
      'camp',
      'C',
      many.map((r) => ({
        campaignId: 'camp',
        configName: 'C',
        runNumber: r.runNumber,
        parameterKey: `$x=${r.runNumber}`,
        durationMs: 1,
      })),
    );
    const outcome = await executeCampaign(
      { ...plan, runs: many, startupMs: 100 },
      many,
      0,
      {},
      estimator,
      { ...options, jobs: 1, maxBatchSize: 4 },
      { executor, files, manifest, history, observer, now: () => Date.now() },
      new AbortController().signal,
    );
    expect(executor.processes[0]).toEqual([0, 1, 2, 3]);
    expect(executor.processes[1]).toEqual([1, 2, 3]);
    expect(outcome.counts).toMatchObject({ ok: 15, failed: 1 });
    expect(manifest.records.filter((r) => r.runNumber === 1)).toHaveLength(1);
    expect(manifest.records.find((r) => r.runNumber === 1)?.batchSize).toBe(3);
  });

  it('stops starting runs on abort and marks the running ones interrupted', async () => {
    const { run, manifest, executor } = setup((n) => (n === 1 ? 'hang' : 'ok'));
    const stop = new AbortController();
    const pending = run({ jobs: 2 }, stop.signal);
    await new Promise((resolve) => setTimeout(resolve, 20));
    stop.abort();
    const outcome = await pending;
    expect(outcome.counts.interrupted).toBe(1);
    expect(manifest.records.find((r) => r.runNumber === 1)?.status).toBe('interrupted');
    expect(executor.processes.length).toBeLessThan(7);
    expect(outcome.counts.ok + outcome.counts.interrupted).toBe(executor.processes.length);
  });
});

describe('resuming', () => {
  it('keeps intact runs and re-runs failed, missing and changed ones', async () => {
    const { run, manifest, files } = setup((n) => (n === 2 ? 'sim-error' : 'ok'));
    await run();
    files.files.delete('results/C-x=3-#0.sca');
    files.write('results/C-x=4-#0.sca', 'corrupted');
    const decision = await decideResume(runs, manifest.records, 'f1', files, false);
    expect(decision.reused.map((r) => r.runNumber)).toEqual([0, 1, 5]);
    expect(decision.todo.map((r) => r.runNumber)).toEqual([2, 3, 4]);
    expect(decision.reasons).toEqual({ failed: 1, 'missing-file': 1, 'changed-file': 1 });
  });

  it('re-runs everything when the program changed, or when forced', async () => {
    const { run, manifest, files } = setup(() => 'ok');
    await run();
    expect((await decideResume(runs, manifest.records, 'f2', files, false)).reasons).toEqual({ stale: 6 });
    expect((await decideResume(runs, manifest.records, 'f1', files, true)).reasons).toEqual({ forced: 6 });
  });

  it('re-runs a run number whose parameters changed in the ini file', async () => {
    const { run, manifest, files } = setup(() => 'ok');
    await run();
    const edited = runs.map((r) => (r.runNumber === 0 ? runSpec(0, 'other') : r));
    expect((await decideResume(edited, manifest.records, 'f1', files, false)).reasons).toEqual({
      'different-run': 1,
    });
  });
});
