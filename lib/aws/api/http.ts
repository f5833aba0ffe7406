/**
 * The API's requests and responses, independent of API Gateway's event format (functions/api/
 * translates), and the mapping of errors to status codes: the typed errors of lib/aws/errors.ts and
 * {@link HttpError} become `{ error, message, issues? }` bodies; anything else is for the caller to
 * log and answer with a bare 500.
 */
import type { ErrorBody } from '../api-contract.js';
import { CampaignNotFoundError, CampaignSpecInvalidError, CampaignStateConflictError } from '../errors.js';

export interface ApiRequest {
  readonly method: string;
  /** Without the query string, e.g. `/campaigns/abc-12345678/records`. */
  readonly path: string;
  readonly query: Readonly<Record<string, string | undefined>>;
  /** The body as text (decoded when it came base64-encoded), or null if there is none. */
  readonly body: string | null;
  /** Who signed the request (the IAM principal's ARN), for the record. */
  readonly caller: string;
}

export interface ApiResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** A request the API refuses, with the status and the body's error name. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly error: string,
    message: string,
    readonly issues?: readonly string[],
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function jsonResponse(statusCode: number, body: unknown): ApiResponse {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** The response for a known error; null for anything else (a 500 the caller logs). */
export function errorResponse(error: unknown): ApiResponse | null {
  if (error instanceof HttpError)
    return errorBody(error.statusCode, {
      error: error.error,
      message: error.message,
      ...(error.issues === undefined ? {} : { issues: error.issues }),
    });
  if (error instanceof CampaignSpecInvalidError)
    return errorBody(400, { error: error.name, message: error.message, issues: error.issues });
  if (error instanceof CampaignNotFoundError)
    return errorBody(404, { error: error.name, message: error.message });
  if (error instanceof CampaignStateConflictError)
    return errorBody(409, { error: error.name, message: error.message });
  return null;
}

export const INTERNAL_ERROR_RESPONSE: ApiResponse = jsonResponse(500, {
  error: 'Internal',
  message: 'internal error',
} satisfies ErrorBody);

function errorBody(statusCode: number, body: { error: string; message: string; issues?: readonly string[] }) {
  const { issues, ...rest } = body;
  const wire: ErrorBody = issues === undefined ? rest : { ...rest, issues: [...issues] };
  return jsonResponse(statusCode, wire);
}
