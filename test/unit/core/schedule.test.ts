import { describe, expect, it } from 'vitest';
import { RuntimeEstimator, type RuntimeSample } from '../../../lib/core/runtime-history.js';
import { batchSizeFor, priorityOrder, PendingRuns } from '../../../lib/core/schedule.js';
import { runSpec } from '../../support/run-spec.js';

const sample = (runNumber: number, durationMs: number, x = String(runNumber)): RuntimeSample => ({
  campaignId: 'camp',
  configName: 'C',
  runNumber,
  parameterKey: `$x=${x}`,
  durationMs,
});

describe('priority order', () => {
  it('keeps run order when nothing is known', () => {
    const runs = [runSpec(2), runSpec(0), runSpec(1)];
    expect(priorityOrder(runs, new RuntimeEstimator('camp', 'C', [])).map((r) => r.runNumber)).toEqual([
      0, 1, 2,
    ]);
  });

  it('puts the longest expected runs first', () => {
    const history = [sample(0, 100), sample(1, 5000), sample(2, 300)];
    const runs = [runSpec(0), runSpec(1), runSpec(2)];
    expect(priorityOrder(runs, new RuntimeEstimator('camp', 'C', history)).map((r) => r.runNumber)).toEqual([
      1, 2, 0,
    ]);
  });

  it('probes unknown runs before known ones', () => {
    const history = [sample(0, 100), sample(1, 5000)];
    const runs = [runSpec(0), runSpec(1), runSpec(2)];
    expect(priorityOrder(runs, new RuntimeEstimator('camp', 'C', history)).map((r) => r.runNumber)).toEqual([
      2, 1, 0,
    ]);
  });

  it('estimates a new repetition from the same parameters', () => {
    const estimator = new RuntimeEstimator('camp', 'C', [sample(0, 800, 'a'), sample(1, 1200, 'a')]);
    expect(estimator.estimate(runSpec(7, 'a', '2'))).toBe(1000);
  });

  it('uses the median of the config for runs never seen, following new samples', () => {
    const estimator = new RuntimeEstimator('camp', 'C', [sample(0, 100), sample(1, 300), sample(2, 200)]);
    expect(estimator.typical()).toBe(200);
    for (let n = 3; n < 40; n++) estimator.learn(sample(n, 1000));
    expect(estimator.typical()).toBe(1000);
  });

  it('ignores the history of other campaigns', () => {
    const estimator = new RuntimeEstimator('other', 'C', [sample(0, 800)]);
    expect(estimator.estimate(runSpec(0))).toBeNull();
  });
});

describe('batching', () => {
  const options = { maxBatchSize: 10, startupMs: 50, jobs: 2 };

  it('runs one run per process when runs are long compared to start-up', () => {
    expect(batchSizeFor(2000, 100, options)).toBe(1);
  });

  it('batches runs that are short compared to start-up', () => {
    expect(batchSizeFor(50, 1000, options)).toBe(9);
  });

  it('respects -b', () => {
    expect(batchSizeFor(1, 1000, { ...options, maxBatchSize: 3 })).toBe(3);
    expect(batchSizeFor(1, 1000, { ...options, maxBatchSize: 1 })).toBe(1);
  });

  it('shrinks batches near the end so every job stays busy', () => {
    expect(batchSizeFor(1, 16, options)).toBe(2);
  });

  it('does not batch before anything is known', () => {
    expect(batchSizeFor(null, 1000, options)).toBe(1);
  });

  it('takes consecutive runs of the queue into one batch and requeues at the front', () => {
    const numbers = [...Array(16).keys()];
    const history = numbers.map((n) => sample(n, 1));
    const queue = new PendingRuns(
      numbers.map((n) => runSpec(n)),
      new RuntimeEstimator('camp', 'C', history),
      {
        maxBatchSize: 2,
        startupMs: 50,
        jobs: 1,
      },
    );
    const first = queue.take();
    expect(first.map((r) => r.runNumber)).toEqual([0, 1]);
    queue.requeueFront([first[1] ?? runSpec(1)]);
    expect(queue.take().map((r) => r.runNumber)).toEqual([1, 2]);
    expect(queue.size).toBe(13);
  });
});
