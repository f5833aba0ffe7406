/** Views of the attempts the sections share: runs with their attempts, and sessions with theirs. */
import type { RunStatus } from '../core/campaign.js';
import type { ReportAttempt, ReportData, ReportSession } from './report-data.js';

export const RUN_STATUSES: readonly RunStatus[] = ['ok', 'failed', 'lost', 'interrupted'];

/** One run and every attempt of it. */
export interface RunHistory {
  readonly runNumber: number;
  readonly configName: string;
  readonly description: string;
  /** In manifest order, so the last one is the run's outcome. */
  readonly attempts: readonly ReportAttempt[];
  readonly last: ReportAttempt;
}

/**
 * Attempts grouped by run, in order of each run's first attempt. Run numbers are per config in
 * OMNeT++, so a run is a (config, run number) pair. The manifest is append-only, so the attempt
 * written last is the run's final word, whatever its attempt counter says (a resumed session may
 * count from 1 again).
 */
export function runHistories(attempts: readonly ReportAttempt[]): RunHistory[] {
  const byRun = new Map<string, ReportAttempt[]>();
  for (const attempt of attempts) {
    const key = `${attempt.configName}\u0000${attempt.runNumber}`;
    const list = byRun.get(key);
    if (list === undefined) byRun.set(key, [attempt]);
    else list.push(attempt);
  }
  return [...byRun.values()].map((list) => {
    const last = list[list.length - 1] as ReportAttempt;
    return {
      runNumber: last.runNumber,
      configName: last.configName,
      description: last.description,
      attempts: list,
      last,
    };
  });
}

export function finalStatusCounts(runs: readonly RunHistory[]): Record<RunStatus, number> {
  const counts: Record<RunStatus, number> = { ok: 0, failed: 0, lost: 0, interrupted: 0 };
  for (const run of runs) counts[run.last.status] += 1;
  return counts;
}

/** A session and the attempts it ran; sessions only named by attempts get `session: null`. */
export interface SessionRuns {
  readonly sessionId: string;
  readonly session: ReportSession | null;
  readonly attempts: readonly ReportAttempt[];
  /** When the session started: its own record, else its first attempt. */
  readonly startedAt: number;
  /** From the first attempt's start to the last attempt's end; null without attempts. */
  readonly work: { readonly start: number; readonly end: number } | null;
}

/** Every session, latest first. */
export function sessionRuns(data: ReportData): SessionRuns[] {
  const attemptsBySession = new Map<string, ReportAttempt[]>();
  for (const session of data.sessions) attemptsBySession.set(session.sessionId, []);
  for (const attempt of data.attempts) {
    const list = attemptsBySession.get(attempt.sessionId);
    if (list === undefined) attemptsBySession.set(attempt.sessionId, [attempt]);
    else list.push(attempt);
  }
  const sessions = new Map(data.sessions.map((session) => [session.sessionId, session]));
  return [...attemptsBySession.entries()]
    .map(([sessionId, attempts]): SessionRuns => {
      const work = workSpan(attempts);
      const session = sessions.get(sessionId) ?? null;
      return { sessionId, session, attempts, startedAt: session?.startedAt ?? work?.start ?? 0, work };
    })
    .sort((a, b) => b.startedAt - a.startedAt);
}

function workSpan(attempts: readonly ReportAttempt[]): { start: number; end: number } | null {
  if (attempts.length === 0) return null;
  let start = Infinity;
  let end = -Infinity;
  for (const attempt of attempts) {
    start = Math.min(start, attempt.startedAt);
    end = Math.max(end, attempt.endedAt);
  }
  return { start, end };
}

/**
 * What the user waited: from the session's start (which includes a build or a cluster coming up) to
 * its last attempt's end. Zero for a session without attempts.
 */
export function wallTimeMs(session: SessionRuns): number {
  if (session.work === null) return 0;
  return Math.max(0, session.work.end - Math.min(session.startedAt, session.work.start));
}
