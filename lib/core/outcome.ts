/**
 * Classifying how a simulation process ended, per run. The distinction that matters: a simulation
 * error is deterministic (the same run fails the same way again, so it is never retried), while a
 * signal, an out-of-memory death or a timeout says nothing about the model and is retried.
 */
import type { FailureKind, RunFailure, RunStatus } from './campaign.js';
import type { CmdenvRunOutput } from './omnetpp-output.js';

export interface ProcessEnd {
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  /** We stopped it on the user's request. */
  readonly interrupted: boolean;
  readonly stderr: string;
  /** Set when the program could not be started at all. */
  readonly spawnError: string | null;
}

export type RunVerdict =
  | { readonly status: RunStatus; readonly failure: RunFailure | null; readonly retryable: boolean }
  | { readonly status: 'skipped' };

const OUT_OF_MEMORY = /std::bad_alloc|out of memory|Cannot allocate memory/i;

const SIGNAL_NAMES: Record<number, string> = {
  1: 'SIGHUP',
  2: 'SIGINT',
  4: 'SIGILL',
  6: 'SIGABRT',
  7: 'SIGBUS',
  8: 'SIGFPE',
  9: 'SIGKILL',
  11: 'SIGSEGV',
  13: 'SIGPIPE',
  15: 'SIGTERM',
};

function failure(kind: FailureKind, message: string, retryable: boolean): RunVerdict {
  const status: RunStatus = kind === 'interrupted' ? 'interrupted' : retryable ? 'lost' : 'failed';
  return { status, failure: { kind, message }, retryable };
}

/** Where a run stood in its process when the process ended (batches run several in order). */
export type RunPosition = 'completed-earlier' | 'last-started' | 'not-started';

/**
 * The verdict for one run of a process.
 * @param output the run's parsed Cmdenv output, or null if it produced none
 */
export function classifyRun(
  end: ProcessEnd,
  output: CmdenvRunOutput | null,
  position: RunPosition,
): RunVerdict {
  if (end.spawnError !== null) return failure('spawn-error', end.spawnError, false);
  if (position === 'not-started') return { status: 'skipped' };
  const simulationError = output?.errors.at(-1);
  if (position === 'completed-earlier') {
    // The process went on to the next run, so this one ended by itself: its output is the verdict.
    return simulationError !== undefined
      ? failure('simulation-error', simulationError, false)
      : { status: 'ok', failure: null, retryable: false };
  }
  // A run we cut off may still have written complete-looking results (OMNeT++ finalises on SIGTERM).
  if (end.interrupted) return failure('interrupted', 'stopped by inet-swarm on request', false);
  if (end.timedOut) return failure('timeout', 'exceeded --run-timeout and was killed', true);
  if (
    OUT_OF_MEMORY.test(end.stderr) ||
    (output?.termination != null && OUT_OF_MEMORY.test(output.termination))
  ) {
    return failure('out-of-memory', 'ran out of memory', true);
  }
  if (simulationError !== undefined) return failure('simulation-error', simulationError, false);
  const signal = end.signal ?? signalFromShellExitCode(end.exitCode);
  if (signal !== null) return failure('signal', `killed by ${signal}`, true);
  if (end.exitCode === 0) return { status: 'ok', failure: null, retryable: false };
  const stderrError = end.stderr.split('\n').find((l) => l.startsWith('<!> Error'));
  return failure(
    'exit-code',
    stderrError ?? `exited with code ${String(end.exitCode)} without reporting an error`,
    false,
  );
}

/** Wrapper scripts such as INET's `inet` report a child's death by signal N as exit code 128+N. */
function signalFromShellExitCode(exitCode: number | null): string | null {
  if (exitCode === null || exitCode <= 128 || exitCode > 128 + 64) return null;
  return SIGNAL_NAMES[exitCode - 128] ?? `signal ${exitCode - 128}`;
}
