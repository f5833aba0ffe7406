import { describe, expect, it } from 'vitest';
import type { CampaignSummary } from '../../../../lib/ports/campaign-store.js';
import { campaignProgress, type ActiveUnit } from '../../../../lib/swarm/dashboard/campaign-progress.js';

const NOW = Date.parse('2026-11-24T12:00:00Z');
const SECOND = 1000;

/** 100 runs; `ok` of them succeeded in 10 s each (the mean the ETA uses), `failed` failed. */
function summary(ok: number, failed = 0): CampaignSummary {
  return {
    campaignId: 'c-1',
    artifactKey: 'artifact-1',
    program: './demo',
    args: [],
    workingDir: '.',
    resultDir: 'results',
    runTimeoutMs: null,
    sessionId: 's1',
    fingerprint: 'f1',
    configName: 'Uniform',
    totalRuns: 100,
    submittedAt: '2026-11-24T10:00:00.000Z',
    runs: { ok, failed, lost: 0, interrupted: 0 },
    okDurationMs: ok * 10 * SECOND,
  };
}

/** A unit of `runs` runs a runner took `ranMs` ago. */
const unit = (runs: number, ranMs: number): ActiveUnit => ({ runs, startedAt: NOW - ranMs });

describe('campaignProgress', () => {
  it('spreads the mean duration of the runs left over the executing units', () => {
    // 40 done, 4 units of 1 run just taken: 60 runs x 10 s / 4 slots.
    const progress = campaignProgress(
      summary(38, 2),
      [0, 0, 0, 0].map((ran) => unit(1, ran)),
      NOW,
    );
    expect(progress).toMatchObject({ running: 4, remaining: 60, etaMs: 150 * SECOND });
  });

  it('takes off the time the executing units have run already', () => {
    // 56 runs not started (560 s) + 4 units 6 s into their 10 s (4 x 4 s): 576 s / 4 slots.
    const progress = campaignProgress(
      summary(40),
      [6, 6, 6, 6].map((s) => unit(1, s * SECOND)),
      NOW,
    );
    expect(progress.etaMs).toBe(144 * SECOND);
  });

  it('counts down while the last runs execute, instead of staying at one mean duration', () => {
    // The last two runs, one unit each: 3 s and 8 s into their expected 10 s.
    const progress = campaignProgress(summary(98), [unit(1, 3 * SECOND), unit(1, 8 * SECOND)], NOW);
    expect(progress).toMatchObject({ remaining: 2, etaMs: 7 * SECOND });
  });

  it("expects a batch's runs one after the other, and a unit past its expected end to end soon", () => {
    // 96 ok, 4 left: a batch of 3 runs 5 s in (25 s left), a single run 30 s in (0 left).
    const progress = campaignProgress(summary(96), [unit(3, 5 * SECOND), unit(1, 30 * SECOND)], NOW);
    expect(progress).toMatchObject({ running: 4, remaining: 4, etaMs: 25 * SECOND });
  });

  it('never promises less than the next run not yet started', () => {
    // 3 runs left, 2 executing nearly done: the third still takes a whole mean duration.
    const progress = campaignProgress(summary(97), [unit(1, 9 * SECOND), unit(1, 9 * SECOND)], NOW);
    expect(progress.etaMs).toBe(10 * SECOND);
  });

  it('reads a unit without a start time as just started', () => {
    const progress = campaignProgress(summary(99), [{ runs: 1, startedAt: null }], NOW);
    expect(progress.etaMs).toBe(10 * SECOND);
  });

  it('has no ETA before a run succeeded or while nothing executes, and 0 when all are done', () => {
    expect(campaignProgress(summary(0, 5), [unit(1, 0)], NOW).etaMs).toBeNull();
    expect(campaignProgress(summary(50), [], NOW).etaMs).toBeNull();
    expect(campaignProgress(summary(90, 10), [], NOW)).toMatchObject({ remaining: 0, etaMs: 0 });
  });
});
