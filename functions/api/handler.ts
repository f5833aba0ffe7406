/**
 * The control plane's HTTP API (routes: lib/aws/api-contract.ts) behind API Gateway's HTTP API with
 * IAM authorisation (payload format 2.0). The request is translated and routed by
 * lib/aws/api/handle-request.ts; errors are mapped in one place here: known ones to their 4xx body,
 * anything else to a logged 500 that says nothing about the internals.
 */
import middy from '@middy/core';
import type {
  APIGatewayProxyEventV2WithIAMAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { z } from 'zod';
import { handleApiRequest, type ApiDeps } from '../../lib/aws/api/handle-request.js';
import {
  errorResponse,
  HttpError,
  INTERNAL_ERROR_RESPONSE,
  type ApiRequest,
} from '../../lib/aws/api/http.js';
import { presignedPutHeaders } from '../../lib/adapters/aws/s3-control-plane-store.js';
import { loadWorkflowConfig } from '../shared/config.js';
import { createStore, createWorkflow, now } from '../shared/deps.js';
import { createLogger } from '../shared/log.js';

const config = loadWorkflowConfig(process.env);
const log = createLogger(config.logLevel, { function: 'api' });
const deps: ApiDeps = {
  store: createStore(config),
  workflow: createWorkflow(config),
  region: config.region,
  uploadHeaders: presignedPutHeaders,
  log,
  now,
};

/** The parts of the event the API uses; `authorizer.iam` is absent on a route without IAM auth. */
const eventSchema = z.object({
  rawPath: z.string(),
  // API Gateway omits them when empty; serverless-offline sends null.
  queryStringParameters: z.record(z.string(), z.string().optional()).nullish(),
  body: z.string().nullish(),
  isBase64Encoded: z.boolean().default(false),
  requestContext: z.object({
    requestId: z.string(),
    http: z.object({ method: z.string() }),
    authorizer: z
      .object({ iam: z.object({ userArn: z.string(), accountId: z.string() }).optional() })
      .optional(),
  }),
});

function toApiRequest(event: z.infer<typeof eventSchema>): ApiRequest {
  const iam = event.requestContext.authorizer?.iam;
  // Defence in depth: API Gateway refuses unsigned requests on IAM routes; a route without it is a mistake.
  if (iam === undefined)
    throw new HttpError(403, 'Forbidden', 'the request is not signed by an IAM principal');
  const body =
    event.body === undefined || event.body === null
      ? null
      : event.isBase64Encoded
        ? Buffer.from(event.body, 'base64').toString('utf8')
        : event.body;
  return {
    method: event.requestContext.http.method.toUpperCase(),
    path: event.rawPath,
    query: event.queryStringParameters ?? {},
    body,
    caller: iam.userArn,
  };
}

export const handler = middy<
  APIGatewayProxyEventV2WithIAMAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Error,
  Context
>()
  .onError((request) => {
    const fields = {
      requestId: request.context.awsRequestId,
      // The event may be why it failed: no assumptions about its shape here.
      method: request.event.requestContext?.http?.method,
      path: request.event.rawPath,
    };
    const known = errorResponse(request.error);
    if (known !== null) {
      log.info('request refused', {
        ...fields,
        statusCode: known.statusCode,
        error: request.error?.message,
      });
      return known;
    }
    log.error('request failed', { ...fields, error: request.error });
    return INTERNAL_ERROR_RESPONSE;
  })
  .handler(async (event: APIGatewayProxyEventV2WithIAMAuthorizer, context: Context) => {
    const request = toApiRequest(eventSchema.parse(event));
    const campaignId = request.path.split('/').filter(Boolean)[1];
    log.info('request', {
      requestId: context.awsRequestId,
      method: request.method,
      path: request.path,
      caller: request.caller,
      ...(campaignId === undefined ? {} : { campaignId }),
    });
    const response = await handleApiRequest(request, deps);
    log.info('response', { requestId: context.awsRequestId, statusCode: response.statusCode });
    return { ...response, headers: { ...response.headers } };
  });
