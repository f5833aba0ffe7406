/**
 * The CLI's side of the gateway API (lib/swarm/gateway/gateway-app.ts), over plain HTTP with the
 * bearer token. Everything that comes back is validated before use; transient network errors are
 * retried (a restarted gateway must not end a 10-hour campaign), refusals are not.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { writeVerifiedFile } from '../../adapters/local/write-verified-file.js';
import { BlobCorruptError, GatewayAuthError, GatewayError } from '../../core/errors.js';
import { runRecordSchema } from '../../core/schemas.js';
import type { BlobInfo } from '../../ports/blob-store.js';
import type { CampaignSummary, SwarmCampaign, SwarmRunRecord } from '../../ports/campaign-store.js';
import type { RunRecord } from '../../core/campaign.js';
import type { QueuedUnit, RetryPolicy } from '../../ports/run-queue.js';
import type { BuildRequest, PlanRequest } from '../build-jobs.js';
import type { JobView } from '../gateway/job-view.js';

const jobViewSchema: z.ZodType<JobView> = z.object({
  id: z.string(),
  state: z.enum(['queued', 'running', 'succeeded', 'failed', 'missing']),
  result: z.unknown(),
  failedReason: z.string().nullable(),
  log: z.array(z.string()),
  logNext: z.number().int().nonnegative(),
});

const blobInfoSchema: z.ZodType<BlobInfo> = z.object({
  key: z.string(),
  size: z.number(),
  sha256: z.string(),
});

const swarmRunRecordSchema: z.ZodType<SwarmRunRecord> = z.object({
  campaignId: z.string(),
  record: runRecordSchema,
  results: z.array(z.object({ name: z.string(), blobKey: z.string() })),
});

const idSchema = z.object({ id: z.string() });

/** Attempts for requests that failed on the network (not refusals): about a minute of outage. */
const NETWORK_ATTEMPTS = 12;

export class GatewayClient {
  private readonly base: string;

  constructor(
    baseUrl: string,
    private readonly token: string,
  ) {
    this.base = baseUrl.replace(/\/+$/, '');
  }

  private async request(method: string, path: string, init: RequestInit = {}): Promise<Response> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= NETWORK_ATTEMPTS; attempt++) {
      let response: Response;
      try {
        response = await fetch(`${this.base}${path}`, {
          ...init,
          method,
          headers: { ...(init.headers as Record<string, string>), Authorization: `Bearer ${this.token}` },
        });
      } catch (error) {
        lastError = error;
        // A streamed body cannot be sent twice: the caller retries the whole upload.
        if (init.body instanceof ReadableStream) break;
        await new Promise((resolve) => setTimeout(resolve, Math.min(500 * attempt, 5000)));
        continue;
      }
      if (response.status === 401)
        throw new GatewayAuthError(
          `the gateway at ${this.base} refused the token (401): run \`inet-swarm swarm up\` for this swarm, or pass the right --token`,
        );
      if (response.status >= 500 && response.status !== 501 && attempt < NETWORK_ATTEMPTS) {
        lastError = new GatewayError(`${method} ${path}: ${response.status} ${await response.text()}`);
        await new Promise((resolve) => setTimeout(resolve, Math.min(500 * attempt, 5000)));
        continue;
      }
      return response;
    }
    const cause = lastError as Error & { cause?: { code?: string } };
    throw new GatewayError(
      `cannot reach the swarm's gateway at ${this.base}: ${cause.cause?.code ?? cause.message}`,
      { cause: lastError },
    );
  }

  /** Parses a successful JSON answer; any other status becomes a GatewayError with the gateway's message. */
  private async json<T>(response: Response, schema: z.ZodType<T>, what: string): Promise<T> {
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new GatewayError(
        `${what}: the gateway answered ${response.status} with something that is not JSON`,
      );
    }
    if (!response.ok) {
      const message = (body as { message?: unknown }).message;
      throw new GatewayError(`${what}: ${typeof message === 'string' ? message : `HTTP ${response.status}`}`);
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success)
      throw new GatewayError(`${what}: unexpected answer: ${z.prettifyError(parsed.error)}`);
    return parsed.data;
  }

  async blobExists(key: string): Promise<boolean> {
    const response = await this.request('HEAD', `/v1/blobs/${encodeURIComponent(key)}`);
    if (response.status === 404) return false;
    if (!response.ok) throw new GatewayError(`blob ${key}: HTTP ${response.status}`);
    return true;
  }

  async uploadBlob(key: string, file: string, sha256: string): Promise<BlobInfo> {
    const { size } = await stat(file);
    const response = await this.request('PUT', `/v1/blobs/${encodeURIComponent(key)}`, {
      body: Readable.toWeb(createReadStream(file)) as ReadableStream,
      duplex: 'half',
      headers: {
        'Content-Type': 'application/octet-stream',
        'Content-Length': String(size),
        'X-Content-SHA256': sha256,
      },
    } as RequestInit);
    return this.json(response, blobInfoSchema, `upload of ${key}`);
  }

  /** Downloads a blob to `file` (atomically), checking it against `expectedSha256` when given. */
  async downloadBlob(key: string, file: string, expectedSha256?: string): Promise<void> {
    const response = await this.request('GET', `/v1/blobs/${encodeURIComponent(key)}`);
    if (!response.ok || response.body === null)
      throw new GatewayError(`download of ${key}: HTTP ${response.status} ${await response.text()}`);
    const expected = expectedSha256 ?? response.headers.get('X-Blob-SHA256');
    await writeVerifiedFile(
      Readable.fromWeb(response.body),
      file,
      expected,
      (actual) => new BlobCorruptError(`download of ${key} has sha256 ${actual}, expected ${expected}`),
    );
  }

  /** Asks for a build; `reused` when it had already succeeded (this request compiles nothing). */
  async requestBuild(build: BuildRequest): Promise<{ id: string; reused: boolean }> {
    const response = await this.request('POST', '/v1/builds', jsonBody(build));
    return this.json(response, z.object({ id: z.string(), reused: z.boolean() }), 'build request');
  }

  async build(id: string, logFrom: number): Promise<JobView> {
    const response = await this.request('GET', `/v1/builds/${id}?logFrom=${logFrom}`);
    return this.json(response, jobViewSchema, `build ${id}`);
  }

  async requestPlan(plan: PlanRequest): Promise<string> {
    const response = await this.request('POST', '/v1/plans', jsonBody(plan));
    return (await this.json(response, idSchema, 'plan request')).id;
  }

  async plan(id: string): Promise<JobView> {
    return this.json(await this.request('GET', `/v1/plans/${id}`), jobViewSchema, `plan ${id}`);
  }

  /** Defines the campaign; returns the definition the swarm keeps (the first one given). */
  async putCampaign(campaign: SwarmCampaign): Promise<SwarmCampaign> {
    const response = await this.request('PUT', `/v1/campaigns/${campaign.campaignId}`, jsonBody(campaign));
    return this.json(response, z.custom<SwarmCampaign>(), `campaign ${campaign.campaignId}`);
  }

  async campaign(campaignId: string): Promise<SwarmCampaign | null> {
    const response = await this.request('GET', `/v1/campaigns/${campaignId}`);
    if (response.status === 404) return null;
    return this.json(response, z.custom<SwarmCampaign>(), `campaign ${campaignId}`);
  }

  async enqueue(
    campaignId: string,
    units: readonly QueuedUnit[],
    retry: RetryPolicy,
    replaceFinished: boolean,
  ): Promise<void> {
    const response = await this.request(
      'POST',
      `/v1/campaigns/${campaignId}/units`,
      jsonBody({ units, retry, replaceFinished }),
    );
    await this.json(response, z.object({ enqueued: z.number() }), `enqueue of ${campaignId}`);
  }

  async campaigns(): Promise<CampaignSummary[]> {
    return this.json(
      await this.request('GET', '/v1/campaigns'),
      z.array(z.custom<CampaignSummary>()),
      'campaigns',
    );
  }

  /** The end of a run's output, or null when the run has not finished or left none. */
  async runLog(
    campaignId: string,
    run: number,
  ): Promise<{ record: RunRecord; name: string; lines: string[] } | null> {
    const response = await this.request('GET', `/v1/campaigns/${campaignId}/runs/${run}/log`);
    if (response.status === 404) return null;
    return this.json(
      response,
      z.object({ record: runRecordSchema, name: z.string(), lines: z.array(z.string()) }),
      `output of run ${run}`,
    );
  }

  async cancel(campaignId: string): Promise<number> {
    const response = await this.request('DELETE', `/v1/campaigns/${campaignId}/units`);
    return (await this.json(response, z.object({ removed: z.number() }), `cancel of ${campaignId}`)).removed;
  }

  async unfetchedRecords(campaignId: string, limit: number): Promise<SwarmRunRecord[]> {
    const response = await this.request('GET', `/v1/campaigns/${campaignId}/records?limit=${limit}`);
    return this.json(response, z.array(swarmRunRecordSchema), `records of ${campaignId}`);
  }

  async markFetched(campaignId: string, keys: readonly string[]): Promise<void> {
    const response = await this.request(
      'POST',
      `/v1/campaigns/${campaignId}/records/fetched`,
      jsonBody({ keys }),
    );
    await this.json(response, z.object({ marked: z.number() }), `records of ${campaignId}`);
  }
}

function jsonBody(value: unknown): RequestInit {
  return { body: JSON.stringify(value), headers: { 'Content-Type': 'application/json' } };
}
