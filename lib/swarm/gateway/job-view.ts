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
  const job = await Job.fromId(queue, id);
  if (job === undefined)
    return { id, state: 'missing', result: null, failedReason: null, log: [], logNext: 0 };
  const [state, logs] = await Promise.all([job.getState(), queue.getJobLogs(id, logFrom, logFrom + 999)]);
  return {
    id,
    state: STATES[state] ?? 'queued',
    result: job.returnvalue ?? null,
    failedReason: state === 'failed' ? (job.failedReason ?? 'failed') : null,
    log: logs.logs,
    logNext: logFrom + logs.logs.length,
  };
}
