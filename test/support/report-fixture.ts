/**
 * Report data for the renderer's tests, built by a small deterministic scheduler instead of written out
 * by hand, so the timeline has the shape of a real campaign (lanes filling, a tail, retries starting
 * after their failure) and the numbers stay consistent with each other.
 *
 * - `reportFixture()`: about 60 attempts over two sessions: a local one on `lab-pc` with 2 jobs,
 *   ended by Ctrl-C, and an AWS one on two 4-core instances with a build and a cost. Two configs
 *   (a campaign has one; the second exercises the per-config plots), retries after a signal, a lost
 *   worker and a timeout, failures of the simulation, a run lost for good, idle gaps.
 * - `hostileReportFixture()`: the same with markup in every string a user or simulation controls.
 * - `largeReportData(n)`: n attempts on 13 hosts, for the size bound.
 */
import { createHash } from 'node:crypto';
import type { FailureKind, RunStatus } from '../../lib/core/campaign.js';
import type {
  ReportAttempt,
  ReportBuild,
  ReportCost,
  ReportData,
  ReportSession,
} from '../../lib/report/report-data.js';

export const T0 = Date.UTC(2026, 10, 24, 9, 0, 0);
const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;

/** Runs `window.__xss = true` if it ever becomes markup, in text or in an attribute. */
export const XSS_PAYLOAD = `"'><script>window.__xss = true</script><img src=x onerror="window.__xss = true">`;

/** One attempt to schedule; `next` is the attempt that follows it if it fails. */
interface Job {
  readonly configName: string;
  readonly runNumber: number;
  readonly attempt: number;
  readonly durationMs: number;
  readonly status: RunStatus;
  readonly failure: { readonly kind: FailureKind; readonly message: string } | null;
  readonly next?: Job;
  /** After this attempt the slot is out for this long (a container restarting). */
  readonly slotDownMs?: number;
}

interface Slot {
  readonly host: string;
  freeAt: number;
}

const description = (configName: string, runNumber: number): string =>
  configName === 'Uniform'
    ? `$numHosts=${10 + 5 * (runNumber % 4)}, $iaMean=${1 + Math.floor(runNumber / 4)}, $repetition=0`
    : `$burstLen=${1 + (runNumber % 7)}, $pkLen=${100 * (1 + (runNumber % 3))}B, $repetition=${runNumber % 2}`;

const ok = (configName: string, runNumber: number, durationMs: number, attempt = 1): Job => ({
  configName,
  runNumber,
  attempt,
  durationMs,
  status: 'ok',
  failure: null,
});

/**
 * Greedy list scheduling, as the runners do it: the slot free first takes the next job; a failed
 * attempt's retry joins the queue once the failure is recorded (5 s later) and goes first when due.
 */
function schedule(jobs: readonly Job[], slots: readonly Slot[], sessionId: string): ReportAttempt[] {
  const queue = [...jobs];
  const retries: { job: Job; notBefore: number }[] = [];
  const attempts: ReportAttempt[] = [];
  let head = 0;
  while (head < queue.length || retries.length > 0) {
    const slot = slots.reduce((a, b) => (b.freeAt < a.freeAt ? b : a));
    const due = retries.findIndex((retry) => retry.notBefore <= slot.freeAt);
    let job: Job;
    let start = slot.freeAt + 200; // dispatch overhead
    if (due !== -1) {
      job = (retries.splice(due, 1)[0] as { job: Job }).job;
    } else if (head < queue.length) {
      job = queue[head++] as Job;
    } else {
      const retry = retries.shift() as { job: Job; notBefore: number };
      job = retry.job;
      start = retry.notBefore;
    }
    const end = start + job.durationMs;
    attempts.push({
      runNumber: job.runNumber,
      configName: job.configName,
      description: description(job.configName, job.runNumber),
      status: job.status,
      attempt: job.attempt,
      failureKind: job.failure?.kind ?? null,
      failureMessage: job.failure?.message ?? null,
      startedAt: start,
      endedAt: end,
      durationMs: job.durationMs,
      host: slot.host,
      sessionId,
      events: job.status === 'ok' ? Math.round(job.durationMs * 41.7) : null,
      peakRssKb: 180_000 + (job.runNumber % 9) * 12_500,
    });
    slot.freeAt = end + (job.slotDownMs ?? 0);
    if (job.next !== undefined) retries.push({ job: job.next, notBefore: end + 5 * S });
  }
  return attempts.sort((a, b) => a.endedAt - b.endedAt); // manifest order: as attempts finish
}

const slotsOf = (host: string, count: number, freeAt: number): Slot[] =>
  Array.from({ length: count }, () => ({ host, freeAt }));

const hex = (seed: string, length: number): string =>
  createHash('sha256').update(seed).digest('hex').slice(0, length);

/** 40 s to 128 s, scattered: a config of similar runs. */
const uniformMs = (run: number): number => 40 * S + ((run * 37) % 23) * 4 * S;
/** 3 s to 11 min: a heavy tail, so the run-time axis turns logarithmic. */
const burstyMs = (run: number): number => Math.round(3 * S * 1.35 ** ((run * 7) % 19));

const QUEUE_OVERFLOW = '<!> Error: Queue overflow -- in module (Sink) Net.sink (id=4), at t=3.2s, event #812';

const PROGRAM_VERSION = [
  'OMNeT++ Discrete Event Simulation  (C) 1992-2024 Andras Varga, OpenSim Ltd.',
  'Version: 6.1, build: 241008-f7568267cd, edition: Academic Public License -- NOT FOR COMMERCIAL USE',
  'See the license for distribution terms and warranty disclaimer',
].join('\n');

export const LOCAL_SESSION = 's-local-1';
export const AWS_SESSION = 's-aws-2';
export const HOSTS = ['lab-pc', 'ip-10-0-1-11', 'ip-10-0-1-12'] as const;
const AWS_STARTED = T0 + 3 * H;
const BUILD: ReportBuild = {
  sessionId: AWS_SESSION,
  backend: 'aws',
  command: 'make -j4 MODE=release',
  startedAt: AWS_STARTED + 6 * MIN,
  durationMs: 4 * MIN + 12 * S,
  cached: false,
  ok: true,
};

function localAttempts(): ReportAttempt[] {
  const jobs = Array.from({ length: 24 }, (_, run): Job => {
    if (run === 7) {
      // The kernel's OOM killer took it once; the retry went through.
      return {
        ...ok('Uniform', run, 31 * S),
        status: 'lost',
        failure: { kind: 'signal', message: 'killed by SIGKILL' },
        next: ok('Uniform', run, uniformMs(run), 2),
      };
    }
    if (run === 23) {
      // Ctrl-C: the session ends here, the run is done again in the next session.
      return {
        ...ok('Uniform', run, 25 * S),
        status: 'interrupted',
        failure: { kind: 'interrupted', message: 'stopped by SIGINT (Ctrl-C)' },
      };
    }
    return ok('Uniform', run, uniformMs(run));
  });
  return schedule(jobs, slotsOf(HOSTS[0], 2, T0 + 1500), LOCAL_SESSION);
}

function awsAttempts(): ReportAttempt[] {
  const jobs: Job[] = [ok('Uniform', 23, uniformMs(23), 2)];
  for (let run = 0; run < 28; run++) {
    const job = ok('Bursty', run, burstyMs(run));
    if (run === 11 || run === 19) {
      jobs.push({
        ...job,
        durationMs: 2 * S + run * 100,
        status: 'failed',
        failure: { kind: 'simulation-error', message: QUEUE_OVERFLOW },
      });
    } else if (run === 5) {
      // The worker's container died mid-run and took 6 minutes to come back.
      jobs.push({
        ...job,
        durationMs: 95 * S,
        status: 'lost',
        failure: { kind: 'worker-lost', message: 'the worker stopped answering (container exited)' },
        slotDownMs: 6 * MIN,
        next: ok('Bursty', run, burstyMs(run), 2),
      });
    } else if (run === 14) {
      // Timed out, then killed twice: lost for good.
      const killed = (attempt: number, next?: Job): Job => ({
        ...job,
        attempt,
        durationMs: 70 * S,
        status: 'lost',
        failure: { kind: 'out-of-memory', message: 'killed by SIGKILL: peak RSS 3.9 GB of 4 GB' },
        ...(next === undefined ? {} : { next }),
      });
      jobs.push({
        ...job,
        durationMs: 5 * MIN,
        status: 'lost',
        failure: { kind: 'timeout', message: 'no progress for 300 s (run timeout)' },
        next: killed(2, killed(3)),
      });
    } else {
      jobs.push(job);
    }
  }
  const firstRun = (BUILD.startedAt ?? AWS_STARTED) + BUILD.durationMs + 20 * S;
  return schedule(jobs, [...slotsOf(HOSTS[1], 4, firstRun), ...slotsOf(HOSTS[2], 4, firstRun)], AWS_SESSION);
}

function session(
  sessionId: string,
  backend: 'local' | 'aws',
  startedAt: number,
  jobs: number | null,
): ReportSession {
  return {
    sessionId,
    backend,
    startedAt,
    jobs,
    provenance: {
      programVersion: PROGRAM_VERSION,
      gitCommit: hex(`commit ${sessionId}`, 40),
      gitDirty: backend === 'local',
      sourceHash: hex(`source ${sessionId}`, 64),
      fingerprint: hex(`fingerprint ${sessionId}`, 16),
      host: HOSTS[0],
      nodeVersion: 'v24.11.1',
    },
  };
}

export function reportFixture(): ReportData {
  const local = localAttempts();
  const aws = awsAttempts();
  const lastEnd = Math.max(...aws.map((attempt) => attempt.endedAt));
  // The cluster exists from the session's start until a few minutes after its last run.
  const clusterHours = (lastEnd + 4 * MIN - AWS_STARTED) / H;
  const cost: ReportCost = {
    sessionId: AWS_SESSION,
    backend: 'aws',
    usdPerHour: 0.452,
    spentUsd: Math.round(0.452 * clusterHours * 100) / 100,
    clusterHours: Math.round(clusterHours * 100) / 100,
    budgetUsd: 2,
    cluster: '2 x c6i.xlarge (spot) + 1 x t3.medium in eu-west-1',
  };
  return {
    campaignId: 'c-7f3a9e21',
    configName: 'Uniform',
    program: './aloha',
    args: ['-f', 'omnetpp.ini', '-c', 'Uniform', '-u', 'Cmdenv', '--result-dir=results/my run'],
    workingDir: '/home/ana/sims/aloha',
    resultDir: '/home/ana/sims/aloha/results/my run',
    plannedRuns: 56,
    generatedAt: AWS_STARTED + 2 * H,
    sessions: [session(LOCAL_SESSION, 'local', T0, 2), session(AWS_SESSION, 'aws', AWS_STARTED, null)],
    attempts: [...local, ...aws],
    builds: [BUILD],
    costs: [cost],
  };
}

/** The fixture with `payload` in the config name, a failure message, a host, the args and more. */
export function hostileReportFixture(payload = XSS_PAYLOAD): ReportData {
  const data = reportFixture();
  let messageSet = false;
  const attempts = data.attempts.map((attempt): ReportAttempt => {
    const hostile: { -readonly [K in keyof ReportAttempt]: ReportAttempt[K] } = { ...attempt };
    if (attempt.configName === 'Bursty') hostile.configName = payload;
    if (attempt.host === HOSTS[2]) hostile.host = payload;
    if (attempt.runNumber === 3) hostile.description = payload;
    if (!messageSet && attempt.failureMessage !== null) {
      hostile.failureMessage = payload;
      messageSet = true;
    }
    return hostile;
  });
  return {
    ...data,
    configName: payload,
    args: [...data.args, payload],
    attempts,
    sessions: data.sessions.map((s) => ({
      ...s,
      provenance: { ...s.provenance, programVersion: payload, gitCommit: payload, host: payload },
    })),
    builds: data.builds.map((build) => ({ ...build, command: payload })),
    costs: data.costs.map((cost) => ({ ...cost, cluster: payload })),
  };
}

/** A generator of uniform floats in [0, 1) from a seed (mulberry32): the same campaign every time. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * About `count` attempts: a local session on one 8-core machine (a tenth of them), then an AWS session
 * on 12 instances of 8 cores; run times from 5 s to 20 min, 3% of runs retried, 1% failing.
 */
export function largeReportData(count: number): ReportData {
  const next = random(42);
  const jobs: Job[] = [];
  for (
    let run = 0, attempts = 0;
    attempts < count;
    run++, attempts += jobs.at(-1)?.next === undefined ? 1 : 2
  ) {
    const durationMs = Math.round(5 * S * 240 ** next());
    const roll = next();
    if (roll < 0.01) {
      jobs.push({
        ...ok('General', run, 4 * S),
        status: 'failed',
        failure: { kind: 'simulation-error', message: QUEUE_OVERFLOW },
      });
    } else if (roll < 0.04) {
      jobs.push({
        ...ok('General', run, Math.round(durationMs / 3)),
        status: 'lost',
        failure: { kind: 'signal', message: 'killed by SIGKILL' },
        next: ok('General', run, durationMs, 2),
      });
    } else {
      jobs.push(ok('General', run, durationMs));
    }
  }
  const split = Math.floor(jobs.length / 10);
  const local = schedule(jobs.slice(0, split), slotsOf('workstation', 8, T0), LOCAL_SESSION);
  const awsStart = T0 + 2 * 24 * H;
  const awsSlots = Array.from({ length: 12 }, (_, i) =>
    slotsOf(`ip-10-0-${i >> 2}-${10 + i}`, 8, awsStart),
  ).flat();
  const aws = schedule(jobs.slice(split), awsSlots, AWS_SESSION);
  return {
    ...reportFixture(),
    configName: 'General',
    plannedRuns: jobs.length,
    sessions: [session(LOCAL_SESSION, 'local', T0, 8), session(AWS_SESSION, 'aws', awsStart, null)],
    attempts: [...local, ...aws],
  };
}
