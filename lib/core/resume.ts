/**
 * Resume: which planned runs already have trustworthy results. A run is reused only if its latest
 * manifest record is `ok`, describes the same run (same variables for that run number), was produced
 * by the same program fingerprint, and every recorded result file is still there, unchanged.
 */
import type { RecordedRun, RunSpec } from './campaign.js';
import type { ResultFileStore } from '../ports/result-file-store.js';

export type RerunReason =
  | 'new'
  | 'forced'
  | 'failed'
  | 'lost'
  | 'interrupted'
  | 'different-run'
  | 'stale'
  | 'missing-file'
  | 'changed-file';

export interface ResumeDecision {
  readonly reused: readonly RunSpec[];
  readonly todo: readonly RunSpec[];
  readonly reasons: Readonly<Partial<Record<RerunReason, number>>>;
}

/** Records by run number; with several records of a run, the last (newest) wins. */
function indexByRun(records: readonly RecordedRun[]): Map<number, RecordedRun> {
  const latest = new Map<number, RecordedRun>();
  for (const record of records) latest.set(record.runNumber, record);
  return latest;
}

async function reasonToRerun(
  run: RunSpec,
  record: RecordedRun | undefined,
  fingerprint: string,
  files: ResultFileStore,
): Promise<RerunReason | null> {
  if (record === undefined) return 'new';
  if (record.configName !== run.configName || record.description !== run.description) return 'different-run';
  if (record.status !== 'ok') return record.status;
  if (record.fingerprint !== fingerprint) return 'stale';
  for (const file of record.files) {
    const check = await files.verify(file);
    if (check === 'missing') return 'missing-file';
    if (check === 'changed') return 'changed-file';
  }
  return null;
}

/** @param records the manifest's newest record of each run (older ones are ignored if present) */
export async function decideResume(
  runs: readonly RunSpec[],
  records: readonly RecordedRun[],
  fingerprint: string,
  files: ResultFileStore,
  force: boolean,
): Promise<ResumeDecision> {
  const latest = indexByRun(records);
  const reused: RunSpec[] = [];
  const todo: RunSpec[] = [];
  const reasons: Partial<Record<RerunReason, number>> = {};
  for (const run of runs) {
    const reason = force ? 'forced' : await reasonToRerun(run, latest.get(run.runNumber), fingerprint, files);
    if (reason === null) {
      reused.push(run);
    } else {
      todo.push(run);
      reasons[reason] = (reasons[reason] ?? 0) + 1;
    }
  }
  return { reused, todo, reasons };
}
