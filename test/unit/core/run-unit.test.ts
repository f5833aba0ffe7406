import { describe, expect, it } from 'vitest';
import { executeUnit } from '../../../lib/core/run-unit.js';
import { readInvocation } from '../../../lib/core/simulation-args.js';
import { InMemoryResultFileStore } from '../../fakes/in-memory-stores.js';
import { ScriptedRunExecutor } from '../../fakes/scripted-run-executor.js';
import { runSpec } from '../../support/run-spec.js';

function runner(script: (run: number) => 'ok' | 'sim-error' | 'sigkill') {
  const files = new InMemoryResultFileStore();
  const executor = new ScriptedRunExecutor(
    files,
    (n) => runSpec(n).resultStem,
    (run) => script(run),
  );
  return { files, executor };
}

const request = (runs: number[]) => ({
  runs: runs.map((n) => runSpec(n)),
  invocation: readInvocation(['-c', 'C']),
  runTimeoutMs: null,
  attemptOf: () => 1,
  sessionId: 's',
  fingerprint: 'f',
});

describe('the runner', () => {
  it('runs a batch in one process, like opp_runall', async () => {
    const deps = runner(() => 'ok');
    const unit = await executeUnit(request([3, 4, 5]), deps, new AbortController().signal);
    expect(unit.execution.argv).toEqual([
      './sim',
      '-c',
      'C',
      '-s',
      '-u',
      'Cmdenv',
      '--cmdenv-redirect-output=true',
      '-r',
      '3,4,5',
    ]);
    expect(unit.skipped).toEqual([]);
    const records = await unit.settle();
    expect(records.map((r) => [r.runNumber, r.status, r.batchSize])).toEqual([
      [3, 'ok', 3],
      [4, 'ok', 3],
      [5, 'ok', 3],
    ]);
    expect(records[0]?.durationMs).toBe(20); // from the run's own Cmdenv output, not the process
  });

  it('hands back the batch-mates skipped after an error, and records the rest', async () => {
    const deps = runner((run) => (run === 4 ? 'sim-error' : 'ok'));
    const unit = await executeUnit(request([3, 4, 5, 6]), deps, new AbortController().signal);
    expect(unit.skipped.map((r) => r.runNumber)).toEqual([5, 6]);
    expect((await unit.settle()).map((r) => [r.runNumber, r.status])).toEqual([
      [3, 'ok'],
      [4, 'failed'],
    ]);
  });

  it('records a lone run killed by a signal as lost, for the caller to retry', async () => {
    const deps = runner(() => 'sigkill');
    const unit = await executeUnit(request([7]), deps, new AbortController().signal);
    const [record] = await unit.settle();
    expect(record).toMatchObject({
      runNumber: 7,
      status: 'lost',
      failure: { kind: 'signal' },
      signal: 'SIGKILL',
    });
  });
});
