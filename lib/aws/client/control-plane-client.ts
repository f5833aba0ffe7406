/**
 * The CLI's side of the control plane's HTTP API (lib/aws/api-contract.ts): every request signed with
 * SigV4 for `execute-api` (API Gateway checks it against IAM), every answer validated with the
 * contract's schemas, 4xx refusals turned into the contract's typed errors with the server's message
 * and issues, and network errors, throttling and 5xx answers retried with growing pauses, as the swarm
 * gateway client does: a control plane that hiccups must not end a ten-hour campaign.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { z } from 'zod';
import {
  campaignListSchema,
  createdCampaignSchema,
  errorBodySchema,
  logTailSchema,
  pageSchema,
  recordLinkSchema,
  resultLinkSchema,
  startedCampaignSchema,
  type CampaignList,
  type CreatedCampaign,
  type LogTail,
  type Page,
  type RecordLink,
  type ResultLink,
  type StartedCampaign,
} from '../api-contract.js';
import type { CampaignSpecInput } from '../campaign-spec.js';
import { campaignStatusSchema, type CampaignStatus } from '../campaign-status.js';
import { CampaignNotFoundError, CampaignSpecInvalidError, CampaignStateConflictError } from '../errors.js';
import { storedRecordSchema, type StoredRecord } from '../stored-record.js';
import { AwsApiAuthError, AwsApiError, AwsCredentialsError } from './client-errors.js';
import {
  downloadFile,
  downloadJson,
  uploadToPresignedUrl,
  type UploadProgress,
} from './presigned-transfer.js';
import { DEFAULT_RETRY, isRetryableStatus, sleep, type RetryPolicy } from './retry-policy.js';

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

/** Where credentials come from: the standard chain in the CLI, fixed keys in tests. */
export type CredentialsProvider = () => Promise<AwsCredentials>;

export interface ControlPlaneClientOptions {
  /** The API's base URL, stage path included (`https://abc.execute-api.eu-central-1.amazonaws.com`). */
  readonly apiUrl: string;
  /** The region requests are signed for: the API's region. */
  readonly region: string;
  readonly credentials: CredentialsProvider;
  readonly retry?: RetryPolicy;
  /** Per request to the API (not to presigned URLs): API Gateway itself gives up after 30 s. */
  readonly timeoutMs?: number;
}

type Query = Readonly<Record<string, string | number | null | undefined>>;

const recordPageSchema = pageSchema(recordLinkSchema);
const resultPageSchema = pageSchema(resultLinkSchema);

export class ControlPlaneClient {
  readonly apiUrl: string;
  readonly region: string;
  private readonly signer: SignatureV4;
  private readonly retry: RetryPolicy;
  private readonly timeoutMs: number;

  constructor(options: ControlPlaneClientOptions) {
    this.apiUrl = options.apiUrl.replace(/\/+$/, '');
    this.region = options.region;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.signer = new SignatureV4({
      service: 'execute-api',
      region: options.region,
      credentials: options.credentials,
      sha256: Sha256,
    });
  }

  /** POST /campaigns: stores the spec; the answer says where to upload the source (null: already there). */
  async createCampaign(spec: CampaignSpecInput): Promise<CreatedCampaign> {
    return this.call('POST', '/campaigns', {}, spec, createdCampaignSchema, 'creating the campaign');
  }

  /** POST /campaigns/{id}/start: starts the workflow (409 before the source is uploaded, or twice). */
  async startCampaign(campaignId: string): Promise<StartedCampaign> {
    return this.call(
      'POST',
      `/campaigns/${encodeURIComponent(campaignId)}/start`,
      {},
      undefined,
      startedCampaignSchema,
      `starting campaign ${campaignId}`,
    );
  }

  /** GET /campaigns: one page of the campaigns, newest first as the API orders them. */
  async listCampaigns(next: string | null = null): Promise<CampaignList> {
    return this.call('GET', '/campaigns', { next }, undefined, campaignListSchema, 'listing campaigns');
  }

  /** GET /campaigns/{id}. @throws CampaignNotFoundError */
  async campaign(campaignId: string): Promise<CampaignStatus> {
    return this.call(
      'GET',
      `/campaigns/${encodeURIComponent(campaignId)}`,
      {},
      undefined,
      campaignStatusSchema,
      `campaign ${campaignId}`,
    );
  }

  /** GET /campaigns/{id}/records: one page of finished run attempts, with presigned URLs. */
  async records(campaignId: string, next: string | null, limit: number): Promise<Page<RecordLink>> {
    return this.call(
      'GET',
      `/campaigns/${encodeURIComponent(campaignId)}/records`,
      { next, limit },
      undefined,
      recordPageSchema,
      `records of ${campaignId}`,
    );
  }

  /** GET /campaigns/{id}/results: one page of result files, with presigned URLs. */
  async results(campaignId: string, next: string | null, limit: number): Promise<Page<ResultLink>> {
    return this.call(
      'GET',
      `/campaigns/${encodeURIComponent(campaignId)}/results`,
      { next, limit },
      undefined,
      resultPageSchema,
      `results of ${campaignId}`,
    );
  }

  /** GET /campaigns/{id}/logs: the end of a run's output, or without a run the build log. */
  async logs(campaignId: string, run: number | null): Promise<LogTail> {
    return this.call(
      'GET',
      `/campaigns/${encodeURIComponent(campaignId)}/logs`,
      { run },
      undefined,
      logTailSchema,
      run === null ? `build log of ${campaignId}` : `output of run ${run} of ${campaignId}`,
    );
  }

  /** POST /campaigns/{id}/cancel: the campaign's status after the request. */
  async cancel(campaignId: string): Promise<CampaignStatus> {
    return this.call(
      'POST',
      `/campaigns/${encodeURIComponent(campaignId)}/cancel`,
      {},
      undefined,
      campaignStatusSchema,
      `cancelling ${campaignId}`,
    );
  }

  /** PUTs the source snapshot to the URL createCampaign returned, with its signed headers. */
  uploadSource(
    upload: NonNullable<CreatedCampaign['upload']>,
    file: string,
    onProgress?: UploadProgress,
  ): Promise<void> {
    return uploadToPresignedUrl(upload.url, upload.headers, file, this.retry, onProgress);
  }

  /** A run record from the URL of its RecordLink. */
  downloadRecord(link: RecordLink): Promise<StoredRecord> {
    return downloadJson(
      link.url,
      storedRecordSchema,
      `the record of run ${link.runNumber} (attempt ${link.attempt})`,
      this.retry,
    );
  }

  /** A result file from the URL of its ResultLink, checked against the sha256 its record gives. */
  downloadResult(link: ResultLink, file: string, expectedSha256: string): Promise<void> {
    return downloadFile(link.url, file, expectedSha256, this.retry);
  }

  private async call<T>(
    method: 'GET' | 'POST',
    route: string,
    query: Query,
    body: unknown,
    schema: z.ZodType<T>,
    what: string,
  ): Promise<T> {
    const response = await this.send(
      method,
      route,
      query,
      body === undefined ? undefined : JSON.stringify(body),
    );
    const text = await response.text();
    if (!response.ok) this.refusal(response.status, text, what);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new AwsApiError(
        `${what}: the API answered ${response.status} with something that is not JSON`,
        response.status,
      );
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success)
      throw new AwsApiError(`${what}: unexpected answer: ${z.prettifyError(parsed.error)}`, response.status);
    return parsed.data;
  }

  /** A signed request, retried while the network or the API is down; refusals are returned. */
  private async send(
    method: string,
    route: string,
    query: Query,
    body: string | undefined,
  ): Promise<Response> {
    const url = new URL(`${this.apiUrl}${route}`);
    for (const [key, value] of Object.entries(query))
      if (value !== null && value !== undefined) url.searchParams.set(key, String(value));
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.retry.attempts; attempt++) {
      const headers = await this.sign(method, url, body);
      let response: Response;
      try {
        response = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(this.timeoutMs) });
      } catch (error) {
        lastError = error;
        await sleep(this.retry.delayMs(attempt));
        continue;
      }
      if (isRetryableStatus(response.status) && attempt < this.retry.attempts) {
        lastError = new AwsApiError(
          `${method} ${route}: ${response.status} ${await response.text()}`,
          response.status,
        );
        await sleep(this.retry.delayMs(attempt));
        continue;
      }
      return response;
    }
    if (lastError instanceof AwsApiError) throw lastError;
    const cause = lastError as Error & { cause?: { code?: string } };
    throw new AwsApiError(
      `cannot reach the control plane at ${this.apiUrl}: ${cause.cause?.code ?? cause.message}`,
      null,
      { cause: lastError },
    );
  }

  /** The headers of a SigV4-signed request (a fresh signature per attempt: it carries the time). */
  private async sign(method: string, url: URL, body: string | undefined): Promise<Record<string, string>> {
    const headers: Record<string, string> = { host: url.host, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let signed: { headers: Record<string, string> };
    try {
      signed = await this.signer.sign({
        method,
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port === '' ? {} : { port: Number(url.port) }),
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers,
        body,
      });
    } catch (error) {
      throw new AwsCredentialsError(
        `no usable AWS credentials (${(error as Error).message}); set them up as for the AWS CLI: ` +
          'AWS_PROFILE, ~/.aws/credentials, `aws sso login`, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY',
        { cause: error },
      );
    }
    // fetch sets Host from the URL itself (the same value that was signed).
    const { host: _host, ...rest } = signed.headers;
    return rest;
  }

  /** Turns a 4xx/5xx answer into the typed error a caller can act on. */
  private refusal(status: number, text: string, what: string): never {
    let value: unknown = null;
    try {
      value = JSON.parse(text);
    } catch {
      // API Gateway's own refusals are JSON too; anything else is reported as text.
    }
    const body = errorBodySchema.safeParse(value);
    const loose = (value as { message?: unknown } | null)?.message;
    const message = body.success
      ? body.data.message
      : typeof loose === 'string'
        ? loose
        : text.trim().slice(0, 200) || `HTTP ${status}`;
    if (status === 401 || status === 403)
      throw new AwsApiAuthError(
        `${what}: the control plane at ${this.apiUrl} refused the request (${status}: ${message}); ` +
          `check your AWS credentials, the API's region (${this.region}) and that your identity may call it (execute-api:Invoke)`,
      );
    if (body.success) {
      switch (body.data.error) {
        case 'CampaignSpecInvalid':
          throw new CampaignSpecInvalidError(`${what}: ${message}`, body.data.issues ?? []);
        case 'CampaignNotFound':
          throw new CampaignNotFoundError(message);
        case 'CampaignStateConflict':
          throw new CampaignStateConflictError(`${what}: ${message}`);
      }
    }
    const name = body.success ? `${body.data.error}: ` : '';
    throw new AwsApiError(`${what}: the API answered ${status}: ${name}${message}`, status);
  }
}
