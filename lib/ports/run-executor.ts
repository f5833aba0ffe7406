import type { ProcessEnd } from '../core/outcome.js';

/** One process to start: a run, or a batch of runs sharing the process. */
export interface ExecutionRequest {
  readonly args: readonly string[];
  /** Kill the process after this long (ms); null for no limit. */
  readonly timeoutMs: number | null;
}

export interface Execution extends ProcessEnd {
  /** The process's full argv, program first. */
  readonly argv: readonly string[];
  readonly stdout: string;
  readonly startedAt: Date;
  readonly endedAt: Date;
  readonly peakRssKb: number | null;
  readonly host: string;
}

/** Executes simulation processes; one implementation per backend (local processes, swarm runners). */
export interface RunExecutor {
  /** Runs one process to its end; aborting `signal` stops it and resolves with `interrupted: true`. */
  execute(request: ExecutionRequest, signal: AbortSignal): Promise<Execution>;
}
