/**
 * The control plane client against a local HTTP server standing in for API Gateway: what goes on the
 * wire is SigV4-signed for execute-api in the API's region (checked by signing the received request
 * again), refusals come back as the contract's typed errors, and outages are ridden out.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { signatureMatches as verifySignature } from '../../../support/sigv4-verify.js';
import type { CampaignStatus } from '../../../../lib/aws/campaign-status.js';
import {
  AwsApiAuthError,
  AwsApiError,
  AwsCredentialsError,
} from '../../../../lib/aws/client/client-errors.js';
import { ControlPlaneClient, type AwsCredentials } from '../../../../lib/aws/client/control-plane-client.js';
import {
  CampaignNotFoundError,
  CampaignSpecInvalidError,
  CampaignStateConflictError,
} from '../../../../lib/aws/errors.js';

interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

type Answer = { status: number; body: unknown } | 'hang-up';

const CREDENTIALS: AwsCredentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};
const REGION = 'eu-central-1';
const NO_WAIT = { attempts: 3, delayMs: () => 1 };

const status: CampaignStatus = {
  v: 1,
  campaignId: 'camp-1',
  name: null,
  state: 'running',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:05:00.000Z',
  startedAt: '2026-01-01T00:00:10.000Z',
  executionArn: 'arn:aws:states:eu-central-1:123456789012:execution:campaign:camp-1',
  stackName: 'inet-swarm-dev-camp-1',
  runs: { total: 18, ok: 3, failed: 0, finished: 3, remainingSeconds: 40 },
  cost: { soFarUsd: 0.01, projectedUsd: 0.05, budgetUsd: null },
  failure: null,
  cluster: { managerAddress: '198.51.100.7', dashboardPort: 8081 },
};

let server: http.Server;
let baseUrl: string;
const received: Received[] = [];
let answers: Answer[] = [];

beforeAll(async () => {
  server = http.createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      received.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
      const answer = answers.shift() ?? { status: 500, body: { message: 'no answer scripted' } };
      if (answer === 'hang-up') {
        request.socket.destroy();
        return;
      }
      response.writeHead(answer.status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dev`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  received.length = 0;
  answers = [];
});

function client(credentials: AwsCredentials = CREDENTIALS): ControlPlaneClient {
  return new ControlPlaneClient({
    apiUrl: baseUrl,
    region: REGION,
    credentials: () => Promise.resolve(credentials),
    retry: NO_WAIT,
  });
}

function signatureMatches(request: Received, credentials = CREDENTIALS): Promise<boolean> {
  return verifySignature(request, credentials, REGION);
}

describe('ControlPlaneClient signing', () => {
  it('signs a GET with SigV4 for execute-api in the API region', async () => {
    answers = [{ status: 200, body: status }];
    const read = await client().campaign('camp-1');
    expect(read).toEqual(status);
    const [request] = received;
    expect(request?.method).toBe('GET');
    expect(request?.url).toBe('/dev/campaigns/camp-1');
    expect(request?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-central-1\/execute-api\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
    );
    expect(request?.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
    // The hash of an empty body.
    expect(request?.headers['x-amz-content-sha256']).toBe(createHash('sha256').update('').digest('hex'));
    expect(await signatureMatches(request as Received)).toBe(true);
  });

  it('signs the body of a POST and its query parameters', async () => {
    answers = [
      {
        status: 201,
        body: { campaignId: 'camp-2', upload: null, status: { ...status, campaignId: 'camp-2' } },
      },
      { status: 200, body: { items: [], next: null } },
    ];
    const spec = {
      program: './demo',
      args: ['-c', 'Quick'],
      source: { sha256: 'a'.repeat(64), size: 10 },
      cluster: { region: 'eu-central-1', clusterSize: 2, instanceType: 'c6i.xlarge' },
    };
    await client().createCampaign(spec);
    await client().records('camp-2', 'records/1-1.json', 50);
    const [post, get] = received;
    expect(JSON.parse(post?.body ?? '')).toEqual(spec);
    expect(post?.headers['content-type']).toBe('application/json');
    expect(post?.headers['x-amz-content-sha256']).toBe(
      createHash('sha256')
        .update(post?.body ?? '')
        .digest('hex'),
    );
    expect(await signatureMatches(post as Received)).toBe(true);
    // The check itself notices a request other than the one signed.
    expect(await signatureMatches({ ...(post as Received), url: '/dev/campaigns/other' })).toBe(false);
    expect(get?.url).toBe('/dev/campaigns/camp-2/records?next=records%2F1-1.json&limit=50');
    expect(await signatureMatches(get as Received)).toBe(true);
  });

  it('sends the session token of temporary credentials', async () => {
    const temporary = { ...CREDENTIALS, sessionToken: 'session-token-1' };
    answers = [{ status: 200, body: status }];
    await client(temporary).campaign('camp-1');
    expect(received[0]?.headers['x-amz-security-token']).toBe('session-token-1');
    expect(await signatureMatches(received[0] as Received, temporary)).toBe(true);
  });

  it('sends nothing without credentials', async () => {
    const noCredentials = new ControlPlaneClient({
      apiUrl: baseUrl,
      region: REGION,
      credentials: () => Promise.reject(new Error('Could not load credentials from any providers')),
      retry: NO_WAIT,
    });
    await expect(noCredentials.campaign('camp-1')).rejects.toThrow(AwsCredentialsError);
    expect(received).toHaveLength(0);
  });
});

describe('ControlPlaneClient refusals', () => {
  it('turns a 400 CampaignSpecInvalid into the typed error with the server message and issues', async () => {
    answers = [
      {
        status: 400,
        body: {
          error: 'CampaignSpecInvalid',
          message: 'the spec is invalid',
          issues: ['cluster.instanceType: unknown or unsupported instance type'],
        },
      },
    ];
    const error = await client()
      .createCampaign({
        program: 'x',
        args: [],
        source: { sha256: 'a'.repeat(64), size: 1 },
        cluster: {} as never,
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CampaignSpecInvalidError);
    expect((error as CampaignSpecInvalidError).message).toContain('the spec is invalid');
    expect((error as CampaignSpecInvalidError).issues).toEqual([
      'cluster.instanceType: unknown or unsupported instance type',
    ]);
    expect(received).toHaveLength(1);
  });

  it('turns 404 and 409 into CampaignNotFound and CampaignStateConflict', async () => {
    answers = [
      { status: 404, body: { error: 'CampaignNotFound', message: 'no campaign nope' } },
      { status: 409, body: { error: 'CampaignStateConflict', message: 'the source is not uploaded yet' } },
    ];
    await expect(client().campaign('nope')).rejects.toThrow(new CampaignNotFoundError('no campaign nope'));
    const conflict = await client()
      .startCampaign('camp-1')
      .catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(CampaignStateConflictError);
    expect((conflict as Error).message).toContain('the source is not uploaded yet');
  });

  it("reports API Gateway's 403 as an authorisation problem, not retried", async () => {
    answers = [{ status: 403, body: { message: 'Forbidden' } }];
    const error = await client()
      .listCampaigns()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsApiAuthError);
    expect((error as Error).message).toMatch(/403: Forbidden.*eu-central-1/);
    expect(received).toHaveLength(1);
  });

  it('reports an error name outside the contract with its message', async () => {
    answers = [{ status: 400, body: { error: 'SomethingNew', message: 'limit must be at most 1000' } }];
    const error = await client()
      .results('camp-1', null, 5000)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsApiError);
    expect((error as AwsApiError).status).toBe(400);
    expect((error as Error).message).toContain('SomethingNew: limit must be at most 1000');
  });

  it('refuses an answer that does not match the contract', async () => {
    answers = [{ status: 200, body: { ...status, state: 'exploded' } }];
    await expect(client().campaign('camp-1')).rejects.toThrow(/unexpected answer/);
  });
});

describe('ControlPlaneClient retries', () => {
  it('retries a 503 and returns the answer that follows', async () => {
    answers = [
      { status: 503, body: { message: 'Service Unavailable' } },
      { status: 200, body: status },
    ];
    expect(await client().campaign('camp-1')).toEqual(status);
    expect(received).toHaveLength(2);
    // Each attempt carries its own valid signature.
    expect(await signatureMatches(received[1] as Received)).toBe(true);
  });

  it('retries a dropped connection', async () => {
    answers = ['hang-up', { status: 200, body: { campaigns: [status], next: null } }];
    expect((await client().listCampaigns()).campaigns).toEqual([status]);
    expect(received).toHaveLength(2);
  });

  it('gives up after its attempts with the last server error', async () => {
    answers = [
      { status: 502, body: { message: 'Bad Gateway' } },
      { status: 502, body: { message: 'Bad Gateway' } },
      { status: 502, body: { message: 'Bad Gateway' } },
    ];
    const error = await client()
      .campaign('camp-1')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsApiError);
    expect((error as AwsApiError).status).toBe(502);
    expect(received).toHaveLength(3);
  });
});
