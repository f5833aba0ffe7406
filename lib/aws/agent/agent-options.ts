/**
 * What the in-cluster agent is given: the campaign, the bucket, Step Functions, the swarm's gateway,
 * and its clock and intervals (injectable, so that tests run the same loop in milliseconds).
 */
import {
  COMMAND_POLL_SECONDS,
  HEARTBEAT_INTERVAL_SECONDS,
  PROGRESS_INTERVAL_SECONDS,
} from '../agent-protocol.js';
import type { ControlPlaneStore } from '../../ports/control-plane-store.js';
import type { TaskReporter } from '../../ports/task-reporter.js';
import type { GatewayClient } from '../../swarm/client/gateway-client.js';

/** The part of the swarm's gateway the agent uses (GatewayClient, or a fake in unit tests). */
export type SwarmGateway = Pick<
  GatewayClient,
  | 'blobExists'
  | 'uploadBlob'
  | 'downloadBlob'
  | 'requestBuild'
  | 'build'
  | 'requestPlan'
  | 'plan'
  | 'putCampaign'
  | 'enqueue'
  | 'cancel'
  | 'unfetchedRecords'
  | 'markFetched'
>;

/** Structured log lines: a fixed message, data in fields. */
export interface AgentLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface AgentTiming {
  /** Between two looks at the control documents. */
  readonly commandPollMs: number;
  /** Between two heartbeats for a token being worked on. */
  readonly heartbeatMs: number;
  /** Longest a `progress` token is held before it is answered with the counts so far. */
  readonly progressIntervalMs: number;
  /** Shortest time between two writes of the run counts into status.json. */
  readonly statusWriteMs: number;
  /** Shortest time between two rewrites of build.log while a build runs. */
  readonly buildLogFlushMs: number;
  /** Between two looks at a build or plan job. */
  readonly jobPollMs: number;
  /** Between two looks for finished runs when there were none. */
  readonly recordPollMs: number;
  /** After a collection error that is not the gateway's (the bucket, a full disk). */
  readonly collectRetryMs: number;
  /** Delay before the queue's first retry of a unit lost to the infrastructure (doubles after each). */
  readonly unitRetryDelayMs: number;
}

export const DEFAULT_TIMING: AgentTiming = {
  commandPollMs: COMMAND_POLL_SECONDS * 1000,
  heartbeatMs: HEARTBEAT_INTERVAL_SECONDS * 1000,
  progressIntervalMs: PROGRESS_INTERVAL_SECONDS * 1000,
  statusWriteMs: 5000,
  buildLogFlushMs: 3000,
  jobPollMs: 500,
  recordPollMs: 1000,
  collectRetryMs: 5000,
  unitRetryDelayMs: 5000,
};

export interface AgentDeps {
  /** The AWS campaign id; also the campaign's id in the swarm. */
  readonly campaignId: string;
  readonly store: ControlPlaneStore;
  readonly reporter: TaskReporter;
  readonly gateway: SwarmGateway;
  /** Node-local directory for files in transit between the bucket and the swarm. */
  readonly scratchDir: string;
  readonly log: AgentLog;
  readonly timing?: Partial<AgentTiming>;
  readonly now?: () => Date;
}

/** Resolves after `ms`, or at once when `signal` is aborted (never rejects). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
