import { describe, expect, it } from 'vitest';
import { parseCmdenvOutput } from '../../../lib/core/omnetpp-output.js';
import { classifyRun, type ProcessEnd } from '../../../lib/core/outcome.js';

const end = (overrides: Partial<ProcessEnd> = {}): ProcessEnd => ({
  exitCode: 0,
  signal: null,
  timedOut: false,
  interrupted: false,
  stderr: '',
  spawnError: null,
  ...overrides,
});
const finished = parseCmdenvOutput(
  '** Event #10   t=5   Elapsed: 0.1s\n\n<!> Simulation time limit reached -- at t=5s, event #10\n',
);
const failed = parseCmdenvOutput(
  '** Event #3   t=1   Elapsed: 0.1s\n\n<!> Error: Queue overflow -- at t=1s, event #3\n',
);
const cutOff = parseCmdenvOutput('** Event #3   t=1   Elapsed: 0.1s\n');

describe('classifying a run', () => {
  it('accepts a run that reached its termination condition', () => {
    expect(classifyRun(end(), finished, 'last-started')).toEqual({
      status: 'ok',
      failure: null,
      retryable: false,
    });
  });

  it('never retries a simulation error', () => {
    expect(classifyRun(end({ exitCode: 1 }), failed, 'last-started')).toEqual({
      status: 'failed',
      failure: { kind: 'simulation-error', message: '<!> Error: Queue overflow -- at t=1s, event #3' },
      retryable: false,
    });
  });

  it('retries a run killed by a signal', () => {
    expect(classifyRun(end({ exitCode: null, signal: 'SIGKILL' }), cutOff, 'last-started')).toMatchObject({
      status: 'lost',
      failure: { kind: 'signal', message: 'killed by SIGKILL' },
      retryable: true,
    });
  });

  it('sees a signal behind a wrapper script exit code (128+N)', () => {
    expect(classifyRun(end({ exitCode: 139 }), cutOff, 'last-started')).toMatchObject({
      failure: { kind: 'signal', message: 'killed by SIGSEGV' },
      retryable: true,
    });
  });

  it('retries a run that ran out of memory', () => {
    expect(
      classifyRun(
        end({ exitCode: 1, stderr: 'terminate called after throwing std::bad_alloc' }),
        cutOff,
        'last-started',
      ),
    ).toMatchObject({
      failure: { kind: 'out-of-memory' },
      retryable: true,
    });
  });

  it('retries a run that exceeded the timeout', () => {
    expect(
      classifyRun(end({ exitCode: null, signal: 'SIGTERM', timedOut: true }), cutOff, 'last-started'),
    ).toMatchObject({
      failure: { kind: 'timeout' },
      retryable: true,
    });
  });

  it('does not trust the results of a run we interrupted, however complete they look', () => {
    expect(classifyRun(end({ interrupted: true }), finished, 'last-started')).toMatchObject({
      status: 'interrupted',
      retryable: false,
    });
  });

  it('judges an earlier batch-mate by its own output, not by the process exit', () => {
    expect(classifyRun(end({ exitCode: 1, interrupted: true }), finished, 'completed-earlier').status).toBe(
      'ok',
    );
  });

  it('marks batch-mates that never started as skipped', () => {
    expect(classifyRun(end({ exitCode: 1 }), null, 'not-started')).toEqual({ status: 'skipped' });
  });

  it('fails a non-zero exit without any error text, quoting the exit code', () => {
    expect(classifyRun(end({ exitCode: 3 }), null, 'last-started')).toMatchObject({
      status: 'failed',
      failure: { kind: 'exit-code', message: 'exited with code 3 without reporting an error' },
    });
  });

  it('reports a program that could not be started', () => {
    expect(
      classifyRun(end({ exitCode: null, spawnError: 'cannot start ./x: EACCES' }), null, 'last-started'),
    ).toMatchObject({
      status: 'failed',
      failure: { kind: 'spawn-error' },
    });
  });
});
