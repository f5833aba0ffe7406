/* eslint-disable @typescript-eslint/require-await -- async to match the ports; the fakes need no waiting */
/**
 * Fakes for the agent's tests: a TaskReporter that records every call (and can be told that a token
 * expired), a log that can be waited on, and a scriptable swarm gateway. The bucket is the shared
 * InMemoryControlPlaneStore.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import type { SwarmGateway } from '../../../../lib/aws/agent/agent-options.js';
import {
  campaignSpecSchema,
  type CampaignSpec,
  type CampaignSpecInput,
} from '../../../../lib/aws/campaign-spec.js';
import { newCampaignStatus, type CampaignStatus } from '../../../../lib/aws/campaign-status.js';
import type { CampaignPlan, RunRecord } from '../../../../lib/core/campaign.js';
import { BlobCorruptError } from '../../../../lib/core/errors.js';
import type { BlobInfo } from '../../../../lib/ports/blob-store.js';
import { recordKey, type SwarmCampaign, type SwarmRunRecord } from '../../../../lib/ports/campaign-store.js';
import type { QueuedUnit, RetryPolicy } from '../../../../lib/ports/run-queue.js';
import type { TaskReporter } from '../../../../lib/ports/task-reporter.js';
import type { BuildRequest, PlanRequest } from '../../../../lib/swarm/build-jobs.js';
import type { JobView } from '../../../../lib/swarm/gateway/job-view.js';

/** Resolves once `predicate` holds (checked every few ms); fails the test after `timeoutMs`. */
export async function waitUntil(
  predicate: () => boolean,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export type ReporterCall =
  | { readonly kind: 'succeed'; readonly token: string; readonly output: unknown }
  | { readonly kind: 'fail'; readonly token: string; readonly error: string; readonly cause: string }
  | { readonly kind: 'heartbeat'; readonly token: string };

export class TokenExpired extends Error {
  override readonly name = 'TaskTokenExpired';
}

/** Records every answer and heartbeat; tokens in `expired` are refused as SfnTaskReporter does. */
export class RecordingTaskReporter implements TaskReporter {
  readonly calls: ReporterCall[] = [];
  readonly expired = new Set<string>();

  async succeed(token: string, output: unknown): Promise<void> {
    this.calls.push({ kind: 'succeed', token, output });
    if (this.expired.has(token)) throw new TokenExpired('expired');
  }

  async fail(token: string, error: string, cause: string): Promise<void> {
    this.calls.push({ kind: 'fail', token, error, cause });
    if (this.expired.has(token)) throw new TokenExpired('expired');
  }

  async heartbeat(token: string): Promise<void> {
    this.calls.push({ kind: 'heartbeat', token });
    if (this.expired.has(token)) throw new TokenExpired('expired');
  }

  heartbeats(token: string): number {
    return this.calls.filter((call) => call.kind === 'heartbeat' && call.token === token).length;
  }

  answers(token: string): Exclude<ReporterCall, { kind: 'heartbeat' }>[] {
    return this.calls.filter(
      (call): call is Exclude<ReporterCall, { kind: 'heartbeat' }> =>
        call.kind !== 'heartbeat' && call.token === token,
    );
  }

  /** The first answer to `token`, once there is one. */
  async answer(token: string, timeoutMs = 30_000): Promise<Exclude<ReporterCall, { kind: 'heartbeat' }>> {
    await waitUntil(() => this.answers(token).length > 0, timeoutMs, `an answer to ${token}`);
    return this.answers(token)[0] as Exclude<ReporterCall, { kind: 'heartbeat' }>;
  }
}

export const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

export function testSpec(overrides: Partial<CampaignSpecInput> = {}): CampaignSpec {
  return campaignSpecSchema.parse({
    program: './demo',
    args: ['-c', 'Quick'],
    source: { sha256: 'a'.repeat(64), size: 100 },
    buildCommand: 'make',
    cluster: { region: 'us-east-1', clusterSize: 1, instanceType: 'c5.large' },
    limits: { maxRetries: 2 },
    ...overrides,
  });
}

export const testStatus = (campaignId: string): CampaignStatus => ({
  ...newCampaignStatus(campaignId, null, new Date('2026-01-01T00:00:00.000Z')),
  state: 'running',
  startedAt: '2026-01-01T00:00:00.000Z',
});

const job = (id: string, view: Partial<JobView>): JobView => ({
  id,
  state: 'running',
  result: null,
  failedReason: null,
  log: [],
  logNext: 0,
  ...view,
});

/**
 * The swarm as the agent sees it through the gateway. Builds and plans are scripted (`buildJob`,
 * `planJob`); finished runs are put in the outbox with `finishRun` and handed out until fetched.
 * `events` lists what happened, in order, for tests of ordering.
 */
export class FakeGateway implements SwarmGateway {
  readonly events: string[] = [];
  readonly blobs = new Map<string, Buffer>();
  readonly outbox: SwarmRunRecord[] = [];
  readonly builds: BuildRequest[] = [];
  readonly plans: PlanRequest[] = [];
  readonly campaigns: SwarmCampaign[] = [];
  readonly enqueued: { units: readonly QueuedUnit[]; retry: RetryPolicy }[] = [];
  buildPolls = 0;
  cancels = 0;
  buildReused = false;
  /** What GET /v1/builds/:id answers (the log from `logFrom` on). */
  buildJob: (logFrom: number) => Partial<JobView> = () => ({
    state: 'succeeded',
    result: { artifactKey: 'artifact-x', compiles: 3, distccHosts: {}, durationMs: 1500 },
  });
  planJob: () => Partial<JobView> = () => ({ state: 'succeeded', result: { planKey: 'plan-1', runs: 0 } });
  /** Makes unfetchedRecords fail (the gateway lost beyond the client's retries). */
  unreachable: Error | null = null;

  setPlan(plan: CampaignPlan): void {
    this.blobs.set('plan-1', Buffer.from(JSON.stringify(plan)));
  }

  /** A finished attempt in the swarm, with one result file of `content`. */
  finishRun(
    record: RunRecord,
    content = `results of ${record.runNumber}/${record.attempt}\n`,
  ): SwarmRunRecord {
    const blobKey = `result-${sha256(content)}`;
    this.blobs.set(blobKey, Buffer.from(content));
    const name = `Quick-${record.runNumber}.sca`;
    const entry: SwarmRunRecord = {
      campaignId: 'c',
      record: {
        ...record,
        files: [{ path: `results/${name}`, size: content.length, mtimeMs: 1, sha256: sha256(content) }],
      },
      results: [{ name, blobKey }],
    };
    this.outbox.push(entry);
    return entry;
  }

  async blobExists(key: string): Promise<boolean> {
    return this.blobs.has(key);
  }

  async uploadBlob(key: string, file: string, checksum: string): Promise<BlobInfo> {
    const body = await readFile(file);
    if (sha256(body) !== checksum) throw new BlobCorruptError('upload damaged');
    this.blobs.set(key, body);
    this.events.push(`upload ${key}`);
    return { key, size: body.length, sha256: checksum };
  }

  async downloadBlob(key: string, file: string, expected?: string): Promise<void> {
    const body = this.blobs.get(key);
    if (body === undefined) throw new Error(`no blob ${key}`);
    if (expected !== undefined && sha256(body) !== expected) throw new BlobCorruptError(`${key} corrupt`);
    await writeFile(file, body);
    this.events.push(`download ${key}`);
  }

  async requestBuild(build: BuildRequest): Promise<{ id: string; reused: boolean }> {
    this.builds.push(build);
    return { id: 'build-1', reused: this.buildReused };
  }

  async build(id: string, logFrom: number): Promise<JobView> {
    this.buildPolls += 1;
    return job(id, this.buildJob(logFrom));
  }

  async requestPlan(plan: PlanRequest): Promise<string> {
    this.plans.push(plan);
    return 'plan-job-1';
  }

  async plan(id: string): Promise<JobView> {
    return job(id, this.planJob());
  }

  async putCampaign(campaign: SwarmCampaign): Promise<SwarmCampaign> {
    this.campaigns.push(campaign);
    return campaign;
  }

  async enqueue(
    _campaignId: string,
    units: readonly QueuedUnit[],
    retry: RetryPolicy,
    _replaceFinished: boolean,
  ): Promise<void> {
    this.enqueued.push({ units, retry });
  }

  async cancel(_campaignId: string): Promise<number> {
    this.cancels += 1;
    return 0;
  }

  async unfetchedRecords(_campaignId: string, limit: number): Promise<SwarmRunRecord[]> {
    if (this.unreachable !== null) throw this.unreachable;
    return this.outbox.slice(0, limit);
  }

  async markFetched(_campaignId: string, keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      const index = this.outbox.findIndex((entry) => recordKey(entry) === key);
      if (index >= 0) this.outbox.splice(index, 1);
      this.events.push(`fetched ${key}`);
    }
  }
}
