/**
 * What the CLI sees of a build or plan job: its state, its result or why it failed, and the log lines
 * it has not seen yet (BullMQ keeps a job's log in Redis, so a client that reconnects can continue).
 */
import { Job, type Queue } from 'bullmq';

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'missing';

export interface JobView {
  readonly id: string;
  readonly state: JobState;
  readonly result: unknown;
  /** BullMQ's failure reason: for builder jobs, an encodeJobFailure() JSON text. */
  readonly failedReason: string | null;
  readonly log: readonly string[];
  /** Ask for `logFrom=logNext` next time. */
  readonly logNext: number;
}

const STATES: Record<string, JobState> = {
  waiting: 'queued',
  'waiting-children': 'queued',
  prioritized: 'queued',
  delayed: 'queued',
  active: 'running',
  completed: 'succeeded',
  failed: 'failed',
};

export async function jobView(queue: Queue, id: string, logFrom: number): Promise<JobView> {
  const missing: JobView = { id, state: 'missing', result: null, failedReason: null, log: [], logNext: 0 };
  // The state first: BullMQ stores a job's return value (or failure reason) in the same script that
  // moves it to completed (failed), so a job seen finished has it. Read the other way round, a job
  // finishing in between would show as succeeded with no result.
  const state = await queue.getJobState(id);
  if (state === 'unknown') return missing;
  const [job, logs] = await Promise.all([
    Job.fromId(queue, id),
    queue.getJobLogs(id, logFrom, logFrom + 999),
  ]);
  if (job === undefined) return missing;
  return {
    id,
    state: STATES[state] ?? 'queued',
    result: job.returnvalue ?? null,
    failedReason: state === 'failed' ? (job.failedReason ?? 'failed') : null,
    log: logs.logs,
    logNext: logFrom + logs.logs.length,
  };
}
