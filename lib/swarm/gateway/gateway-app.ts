/**
 * The gateway: the one door through which the CLI talks to a swarm. Redis and MongoDB stay on the
 * stack's overlay network; the gateway validates every request (token first, then the body's shape)
 * and turns it into store and queue operations. It holds no state of its own, so it can be restarted
 * or replicated at will.
 *
 *   PUT  /v1/blobs/:key                   upload a source snapshot (sha256 checked), idempotent
 *   HEAD|GET /v1/blobs/:key               blob info / content (results, plans)
 *   POST /v1/builds, GET /v1/builds/:id   request a build, follow its state and log
 *   POST /v1/plans,  GET /v1/plans/:id    enumerate a campaign's runs inside the swarm
 *   PUT  /v1/campaigns/:id                define a campaign (the first definition is kept)
 *   POST /v1/campaigns/:id/units          enqueue runs
 *   DELETE /v1/campaigns/:id/units        cancel runs not yet started
 *   GET  /v1/campaigns                    every campaign with its progress
 *   GET  /v1/campaigns/:id/runs/:run/log  the end of a run's output
 *   GET  /v1/campaigns/:id/records        finished run records the client has not stored yet
 *   POST /v1/campaigns/:id/records/fetched  the client has stored these
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Job, type Queue } from 'bullmq';
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { BlobNotFoundError } from '../../core/errors.js';
import { checkStoreKey } from '../../core/store-keys.js';
import type { BlobStore } from '../../ports/blob-store.js';
import type { CampaignStore } from '../../ports/campaign-store.js';
import type { RunQueue } from '../../ports/run-queue.js';
import { buildId, planId, type BuildRequest, type PlanRequest } from '../build-jobs.js';
import { tokenAuth } from '../http/token-auth.js';
import {
  buildRequestSchema,
  campaignSchema,
  enqueueRequestSchema,
  fetchedRequestSchema,
  planRequestSchema,
} from './gateway-schemas.js';
import { jobView } from './job-view.js';
import { runLogTail } from '../dashboard/run-log-tail.js';

/** Lines of a run's output `inet-swarm logs` shows. */
const LOG_TAIL_LINES = 200;

export interface GatewayDeps {
  readonly token: string;
  readonly blobs: BlobStore;
  readonly campaigns: CampaignStore;
  readonly runs: RunQueue;
  readonly builds: Queue<BuildRequest, unknown, string>;
  readonly plans: Queue<PlanRequest, unknown, string>;
  /** Where uploads and downloads are staged. */
  readonly scratchDir: string;
  /** Largest source snapshot accepted, in bytes. */
  readonly maxUploadBytes: number;
}

/** A request the gateway refuses: status and a message for the CLI to show as it is. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Express 5 forwards rejected promises to the error handler; this only narrows the types. */
type Handler = (request: Request, response: Response) => Promise<void>;
const route = (handler: Handler) => (request: Request, response: Response, next: NextFunction) =>
  handler(request, response).catch(next);

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new HttpError(400, `invalid request: ${z.prettifyError(result.error)}`);
  return result.data;
}

function param(request: Request, name: string, what: string): string {
  const value = request.params[name];
  if (typeof value !== 'string') throw new HttpError(400, `missing ${what}`);
  try {
    checkStoreKey(value, what);
  } catch (error) {
    throw new HttpError(400, (error as Error).message);
  }
  return value;
}

/** Blobs a client may upload: source snapshots. Artifacts, plans and results are the swarm's own. */
const UPLOADABLE = /^source-[0-9a-f]{16,64}$/;

export function createGatewayApp(deps: GatewayDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // Health checks (Docker's, the CLI's `swarm up` wait) reveal nothing and need no token.
  app.get('/healthz', (_request, response) => {
    response.json({ ok: true });
  });
  app.use(tokenAuth(deps.token));
  app.use(express.json({ limit: '32mb' }));

  app.head(
    '/v1/blobs/:key',
    route(async (request, response) => {
      const info = await deps.blobs.stat(param(request, 'key', 'blob'));
      if (info === null) response.status(404).end();
      else response.set({ 'X-Blob-Size': String(info.size), 'X-Blob-SHA256': info.sha256 }).end();
    }),
  );

  app.put(
    '/v1/blobs/:key',
    route(async (request, response) => {
      const key = param(request, 'key', 'blob');
      if (!UPLOADABLE.test(key)) throw new HttpError(403, `blob ${key} cannot be uploaded by a client`);
      const expected = request.get('X-Content-SHA256');
      if (expected === undefined || !/^[0-9a-f]{64}$/.test(expected))
        throw new HttpError(400, 'an X-Content-SHA256 header with the upload checksum is required');
      const declared = Number(request.get('Content-Length') ?? Number.NaN);
      if (declared > deps.maxUploadBytes)
        throw new HttpError(413, `the upload is larger than ${deps.maxUploadBytes} bytes`);
      const existing = await deps.blobs.stat(key);
      if (existing !== null) {
        request.resume(); // the same content is already stored: drain and keep the first copy
        response.json(existing);
        return;
      }
      const staged = await stagedFile(deps.scratchDir);
      try {
        const hash = createHash('sha256');
        let size = 0;
        const limit = new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            size += chunk.length;
            if (size > deps.maxUploadBytes) {
              callback(new HttpError(413, `the upload is larger than ${deps.maxUploadBytes} bytes`));
              return;
            }
            hash.update(chunk);
            callback(null, chunk);
          },
        });
        await pipeline(request, limit, createWriteStream(staged));
        const actual = hash.digest('hex');
        if (actual !== expected)
          throw new HttpError(400, `upload damaged in transit: sha256 ${actual}, expected ${expected}`);
        response.json(await deps.blobs.putFile(key, staged));
      } finally {
        await rm(staged, { force: true });
      }
    }),
  );

  app.get(
    '/v1/blobs/:key',
    route(async (request, response) => {
      const key = param(request, 'key', 'blob');
      const staged = await stagedFile(deps.scratchDir);
      try {
        const info = await deps.blobs.getFile(key, staged).catch((error: unknown) => {
          if (error instanceof BlobNotFoundError) throw new HttpError(404, `no blob ${key}`);
          throw error;
        });
        response.set({
          'Content-Type': 'application/octet-stream',
          'Content-Length': String(info.size),
          'X-Blob-SHA256': info.sha256,
        });
        await pipeline(createReadStream(staged), response);
      } finally {
        await rm(staged, { force: true });
      }
    }),
  );

  app.post(
    '/v1/builds',
    route(async (request, response) => {
      const build = parse(buildRequestSchema, request.body);
      const id = buildId(build);
      if ((await deps.blobs.stat(build.sourceKey)) === null)
        throw new HttpError(409, `upload the source ${build.sourceKey} before asking for its build`);
      const joined = await addOnce(deps.builds, id, build, 2);
      // `reused`: this build had already succeeded; nothing is compiled for this request.
      response.status(202).json({ id, reused: joined === 'completed' });
    }),
  );

  app.get(
    '/v1/builds/:id',
    route(async (request, response) => {
      const id = param(request, 'id', 'build');
      const logFrom = Number(request.query.logFrom ?? 0);
      response.json(await jobView(deps.builds, id, Number.isFinite(logFrom) ? logFrom : 0));
    }),
  );

  app.post(
    '/v1/plans',
    route(async (request, response) => {
      const plan = parse(planRequestSchema, request.body);
      const id = planId(plan);
      await addOnce(deps.plans, id, plan, 2);
      response.status(202).json({ id });
    }),
  );

  app.get(
    '/v1/plans/:id',
    route(async (request, response) => {
      response.json(await jobView(deps.plans, param(request, 'id', 'plan'), 0));
    }),
  );

  app.get(
    '/v1/campaigns',
    route(async (_request, response) => {
      response.json(await deps.campaigns.listCampaigns());
    }),
  );

  app.get(
    '/v1/campaigns/:id/runs/:run/log',
    route(async (request, response) => {
      const id = param(request, 'id', 'campaign');
      const run = Number(request.params.run);
      if (!Number.isInteger(run) || run < 0) throw new HttpError(400, 'the run must be a run number');
      const entry = await deps.campaigns.latestRecord(id, run);
      if (entry === null) throw new HttpError(404, `run ${run} of ${id} has not finished yet`);
      const tail = await runLogTail(deps.blobs, entry, LOG_TAIL_LINES, deps.scratchDir);
      if (tail === null) throw new HttpError(404, `run ${run} of ${id} left no output`);
      response.json({ record: entry.record, ...tail });
    }),
  );

  app.put(
    '/v1/campaigns/:id',
    route(async (request, response) => {
      const id = param(request, 'id', 'campaign');
      const campaign = parse(campaignSchema, request.body);
      if (campaign.campaignId !== id) throw new HttpError(400, 'the campaign id does not match the path');
      await deps.campaigns.putCampaign(campaign);
      response.json(await deps.campaigns.getCampaign(id));
    }),
  );

  app.get(
    '/v1/campaigns/:id',
    route(async (request, response) => {
      const campaign = await deps.campaigns.getCampaign(param(request, 'id', 'campaign'));
      if (campaign === null) throw new HttpError(404, `no campaign ${String(request.params.id)}`);
      response.json(campaign);
    }),
  );

  app.post(
    '/v1/campaigns/:id/units',
    route(async (request, response) => {
      const id = param(request, 'id', 'campaign');
      const body = parse(enqueueRequestSchema, request.body);
      if (body.units.some((unit) => unit.campaignId !== id))
        throw new HttpError(400, 'every unit must belong to the campaign in the path');
      if ((await deps.campaigns.getCampaign(id)) === null)
        throw new HttpError(409, `define campaign ${id} before enqueueing its runs`);
      await deps.runs.enqueue(body.units, body.retry, { replaceFinished: body.replaceFinished });
      response.json({ enqueued: body.units.length });
    }),
  );

  app.delete(
    '/v1/campaigns/:id/units',
    route(async (request, response) => {
      response.json({ removed: await deps.runs.cancel(param(request, 'id', 'campaign')) });
    }),
  );

  app.get(
    '/v1/campaigns/:id/records',
    route(async (request, response) => {
      const limit = Math.min(Math.max(Number(request.query.limit ?? 200) || 200, 1), 1000);
      response.json(await deps.campaigns.unfetchedRecords(param(request, 'id', 'campaign'), limit));
    }),
  );

  app.post(
    '/v1/campaigns/:id/records/fetched',
    route(async (request, response) => {
      const { keys } = parse(fetchedRequestSchema, request.body);
      await deps.campaigns.markFetched(param(request, 'id', 'campaign'), keys);
      response.json({ marked: keys.length });
    }),
  );

  app.use((_request: Request, response: Response) => {
    response.status(404).json({ error: 'NotFound', message: 'no such endpoint' });
  });
  app.use((error: unknown, _request: Request, response: Response, _next: NextFunction) => {
    if (error instanceof HttpError) {
      response.status(error.status).json({ error: 'RequestRefused', message: error.message });
      return;
    }
    const status = (error as { status?: unknown }).status; // body-parser's errors carry a status
    if (typeof status === 'number' && status >= 400 && status < 500) {
      response.status(status).json({ error: 'RequestRefused', message: (error as Error).message });
      return;
    }
    console.error('gateway: request failed:', error);
    response.status(500).json({ error: 'InternalError', message: (error as Error).message });
  });
  return app;
}

async function stagedFile(scratchDir: string): Promise<string> {
  const dir = path.join(scratchDir, 'gateway');
  await mkdir(dir, { recursive: true });
  return path.join(dir, randomUUID());
}

/**
 * Adds a job under its deterministic id: while it waits, runs or has succeeded, asking again joins it;
 * a failed one is replaced, because a failure may have been the infrastructure's (a retry is cheap, a
 * stuck campaign is not). Returns the state of the job joined, or null when a new one was added.
 */
async function addOnce<T>(
  queue: Queue<T, unknown, string>,
  id: string,
  data: T,
  attempts: number,
): Promise<string | null> {
  const existing = await Job.fromId<T>(queue, id);
  const state = existing === undefined ? null : await existing.getState();
  if (existing !== undefined && state === 'failed') await existing.remove();
  // The job name is the id too; BullMQ's name typing cannot see that through the generic.
  await (queue as Queue).add(id, data, {
    jobId: id,
    attempts,
    backoff: { type: 'fixed', delay: 2000 },
    removeOnComplete: { age: 7 * 24 * 3600 },
    removeOnFail: { age: 7 * 24 * 3600 },
  });
  return state === 'failed' ? null : state;
}
