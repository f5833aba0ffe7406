/**
 * The HTTP API's routes (lib/aws/api-contract.ts): one request in, one response out. Errors are
 * thrown: known ones become 4xx bodies through errorResponse (./http.ts), anything else a 500.
 */
import { z } from 'zod';
import { MAX_BODY_BYTES } from '../api-contract.js';
import { campaignIdSchema } from '../bucket-layout.js';
import { issueLines } from '../campaign-spec.js';
import { CampaignNotFoundError } from '../errors.js';
import { cancelCampaign } from '../steps/cancel-campaign.js';
import { createCampaign, type CreateCampaignDeps } from '../steps/create-campaign.js';
import { startCampaign, type StartCampaignDeps } from '../steps/start-campaign.js';
import {
  listCampaigns,
  listRecords,
  listResults,
  logTail,
  readCampaignView,
  type QueryDeps,
} from './campaign-queries.js';
import { HttpError, jsonResponse, type ApiRequest, type ApiResponse } from './http.js';

export type ApiDeps = CreateCampaignDeps & StartCampaignDeps & QueryDeps;

const nextSchema = z.string().min(1).optional();
const pagingSchema = z.object({
  next: nextSchema,
  limit: z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(1).max(1000))
    .optional(),
});
const logQuerySchema = z.object({
  run: z.string().regex(/^\d+$/, 'must be a run number').transform(Number).optional(),
});
const DEFAULT_PAGE_LIMIT = 500;

type Route = (request: ApiRequest, deps: ApiDeps, campaignId: string) => Promise<ApiResponse>;

const collectionRoutes: Readonly<Record<string, Route>> = {
  POST: async (request, deps) => jsonResponse(201, await createCampaign(jsonBody(request), deps)),
  GET: async (request, deps) => {
    const { next } = query(request, z.object({ next: nextSchema }));
    return jsonResponse(200, await listCampaigns(next ?? null, deps));
  },
};

const campaignRoutes: Readonly<Record<string, Readonly<Record<string, Route>>>> = {
  '': { GET: async (_request, deps, id) => jsonResponse(200, await readCampaignView(deps.store, id)) },
  start: { POST: async (_request, deps, id) => jsonResponse(202, await startCampaign(id, deps)) },
  cancel: {
    POST: async (request, deps, id) =>
      jsonResponse(202, await cancelCampaign(id, `cancelled through the API by ${request.caller}`, deps)),
  },
  records: {
    GET: async (request, deps, id) => {
      const { next, limit } = query(request, pagingSchema);
      return jsonResponse(200, await listRecords(id, next ?? null, limit ?? DEFAULT_PAGE_LIMIT, deps));
    },
  },
  results: {
    GET: async (request, deps, id) => {
      const { next, limit } = query(request, pagingSchema);
      return jsonResponse(200, await listResults(id, next ?? null, limit ?? DEFAULT_PAGE_LIMIT, deps));
    },
  },
  logs: {
    GET: async (request, deps, id) => {
      const { run } = query(request, logQuerySchema);
      return jsonResponse(200, await logTail(id, run ?? null, deps));
    },
  },
};

/**
 * @throws HttpError for requests the API refuses (413, 400 MalformedJson or InvalidRequest, 404 NotFound)
 * @throws CampaignSpecInvalid, CampaignNotFound, CampaignStateConflict from the steps
 */
export async function handleApiRequest(request: ApiRequest, deps: ApiDeps): Promise<ApiResponse> {
  if (request.body !== null && Buffer.byteLength(request.body, 'utf8') > MAX_BODY_BYTES)
    throw new HttpError(413, 'PayloadTooLarge', `the body is larger than ${MAX_BODY_BYTES} bytes`);
  const segments = request.path.split('/').filter((segment) => segment !== '');
  if (segments[0] !== 'campaigns' || segments.length > 3) throw notFound(request);
  const [, id, action = ''] = segments;
  if (id === undefined) {
    const route = collectionRoutes[request.method];
    if (route === undefined) throw notFound(request);
    return route(request, deps, '');
  }
  const route = campaignRoutes[action]?.[request.method];
  if (route === undefined) throw notFound(request);
  // An id that cannot exist names no campaign (and must not reach an S3 key).
  if (!campaignIdSchema.safeParse(id).success) throw new CampaignNotFoundError(`no campaign ${id}`);
  return route(request, deps, id);
}

function notFound(request: ApiRequest): HttpError {
  return new HttpError(404, 'NotFound', `no route ${request.method} ${request.path}`);
}

function jsonBody(request: ApiRequest): unknown {
  if (request.body === null || request.body.trim() === '')
    throw new HttpError(400, 'MalformedJson', 'the request needs a JSON body');
  try {
    return JSON.parse(request.body);
  } catch (error) {
    throw new HttpError(400, 'MalformedJson', `the body is not JSON: ${(error as Error).message}`);
  }
}

function query<T>(request: ApiRequest, schema: z.ZodType<T>): T {
  const parsed = schema.safeParse(request.query);
  if (!parsed.success)
    throw new HttpError(400, 'InvalidRequest', 'invalid query parameters', issueLines(parsed.error));
  return parsed.data;
}
