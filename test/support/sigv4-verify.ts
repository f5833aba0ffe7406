/**
 * Checks a SigV4-signed request the way API Gateway's IAM authoriser does, for tests: sign the request
 * as received again, with the same credentials and at the time it claims, and compare. Equal only if
 * what was signed is what was sent.
 */
import type http from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

export interface ReceivedRequest {
  readonly method: string;
  /** Path and query, as node:http gives them. */
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export async function signatureMatches(
  request: ReceivedRequest,
  credentials: { accessKeyId: string; secretAccessKey: string },
  region: string,
  service = 'execute-api',
): Promise<boolean> {
  const authorization = String(request.headers.authorization);
  const signedHeaders = (/SignedHeaders=([^,]+)/.exec(authorization)?.[1] ?? '').split(';');
  const date = String(request.headers['x-amz-date']);
  const signingDate = new Date(
    `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`,
  );
  const url = new URL(request.url, `http://${request.headers.host}`);
  const signer = new SignatureV4({ service, region, credentials, sha256: Sha256 });
  const again = await signer.sign(
    {
      method: request.method,
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: Object.fromEntries(signedHeaders.map((name) => [name, String(request.headers[name])])),
      body: request.body === '' ? undefined : request.body,
    },
    { signingDate },
  );
  return again.headers.authorization === authorization;
}
