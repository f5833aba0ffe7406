import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import '../../../support/aws-mock-matchers.js';
import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
  vi,
  type MockInstance,
} from 'vitest';
import { campaignKeys, sourceKey } from '../../../../lib/aws/bucket-layout.js';
import { campaignSpecSchema } from '../../../../lib/aws/campaign-spec.js';
import { BUCKET, CAMPAIGN_ID, REGION, SOURCE_SHA, spec, specInput, status } from '../support/campaigns.js';
import {
  executionArnFor,
  lambdaContext,
  MockBucket,
  STATE_MACHINE_ARN,
  stubFunctionEnv,
} from '../support/aws-mocks.js';

const CALLER = 'arn:aws:iam::123456789012:user/alice';
const s3 = mockClient(S3Client);
const sfn = mockClient(SFNClient);
const cfn = mockClient(CloudFormationClient);
let bucket: MockBucket;
let stdout: MockInstance<typeof process.stdout.write>;
let handler: (
  event: APIGatewayProxyEventV2WithIAMAuthorizer,
  context: ReturnType<typeof lambdaContext>,
) => Promise<APIGatewayProxyStructuredResultV2>;

function event(
  method: string,
  path: string,
  options: { body?: string; query?: Record<string, string>; iam?: boolean; base64?: boolean } = {},
): APIGatewayProxyEventV2WithIAMAuthorizer {
  const iam = {
    accessKey: 'ASIAEXAMPLE',
    accountId: '123456789012',
    callerId: 'AIDAEXAMPLE',
    cognitoIdentity: null,
    principalOrgId: 'o-example',
    userArn: CALLER,
    userId: 'AIDAEXAMPLE',
  };
  const body =
    options.body === undefined || options.base64 !== true
      ? options.body
      : Buffer.from(options.body).toString('base64');
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: new URLSearchParams(options.query).toString(),
    headers: { 'content-type': 'application/json' },
    ...(options.query === undefined ? {} : { queryStringParameters: options.query }),
    ...(body === undefined ? {} : { body }),
    isBase64Encoded: options.base64 ?? false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'inet-swarm' },
      requestId: 'api-request-1',
      routeKey: '$default',
      stage: '$default',
      time: '01/Mar/2026:12:00:00 +0000',
      timeEpoch: 1_772_366_400_000,
      // Typed as always present; a route without IAM auth has none.
      authorizer: (options.iam === false ? undefined : { iam }) as { iam: typeof iam },
    },
  };
}

async function call(e: APIGatewayProxyEventV2WithIAMAuthorizer) {
  const response = await handler(e, lambdaContext());
  return {
    statusCode: response.statusCode,
    body: JSON.parse(response.body ?? 'null') as Record<string, unknown>,
  };
}

/** Every JSON line the function logged. */
const logged = () => stdout.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>);

beforeAll(async () => {
  stubFunctionEnv({ LOG_LEVEL: 'info' });
  ({ handler } = await import('../../../../functions/api/handler.js'));
});
afterAll(() => {
  vi.unstubAllEnvs();
});

beforeEach(() => {
  s3.reset();
  sfn.reset();
  cfn.reset();
  bucket = new MockBucket(s3);
  sfn.on(StartExecutionCommand).callsFake((input: { name?: string }) => ({
    executionArn: executionArnFor(input.name ?? ''),
    startDate: new Date(),
  }));
  stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
});
afterEach(() => {
  stdout.mockRestore();
  expect(cfn).not.toHaveReceivedCommand(CreateStackCommand);
});

describe('POST /campaigns', () => {
  it('creates a campaign: 201 with a presigned upload of the source', async () => {
    const { statusCode, body } = await call(
      event('POST', '/campaigns', { body: JSON.stringify(specInput()) }),
    );

    expect(statusCode).toBe(201);
    const campaignId = body.campaignId as string;
    expect(campaignId).toMatch(/^demo-study-[0-9a-z]{8}$/);
    const upload = body.upload as { url: string; headers: Record<string, string> };
    const url = new URL(upload.url);
    expect(url.hostname).toBe(`${BUCKET}.s3.${REGION}.amazonaws.com`);
    expect(url.pathname).toBe(`/${sourceKey(SOURCE_SHA)}`);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('3600');
    expect(upload.headers).toEqual({
      'content-length': '1024',
      'x-amz-checksum-sha256': Buffer.from(SOURCE_SHA, 'hex').toString('base64'),
      'x-amz-meta-sha256': SOURCE_SHA,
    });
    expect(body.status).toMatchObject({ campaignId, state: 'created' });
    expect(campaignSpecSchema.parse(bucket.json(campaignKeys(campaignId).spec))).toEqual(spec());
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('reads a base64-encoded body', async () => {
    const { statusCode } = await call(
      event('POST', '/campaigns', { body: JSON.stringify(specInput()), base64: true }),
    );
    expect(statusCode).toBe(201);
  });

  it('logs the caller identity', async () => {
    await call(event('POST', '/campaigns', { body: JSON.stringify(specInput()) }));
    expect(logged()).toContainEqual(
      expect.objectContaining({ message: 'request', caller: CALLER, method: 'POST', path: '/campaigns' }),
    );
  });

  it.each([
    ['malformed JSON', '{"program": "opp_run",', 400, 'MalformedJson'],
    ['an empty body', '', 400, 'MalformedJson'],
    ['a JSON array', '[]', 400, 'CampaignSpecInvalid'],
  ])('answers %s with %i %s', async (_what, body, statusCode, error) => {
    expect(await call(event('POST', '/campaigns', { body }))).toMatchObject({ statusCode, body: { error } });
    expect(bucket.objects.size).toBe(0);
  });

  it('answers unknown fields with 400 CampaignSpecInvalid listing them', async () => {
    const body = JSON.stringify({ ...specInput(), budgetUSD: 5 });
    expect(await call(event('POST', '/campaigns', { body }))).toEqual({
      statusCode: 400,
      body: {
        error: 'CampaignSpecInvalid',
        message: 'the campaign spec is invalid',
        issues: ['(body): Unrecognized key: "budgetUSD"'],
      },
    });
    expect(bucket.objects.size).toBe(0);
  });

  it.each([
    [
      'instance type',
      { instanceType: 'p5.48xlarge' },
      /^cluster\.instanceType: unknown or unsupported instance type/,
    ],
    ['region', { region: 'eu-south-9' }, /^cluster\.region: unknown or unsupported region/],
  ])('answers an invalid %s with 400 CampaignSpecInvalid', async (_what, cluster, issue) => {
    const body = JSON.stringify(specInput({ cluster: { ...specInput().cluster, ...cluster } }));
    const { statusCode, body: answer } = await call(event('POST', '/campaigns', { body }));
    expect(statusCode).toBe(400);
    expect(answer).toMatchObject({ error: 'CampaignSpecInvalid', issues: [expect.stringMatching(issue)] });
    expect(bucket.objects.size).toBe(0);
  });

  it('answers an oversized body with 413', async () => {
    const body = JSON.stringify({ ...specInput(), args: ['-f', 'x'.repeat(64 * 1024)] });
    expect(await call(event('POST', '/campaigns', { body }))).toMatchObject({
      statusCode: 413,
      body: { error: 'PayloadTooLarge' },
    });
    expect(bucket.objects.size).toBe(0);
  });

  it('answers a request without an IAM identity with 403', async () => {
    const body = JSON.stringify(specInput());
    expect(await call(event('POST', '/campaigns', { body, iam: false }))).toMatchObject({
      statusCode: 403,
      body: { error: 'Forbidden' },
    });
    expect(bucket.objects.size).toBe(0);
  });
});

describe('POST /campaigns/{id}/start', () => {
  it('starts the workflow: 202 with the execution', async () => {
    bucket.putJson(campaignKeys(CAMPAIGN_ID).spec, spec());
    bucket.putJson(campaignKeys(CAMPAIGN_ID).status, status());
    bucket.putJson(sourceKey(SOURCE_SHA), 'snapshot');

    expect(await call(event('POST', `/campaigns/${CAMPAIGN_ID}/start`))).toEqual({
      statusCode: 202,
      body: { campaignId: CAMPAIGN_ID, executionArn: executionArnFor(CAMPAIGN_ID) },
    });
    expect(sfn).toHaveReceivedCommandExactlyOnceWith(StartExecutionCommand, {
      stateMachineArn: STATE_MACHINE_ARN,
      name: CAMPAIGN_ID,
      input: JSON.stringify({ campaignId: CAMPAIGN_ID }),
    });
    expect(bucket.json(campaignKeys(CAMPAIGN_ID).status)).toMatchObject({
      state: 'validating',
      executionArn: executionArnFor(CAMPAIGN_ID),
    });
  });

  it('answers 409 before the source is uploaded, starting nothing', async () => {
    bucket.putJson(campaignKeys(CAMPAIGN_ID).spec, spec());
    bucket.putJson(campaignKeys(CAMPAIGN_ID).status, status());
    expect(await call(event('POST', `/campaigns/${CAMPAIGN_ID}/start`))).toMatchObject({
      statusCode: 409,
      body: { error: 'CampaignStateConflict' },
    });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('answers 404 for an unknown campaign, starting nothing', async () => {
    expect(await call(event('POST', `/campaigns/${CAMPAIGN_ID}/start`))).toMatchObject({
      statusCode: 404,
      body: { error: 'CampaignNotFound' },
    });
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });
});

describe('other routes', () => {
  it('answers GET /campaigns/{id} with the status', async () => {
    bucket.putJson(campaignKeys(CAMPAIGN_ID).status, status({ state: 'running' }));
    expect(await call(event('GET', `/campaigns/${CAMPAIGN_ID}`))).toEqual({
      statusCode: 200,
      body: status({ state: 'running' }),
    });
  });

  it('answers an unknown route with 404 NotFound', async () => {
    expect(await call(event('GET', '/admin'))).toMatchObject({
      statusCode: 404,
      body: { error: 'NotFound' },
    });
  });

  it('answers an unexpected failure with a logged 500 that tells nothing', async () => {
    s3.on(GetObjectCommand).rejects(new Error('connect ECONNREFUSED 10.0.0.1:443 (secret-internal-host)'));

    const response = await handler(event('GET', `/campaigns/${CAMPAIGN_ID}`), lambdaContext());

    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body ?? '')).toEqual({ error: 'Internal', message: 'internal error' });
    expect(response.body).not.toContain('secret-internal-host');
    expect(logged()).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: 'request failed',
        error: expect.objectContaining({
          message: expect.stringContaining('ECONNREFUSED') as string,
        }) as unknown,
      }),
    );
  });
});
