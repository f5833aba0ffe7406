/**
 * The campaign model shared by every backend: what a campaign is, what one run is, and the record
 * kept for each finished run.
 */
import type { IterationVariable } from './omnetpp-output.js';

/** One run of the study, as the simulation program itself enumerated it. */
export interface RunSpec {
  readonly runNumber: number;
  readonly configName: string;
  readonly variables: readonly IterationVariable[];
  /** `$numHosts=10, $iaMean=1, $repetition=0`: the run's identity within its config. */
  readonly description: string;
  /** Result file stem, e.g. `AlohaCampaign-numHosts=10,iaMean=1-#0`. */
  readonly resultStem: string;
}

export interface CampaignPlan {
  /** Stable id of (program, arguments without -r, working directory); resubmissions share it. */
  readonly campaignId: string;
  /** The program as the user named it, and its arguments verbatim. */
  readonly program: string;
  readonly args: readonly string[];
  /** Absolute working directory of every run. */
  readonly workingDir: string;
  /** Absolute directory OMNeT++ writes the result files to. */
  readonly resultDir: string;
  readonly configName: string;
  readonly runs: readonly RunSpec[];
  /** Median wall time of one query process: our measure of the program's start-up cost. */
  readonly startupMs: number;
}

export interface ResultFileInfo {
  /** Path relative to the working directory. */
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly sha256: string;
}

/**
 * How a run ended.
 * - `ok`: the simulation finished normally.
 * - `failed`: the simulation reported an error; deterministic, never retried.
 * - `lost`: infrastructure took it (signal, out of memory, timeout) and retries were exhausted.
 * - `interrupted`: we stopped it (Ctrl-C, SIGTERM); it runs again on resume.
 */
export type RunStatus = 'ok' | 'failed' | 'lost' | 'interrupted';

export type FailureKind =
  | 'simulation-error'
  | 'exit-code'
  | 'signal'
  | 'out-of-memory'
  | 'timeout'
  | 'interrupted'
  | 'spawn-error'
  /** The machine or container running it disappeared (swarm: the queue gave up on the unit). */
  | 'worker-lost';

export interface RunFailure {
  readonly kind: FailureKind;
  readonly message: string;
}

/** The manifest line written for every finished attempt of a run. */
export interface RunRecord {
  readonly v: 1;
  readonly runNumber: number;
  readonly configName: string;
  readonly description: string;
  readonly status: RunStatus;
  readonly attempt: number;
  readonly failure: RunFailure | null;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly durationMs: number;
  /** From the last `** Event #N t=T` line of the run's output. */
  readonly events: number | null;
  readonly simTime: string | null;
  /** The last `<!>` line: termination reason or error. */
  readonly termination: string | null;
  readonly peakRssKb: number | null;
  readonly host: string;
  /** Full argv of the process that ran it (program first). */
  readonly argv: readonly string[];
  /** How many runs shared that process. */
  readonly batchSize: number;
  readonly sessionId: string;
  /** Fingerprint of the program and its inputs; a change means earlier results are stale. */
  readonly fingerprint: string;
  readonly files: readonly ResultFileInfo[];
}

/** What resume needs of a run's newest record: identity, outcome, fingerprint and files. */
export type RecordedRun = Pick<
  RunRecord,
  'runNumber' | 'configName' | 'description' | 'status' | 'attempt' | 'sessionId' | 'fingerprint' | 'files'
>;
