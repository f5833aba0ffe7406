/**
 * Transfers through the presigned S3 URLs the control plane hands out: the source snapshot up, run
 * records and result files down. Files are streamed, never held whole; a download is written beside
 * its target, checked against the sha256 its record gives and only then renamed into place, so a
 * result file is either absent or intact. Network errors and 5xx answers are retried from the start.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { z } from 'zod';
import { writeVerifiedFile } from '../../adapters/local/write-verified-file.js';
import { AwsTransferError } from './client-errors.js';
import { isRetryableStatus, sleep, type RetryPolicy } from './retry-policy.js';

/** Called as bytes leave: bytes handed to the connection so far, and the file's size. */
export type UploadProgress = (sentBytes: number, totalBytes: number) => void;

/** S3 answers refusals with XML; its Code and Message are what a user can act on. */
function s3Reason(text: string): string {
  const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
  const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1];
  if (code !== undefined) return message !== undefined ? `${code}: ${message}` : code;
  return text.trim().slice(0, 200);
}

function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

/**
 * PUTs `file` to a presigned URL with exactly the headers the API returned (they are signed: S3
 * refuses the upload without them). The body is streamed with a declared length, as S3 requires.
 */
export async function uploadToPresignedUrl(
  url: string,
  headers: Readonly<Record<string, string>>,
  file: string,
  retry: RetryPolicy,
  onProgress?: UploadProgress,
): Promise<void> {
  const { size } = await stat(file);
  const sendHeaders: Record<string, string> = { ...headers };
  const declared = Object.entries(sendHeaders).find(([name]) => name.toLowerCase() === 'content-length');
  if (declared === undefined) sendHeaders['content-length'] = String(size);
  else if (Number(declared[1]) !== size)
    throw new AwsTransferError(
      `the upload URL is signed for ${declared[1]} bytes, but ${file} has ${size}: was the snapshot changed?`,
    );

  let lastError: unknown;
  for (let attempt = 1; attempt <= retry.attempts; attempt++) {
    let sent = 0;
    onProgress?.(0, size);
    const counted = createReadStream(file).pipe(
      new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          sent += chunk.length;
          onProgress?.(sent, size);
          callback(null, chunk);
        },
      }),
    );
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'PUT',
        headers: sendHeaders,
        body: Readable.toWeb(counted) as ReadableStream,
        duplex: 'half',
      } as RequestInit);
    } catch (error) {
      counted.destroy();
      lastError = new AwsTransferError(`upload of ${file}: ${networkReason(error)}`, null, { cause: error });
      await sleep(retry.delayMs(attempt));
      continue;
    }
    const text = await response.text();
    if (response.ok) return;
    lastError = new AwsTransferError(
      `upload of ${file} refused (${response.status}): ${s3Reason(text)}`,
      response.status,
    );
    if (!isRetryableStatus(response.status)) break;
    await sleep(retry.delayMs(attempt));
  }
  throw lastError;
}

async function get(url: string, what: string, retry: RetryPolicy): Promise<Response> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= retry.attempts; attempt++) {
    let response: Response;
    try {
      response = await fetch(url);
    } catch (error) {
      lastError = new AwsTransferError(`download of ${what}: ${networkReason(error)}`, null, {
        cause: error,
      });
      await sleep(retry.delayMs(attempt));
      continue;
    }
    if (response.ok && response.body !== null) return response;
    const text = await response.text();
    lastError = new AwsTransferError(
      `download of ${what} refused (${response.status}): ${s3Reason(text)}`,
      response.status,
    );
    if (!isRetryableStatus(response.status)) break;
    await sleep(retry.delayMs(attempt));
  }
  throw lastError;
}

/** GETs a small JSON document (a run record) and validates it. */
export async function downloadJson<T>(
  url: string,
  schema: z.ZodType<T>,
  what: string,
  retry: RetryPolicy,
): Promise<T> {
  const text = await (await get(url, what, retry)).text();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AwsTransferError(`${what} is not JSON`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new AwsTransferError(`${what} is not what the contract describes: ${parsed.error.message}`);
  return parsed.data;
}

/**
 * Downloads to `file` (whole or not at all), refusing content whose sha256 differs from `expectedSha256`:
 * the partial copy is deleted and the target left as it was.
 */
export async function downloadFile(
  url: string,
  file: string,
  expectedSha256: string,
  retry: RetryPolicy,
): Promise<void> {
  const response = await get(url, file, retry);
  try {
    await writeVerifiedFile(
      Readable.fromWeb(response.body as WebReadableStream),
      file,
      expectedSha256,
      (actual) =>
        new AwsTransferError(
          `download of ${file} has sha256 ${actual}, but its record says ${expectedSha256}; rejected`,
        ),
    );
  } catch (error) {
    if (error instanceof AwsTransferError) throw error;
    throw new AwsTransferError(`download of ${file}: ${networkReason(error)}`, null, { cause: error });
  }
}
