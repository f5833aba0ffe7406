import { describe, expect, it } from 'vitest';
import { ObservedParallelism, RemainingTimeForecast } from '../../../lib/core/eta.js';
import { RuntimeEstimator, type RuntimeSample } from '../../../lib/core/runtime-history.js';
import { runSpec } from '../../support/run-spec.js';

const sample = (runNumber: number, durationMs: number): RuntimeSample => ({
  campaignId: 'camp',
  configName: 'C',
  runNumber,
  parameterKey: `$x=${runNumber}`,
  durationMs,
});

const forecastWith = (history: RuntimeSample[]) =>
  new RemainingTimeForecast(new RuntimeEstimator('camp', 'C', history));

describe('remaining time forecast', () => {
  it('spreads the expected work of the pending runs over the slots', () => {
    const forecast = forecastWith([sample(0, 100), sample(1, 300), sample(2, 200), sample(3, 400)]);
    const pending = [runSpec(0), runSpec(1), runSpec(2), runSpec(3)];
    expect(forecast.remainingMs(pending, [], 2, 0, pending.length)).toBe(500);
  });

  it('uses the expected durations of the runs left, not the mean of those done', () => {
    // The heavy runs ran first (longest first); what is left is light.
    const forecast = forecastWith([sample(0, 3000), sample(1, 3000), sample(2, 100), sample(3, 100)]);
    expect(forecast.remainingMs([runSpec(2), runSpec(3)], [], 2, 0, 2)).toBe(100);
  });

  it('never promises less than the longest run still to go', () => {
    const forecast = forecastWith([sample(0, 10_000), sample(1, 100)]);
    expect(forecast.remainingMs([runSpec(0), runSpec(1)], [], 8, 0, 2)).toBe(10_000);
  });

  it('counts what is left of the runs in flight, never less than nothing', () => {
    const forecast = forecastWith([sample(0, 1000), sample(1, 1000)]);
    const inFlight = [
      { runs: [runSpec(0)], startedAt: 0 },
      { runs: [runSpec(1)], startedAt: -5000 },
    ];
    expect(forecast.remainingMs([], inFlight, 2, 400, 0)).toBe(600);
  });

  it('falls back to the median of the config for runs never seen', () => {
    const forecast = forecastWith([sample(0, 100), sample(1, 200), sample(2, 900)]);
    expect(forecast.remainingMs([runSpec(7), runSpec(8)], [], 1, 0, 2)).toBe(400);
  });

  it('knows nothing before any run has a duration', () => {
    expect(forecastWith([]).remainingMs([runSpec(0)], [], 2, 0, 1)).toBeNull();
    expect(forecastWith([]).remainingMs([], [], 2, 0, 0)).toBe(0);
  });

  it('scales the history by the pace observed in this campaign, within limits', () => {
    const forecast = forecastWith([sample(0, 100), sample(1, 100), sample(2, 100)]);
    forecast.learn(runSpec(0), sample(0, 200));
    expect(forecast.pace()).toBe(2);
    expect(forecast.remainingMs([runSpec(1), runSpec(2)], [], 1, 0, 2)).toBe(400);
    forecast.learn(runSpec(1), sample(1, 100_000));
    expect(forecast.pace()).toBe(4);
  });

  it('recomputes a large queue at most once a second and counts down in between', () => {
    const history = Array.from({ length: 3000 }, (_, i) => sample(i, 10));
    const pending = Array.from({ length: 3000 }, (_, i) => runSpec(i));
    const forecast = forecastWith(history);
    expect(forecast.remainingMs(pending, [], 1, 0, pending.length)).toBe(30_000);
    expect(forecast.remainingMs(pending.slice(1000), [], 1, 400, 2000 + 1)).toBe(29_600);
    expect(forecast.remainingMs(pending.slice(1000), [], 1, 1000, 2000 + 1)).toBe(20_000);
  });
});

describe('observed parallelism', () => {
  it('is the busy time of recent runs over the time they span', () => {
    const observed = new ObservedParallelism();
    expect(observed.slots()).toBeNull();
    // Two lanes of back-to-back runs of 100 ms for 1 s.
    for (let t = 0; t < 1000; t += 100) {
      observed.record(t, t + 100);
      observed.record(t, t + 100);
    }
    expect(observed.slots()).toBeCloseTo(2, 5);
  });

  it('forgets runs beyond its window', () => {
    const observed = new ObservedParallelism(4);
    for (let t = 0; t < 400; t += 100) observed.record(t, t + 100);
    for (let t = 400; t < 600; t += 100) {
      observed.record(t, t + 100);
      observed.record(t, t + 100);
    }
    expect(observed.slots()).toBeCloseTo(2, 5);
  });
});
