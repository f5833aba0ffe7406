import type { RunRecord } from '../../lib/core/campaign.js';

/** A plausible manifest record of a finished run of config C; tests override what they care about. */
export function runRecord(runNumber: number, overrides: Partial<RunRecord> = {}): RunRecord {
  const failed = overrides.status !== undefined && overrides.status !== 'ok';
  return {
    v: 1,
    runNumber,
    configName: 'C',
    description: `$x=${runNumber}, $repetition=0`,
    status: 'ok',
    attempt: 1,
    failure: failed ? { kind: 'signal', message: 'killed by SIGKILL' } : null,
    exitCode: failed ? null : 0,
    signal: failed ? 'SIGKILL' : null,
    startedAt: '2026-11-24T00:00:00.000Z',
    endedAt: '2026-11-24T00:00:01.000Z',
    durationMs: 1000,
    events: 10,
    simTime: '5',
    termination: '<!> Simulation time limit reached -- at t=5s, event #10',
    peakRssKb: null,
    host: 'h',
    argv: ['./sim', '-r', String(runNumber)],
    batchSize: 1,
    sessionId: 's',
    fingerprint: 'f',
    files: [{ path: `results/C-x=${runNumber}-#0.sca`, size: 3, mtimeMs: 1, sha256: 'a'.repeat(64) }],
    ...overrides,
  };
}
