import { beforeEach, describe, expect, it } from 'vitest';
import { campaignKeys } from '../../../../lib/aws/bucket-layout.js';
import { campaignStatusSchema } from '../../../../lib/aws/campaign-status.js';
import { handleApiRequest } from '../../../../lib/aws/api/handle-request.js';
import { errorResponse, HttpError, type ApiRequest } from '../../../../lib/aws/api/http.js';
import {
  CampaignNotFoundError,
  CampaignSpecInvalidError,
  CampaignStateConflictError,
} from '../../../../lib/aws/errors.js';
import { InMemoryControlPlaneStore } from '../../../fakes/in-memory-control-plane-store.js';
import { runRecord } from '../../../support/run-record.js';
import { CAMPAIGN_ID, putText, REGION, seedCampaign, specInput } from '../support/campaigns.js';
import { clock, executionArn, FakeWorkflow } from '../support/fake-ports.js';
import { RecordingLog } from '../../../fakes/recording-log.js';

const CALLER = 'arn:aws:iam::123456789012:user/alice';
const keys = campaignKeys(CAMPAIGN_ID);
let store: InMemoryControlPlaneStore;
let workflow: FakeWorkflow;
let log: RecordingLog;
const time = clock('2026-03-01T12:00:00.000Z');
const deps = () => ({ store, workflow, log, region: REGION, uploadHeaders: () => ({}), now: time.now });

function request(method: string, path: string, extra: Partial<ApiRequest> = {}): ApiRequest {
  return { method, path, query: {}, body: null, caller: CALLER, ...extra };
}
const send = async (req: ApiRequest) => {
  const response = await handleApiRequest(req, deps());
  return { statusCode: response.statusCode, body: JSON.parse(response.body) as Record<string, unknown> };
};
/** The error a request is refused with, as the API would answer it. */
const refusal = async (req: ApiRequest) => {
  const error = await handleApiRequest(req, deps()).then(
    () => null,
    (e: unknown) => e,
  );
  const response = errorResponse(error);
  expect(response, `refused with a known error, got ${String(error)}`).not.toBeNull();
  return {
    statusCode: response?.statusCode,
    body: JSON.parse(response?.body ?? '{}') as Record<string, unknown>,
  };
};

function storedRecord(runNumber: number, attempt: number, results: string[]) {
  return { v: 1, record: runRecord(runNumber, { attempt }), results };
}

beforeEach(() => {
  store = new InMemoryControlPlaneStore();
  workflow = new FakeWorkflow();
  log = new RecordingLog();
});

describe('campaign routes', () => {
  it('creates a campaign (201)', async () => {
    const { statusCode, body } = await send(
      request('POST', '/campaigns', { body: JSON.stringify(specInput()) }),
    );
    expect(statusCode).toBe(201);
    expect(body).toMatchObject({
      campaignId: expect.stringMatching(/^demo-study-/) as string,
      upload: { headers: {} },
    });
  });

  it('starts a campaign (202)', async () => {
    await seedCampaign(store);
    expect(await send(request('POST', `/campaigns/${CAMPAIGN_ID}/start`))).toEqual({
      statusCode: 202,
      body: { campaignId: CAMPAIGN_ID, executionArn: executionArn(CAMPAIGN_ID) },
    });
  });

  it('answers a campaign status', async () => {
    await seedCampaign(store, { status: { state: 'running' } });
    const { statusCode, body } = await send(request('GET', `/campaigns/${CAMPAIGN_ID}`));
    expect(statusCode).toBe(200);
    expect(campaignStatusSchema.parse(body).state).toBe('running');
  });

  it('cancels a campaign (202), naming the caller', async () => {
    await seedCampaign(store, { status: { state: 'running', executionArn: executionArn(CAMPAIGN_ID) } });
    const { statusCode } = await send(request('POST', `/campaigns/${CAMPAIGN_ID}/cancel`));
    expect(statusCode).toBe(202);
    expect(store.text(keys.control('cancel'))).toContain(`cancelled through the API by ${CALLER}`);
  });

  it('lists campaigns from their status documents only', async () => {
    await seedCampaign(store, { campaignId: 'one-00000001' });
    await seedCampaign(store, { campaignId: 'two-00000002', status: { state: 'running' } });
    await store.putJson(campaignKeys('two-00000002').record(1, 1), storedRecord(1, 1, []));
    await store.putJson(campaignKeys('bad-00000003').status, { broken: true });

    const { body } = await send(request('GET', '/campaigns'));

    expect(body.next).toBeNull();
    expect((body.campaigns as { campaignId: string }[]).map((c) => c.campaignId)).toEqual([
      'one-00000001',
      'two-00000002',
    ]);
    expect(log.lines).toContainEqual(
      expect.objectContaining({ level: 'warn', message: 'unreadable campaign status' }),
    );
  });
});

describe('records and results', () => {
  beforeEach(async () => {
    await seedCampaign(store, { status: { state: 'running' } });
    await store.putJson(keys.record(3, 1), storedRecord(3, 1, []));
    await store.putJson(keys.record(3, 2), storedRecord(3, 2, []));
    await store.putJson(keys.record(10, 1), storedRecord(10, 1, []));
    putText(store, keys.result('General-#3.sca'), 'scalars');
  });

  it('lists records with presigned links, a page at a time', async () => {
    const first = await send(request('GET', `/campaigns/${CAMPAIGN_ID}/records`, { query: { limit: '2' } }));
    expect(first.body.items).toEqual([
      {
        runNumber: 10,
        attempt: 1,
        url: `memory://get/${encodeURIComponent(keys.record(10, 1))}?expires=3600`,
      },
      { runNumber: 3, attempt: 1, url: `memory://get/${encodeURIComponent(keys.record(3, 1))}?expires=3600` },
    ]);
    const second = await send(
      request('GET', `/campaigns/${CAMPAIGN_ID}/records`, {
        query: { limit: '2', next: first.body.next as string },
      }),
    );
    expect(second.body).toEqual({
      items: [{ runNumber: 3, attempt: 2, url: expect.any(String) as string }],
      next: null,
    });
  });

  it('lists result files by their path in the result directory', async () => {
    const { body } = await send(request('GET', `/campaigns/${CAMPAIGN_ID}/results`));
    expect(body).toEqual({
      items: [
        {
          path: 'General-#3.sca',
          size: 7,
          url: expect.stringContaining('results%2FGeneral-%233.sca') as string,
        },
      ],
      next: null,
    });
  });

  it.each([['0'], ['1001'], ['ten'], ['']])('refuses limit=%j', async (limit) => {
    const { statusCode, body } = await refusal(
      request('GET', `/campaigns/${CAMPAIGN_ID}/records`, { query: { limit } }),
    );
    expect(statusCode).toBe(400);
    expect(body).toMatchObject({ error: 'InvalidRequest', issues: [expect.stringMatching(/^limit: /)] });
  });

  it('says CampaignNotFound for the records of an unknown campaign', async () => {
    expect(await refusal(request('GET', '/campaigns/nope-00000000/results'))).toMatchObject({
      statusCode: 404,
      body: { error: 'CampaignNotFound' },
    });
  });
});

describe('logs', () => {
  beforeEach(async () => {
    await seedCampaign(store, { status: { state: 'running' } });
  });

  it('answers the last 200 lines of the build log', async () => {
    putText(store, keys.buildLog, Array.from({ length: 300 }, (_, i) => `line ${i + 1}`).join('\n') + '\n');
    const { body } = await send(request('GET', `/campaigns/${CAMPAIGN_ID}/logs`));
    const lines = body.lines as string[];
    expect(lines).toHaveLength(200);
    expect(lines[0]).toBe('line 101');
    expect(lines.at(-1)).toBe('line 300');
  });

  it('reads only the end of a huge log, whole lines only', async () => {
    // 300 lines of 2 kB: the end that is read holds fewer than 200 of them, the first one cut.
    const long = 'x'.repeat(2000);
    putText(store, keys.buildLog, Array.from({ length: 300 }, (_, i) => `${i} ${long}`).join('\n'));
    const lines = (await send(request('GET', `/campaigns/${CAMPAIGN_ID}/logs`))).body.lines as string[];
    expect(lines.length).toBeGreaterThan(100);
    expect(lines.length).toBeLessThan(200);
    expect(lines.at(-1)).toBe(`299 ${long}`);
    expect(lines.every((line, i) => line === `${300 - lines.length + i} ${long}`)).toBe(true);
  });

  it('answers the Cmdenv output of the run latest attempt', async () => {
    await store.putJson(keys.record(3, 1), storedRecord(3, 1, ['old-#3.out']));
    await store.putJson(keys.record(3, 2), storedRecord(3, 2, ['General-#3.sca', 'General-#3.out']));
    await store.putJson(keys.record(31, 1), storedRecord(31, 1, ['General-#31.out']));
    putText(store, keys.result('old-#3.out'), 'attempt 1\n');
    putText(store, keys.result('General-#3.out'), 'attempt 2\nEnd.\n');
    putText(store, keys.result('General-#31.out'), 'run 31\n');

    const { body } = await send(request('GET', `/campaigns/${CAMPAIGN_ID}/logs`, { query: { run: '3' } }));

    expect(body).toEqual({ lines: ['attempt 2', 'End.'] });
  });

  it('answers no lines when there is no log yet', async () => {
    expect((await send(request('GET', `/campaigns/${CAMPAIGN_ID}/logs`))).body).toEqual({ lines: [] });
    expect(
      (await send(request('GET', `/campaigns/${CAMPAIGN_ID}/logs`, { query: { run: '5' } }))).body,
    ).toEqual({
      lines: [],
    });
  });

  it('refuses a run that is not a number', async () => {
    const { statusCode } = await refusal(
      request('GET', `/campaigns/${CAMPAIGN_ID}/logs`, { query: { run: '-1' } }),
    );
    expect(statusCode).toBe(400);
  });
});

describe('refused requests', () => {
  it.each([
    ['GET', '/'],
    ['GET', '/campaign'],
    ['DELETE', '/campaigns'],
    ['GET', `/campaigns/${CAMPAIGN_ID}/start`],
    ['POST', `/campaigns/${CAMPAIGN_ID}/records`],
    ['GET', `/campaigns/${CAMPAIGN_ID}/records/extra/segment`],
  ])('answers %s %s with 404 NotFound', async (method, path) => {
    expect(await refusal(request(method, path))).toMatchObject({
      statusCode: 404,
      body: { error: 'NotFound' },
    });
  });

  it('says CampaignNotFound for an id that cannot exist', async () => {
    expect(await refusal(request('GET', '/campaigns/..%2F..%2Fsecrets'))).toMatchObject({
      statusCode: 404,
      body: { error: 'CampaignNotFound' },
    });
  });

  it.each([
    ['{"program": ', 'the body is not JSON'],
    ['', 'the request needs a JSON body'],
  ])('answers malformed JSON %j with 400', async (body, message) => {
    const refused = await refusal(request('POST', '/campaigns', { body }));
    expect(refused).toMatchObject({ statusCode: 400, body: { error: 'MalformedJson' } });
    expect(refused.body.message).toContain(message);
  });

  it('answers an oversized body with 413 before reading it', async () => {
    const body = JSON.stringify({ ...specInput(), args: ['x'.repeat(70 * 1024)] });
    expect(await refusal(request('POST', '/campaigns', { body }))).toMatchObject({
      statusCode: 413,
      body: { error: 'PayloadTooLarge' },
    });
    expect(store.objects.size).toBe(0);
  });
});

describe('errorResponse', () => {
  it('maps the typed errors to their status and body', () => {
    const parse = (error: unknown) => {
      const response = errorResponse(error);
      return response === null
        ? null
        : { statusCode: response.statusCode, body: JSON.parse(response.body) as unknown };
    };
    expect(parse(new CampaignSpecInvalidError('bad', ['a: b']))).toEqual({
      statusCode: 400,
      body: { error: 'CampaignSpecInvalid', message: 'bad', issues: ['a: b'] },
    });
    expect(parse(new CampaignNotFoundError('no'))).toEqual({
      statusCode: 404,
      body: { error: 'CampaignNotFound', message: 'no' },
    });
    expect(parse(new CampaignStateConflictError('twice'))).toEqual({
      statusCode: 409,
      body: { error: 'CampaignStateConflict', message: 'twice' },
    });
    expect(parse(new HttpError(403, 'Forbidden', 'unsigned'))).toEqual({
      statusCode: 403,
      body: { error: 'Forbidden', message: 'unsigned' },
    });
    expect(parse(new Error('socket hang up'))).toBeNull();
  });
});
