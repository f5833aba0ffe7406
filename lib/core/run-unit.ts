/**
 * The runner: executes one unit (a run, or a batch of runs sharing a process) and turns what happened
 * into run records. Every backend runs simulations through this one function: the local backend in
 * the CLI process, the swarm runners next to their queue.
 *
 * It works in two steps so that a caller can free the job slot as soon as the process ends:
 * `executeUnit` resolves when the process has ended and tells which batch-mates never started;
 * `settle` then reads each run's output, classifies it and checksums its result files.
 */
import type { RunRecord, RunSpec } from './campaign.js';
import { parseCmdenvOutput, startedRunsInBatch } from './omnetpp-output.js';
import { classifyRun, type RunPosition } from './outcome.js';
import { runArgs, type SimulationInvocation } from './simulation-args.js';
import type { Execution, RunExecutor } from '../ports/run-executor.js';
import type { ResultFileStore } from '../ports/result-file-store.js';

export interface UnitRequest {
  /** The runs of the unit, in the order they were queued. */
  readonly runs: readonly RunSpec[];
  readonly invocation: SimulationInvocation;
  /** Per-run wall-clock limit; null for none. The unit gets the sum. */
  readonly runTimeoutMs: number | null;
  /** Which attempt this is for each run (1 for the first). */
  readonly attemptOf: (runNumber: number) => number;
  readonly sessionId: string;
  readonly fingerprint: string;
}

export interface RunnerDeps {
  readonly executor: RunExecutor;
  readonly files: ResultFileStore;
}

export interface UnitExecution {
  readonly execution: Execution;
  /** Batch-mates the program never started (it stops a batch at the first error): queue them again. */
  readonly skipped: readonly RunSpec[];
  /** Records of the runs that started, one each, in unit order. */
  settle(): Promise<RunRecord[]>;
}

/** The argv (after the program) that runs the unit. */
export function unitArgs(request: Pick<UnitRequest, 'runs' | 'invocation'>): string[] {
  return runArgs(
    request.invocation,
    request.runs.map((r) => r.runNumber),
  );
}

export async function executeUnit(
  request: UnitRequest,
  deps: RunnerDeps,
  stop: AbortSignal,
): Promise<UnitExecution> {
  const { runs } = request;
  const timeoutMs = request.runTimeoutMs === null ? null : request.runTimeoutMs * runs.length;
  const execution = await deps.executor.execute({ args: unitArgs(request), timeoutMs }, stop);
  const announced = startedRunsInBatch(execution.stdout);
  const position = (run: RunSpec) => positionOf(run.runNumber, runs.length, announced);
  const skipped = execution.spawnError === null ? runs.filter((run) => position(run) === 'not-started') : [];
  const started = runs.filter((run) => !skipped.includes(run));

  const settle = async (): Promise<RunRecord[]> => {
    const records: RunRecord[] = [];
    for (const run of started) {
      const outText = await deps.files.readOutput(run.resultStem, execution.startedAt);
      // Without output redirection (or before the .out exists) a single run's output is its stdout.
      const text = outText ?? (runs.length === 1 ? execution.stdout : '');
      const output = parseCmdenvOutput(text);
      const verdict = classifyRun(execution, text === '' ? null : output, position(run));
      if (verdict.status === 'skipped') continue;
      records.push({
        v: 1,
        runNumber: run.runNumber,
        configName: run.configName,
        description: run.description,
        status: verdict.status,
        failure: verdict.failure,
        attempt: request.attemptOf(run.runNumber),
        exitCode: execution.exitCode,
        signal: execution.signal,
        startedAt: execution.startedAt.toISOString(),
        endedAt: execution.endedAt.toISOString(),
        // A batch-mate's own time comes from its Cmdenv output; a lone run's is the process's.
        durationMs:
          runs.length === 1 || output.progress === null
            ? execution.endedAt.getTime() - execution.startedAt.getTime()
            : Math.round(output.progress.elapsedSeconds * 1000),
        events: output.progress?.events ?? null,
        simTime: output.progress?.simTime ?? null,
        termination: output.termination,
        peakRssKb: execution.peakRssKb,
        host: execution.host,
        argv: execution.argv,
        batchSize: runs.length,
        sessionId: request.sessionId,
        fingerprint: request.fingerprint,
        files: await deps.files.collect(run.resultStem, execution.startedAt),
      });
    }
    return records;
  };
  return { execution, skipped, settle };
}

function positionOf(runNumber: number, unitSize: number, announced: readonly number[]): RunPosition {
  // A single run is always the one in progress, even if the program printed no announcement.
  if (unitSize === 1) return 'last-started';
  const index = announced.indexOf(runNumber);
  if (index < 0) return 'not-started';
  return index === announced.length - 1 ? 'last-started' : 'completed-earlier';
}
