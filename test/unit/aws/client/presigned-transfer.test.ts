/**
 * Transfers through presigned URLs against a local server standing in for S3: the snapshot upload
 * streams exactly the file with the signed headers and reports progress; downloads land whole and
 * only when their sha256 matches the record.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AwsTransferError } from '../../../../lib/aws/client/client-errors.js';
import { downloadFile, uploadToPresignedUrl } from '../../../../lib/aws/client/presigned-transfer.js';

interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

const NO_WAIT = { attempts: 3, delayMs: () => 1 };
let server: http.Server;
let base: string;
const received: Received[] = [];
/** Status per request, in order; 200 once they run out. */
let statuses: number[] = [];
let served: Buffer = Buffer.alloc(0);

beforeAll(async () => {
  server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks),
      });
      const status = statuses.shift() ?? 200;
      if (status !== 200) {
        response.writeHead(status, { 'content-type': 'application/xml' });
        response.end(`<Error><Code>SlowDown${status}</Code><Message>try later</Message></Error>`);
        return;
      }
      response.writeHead(200);
      response.end(request.method === 'GET' ? served : undefined);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  received.length = 0;
  statuses = [];
});

function tempDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'inet-swarm-transfer-'));
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

function signedHeaders(data: Buffer): Record<string, string> {
  return {
    'content-length': String(data.length),
    'x-amz-checksum-sha256': createHash('sha256').update(data).digest('base64'),
    'x-amz-meta-sha256': sha256(data),
  };
}

describe('uploadToPresignedUrl', () => {
  it('streams the file with the signed headers and a declared length, reporting progress', async () => {
    const data = randomBytes(3 * 2 ** 20 + 17);
    const file = path.join(tempDir(), 'source.tar.gz');
    writeFileSync(file, data);
    const progress: [number, number][] = [];

    await uploadToPresignedUrl(
      `${base}/sources/abc.tar.gz?X-Amz-Signature=1`,
      signedHeaders(data),
      file,
      NO_WAIT,
      (sent, total) => progress.push([sent, total]),
    );

    expect(received).toHaveLength(1);
    const [put] = received;
    expect(put?.method).toBe('PUT');
    expect(put?.url).toBe('/sources/abc.tar.gz?X-Amz-Signature=1');
    expect(put?.body.equals(data)).toBe(true);
    for (const [name, value] of Object.entries(signedHeaders(data))) expect(put?.headers[name]).toBe(value);
    expect(put?.headers['transfer-encoding']).toBeUndefined();
    // Progress rises to the whole file, in several steps.
    expect(progress.length).toBeGreaterThan(3);
    expect(progress.at(-1)).toEqual([data.length, data.length]);
    expect(progress.every(([sent], i) => i === 0 || sent >= (progress[i - 1]?.[0] ?? 0))).toBe(true);
  });

  it('sends the whole file again after a 500', async () => {
    const data = randomBytes(100_000);
    const file = path.join(tempDir(), 'source.tar.gz');
    writeFileSync(file, data);
    statuses = [500];
    await uploadToPresignedUrl(`${base}/up`, signedHeaders(data), file, NO_WAIT);
    expect(received).toHaveLength(2);
    expect(received[1]?.body.equals(data)).toBe(true);
  });

  it('reports a refusal with the S3 code, without retrying it', async () => {
    const data = randomBytes(1000);
    const file = path.join(tempDir(), 'source.tar.gz');
    writeFileSync(file, data);
    statuses = [403];
    await expect(uploadToPresignedUrl(`${base}/up`, signedHeaders(data), file, NO_WAIT)).rejects.toThrow(
      /refused \(403\): SlowDown403: try later/,
    );
    expect(received).toHaveLength(1);
  });

  it('refuses to send a file whose size differs from the signed length', async () => {
    const file = path.join(tempDir(), 'source.tar.gz');
    writeFileSync(file, randomBytes(10));
    await expect(
      uploadToPresignedUrl(`${base}/up`, signedHeaders(randomBytes(11)), file, NO_WAIT),
    ).rejects.toThrow(AwsTransferError);
    expect(received).toHaveLength(0);
  });
});

describe('downloadFile', () => {
  it('writes a file whose sha256 matches', async () => {
    served = randomBytes(50_000);
    const dir = tempDir();
    const target = path.join(dir, 'run-1.sca');
    await downloadFile(`${base}/results/run-1.sca`, target, sha256(served), NO_WAIT);
    expect(readFileSync(target).equals(served)).toBe(true);
    expect(readdirSync(dir)).toEqual(['run-1.sca']);
  });

  it('rejects content whose sha256 differs, leaving the target as it was and no partial file', async () => {
    served = randomBytes(50_000);
    const dir = tempDir();
    const target = path.join(dir, 'run-1.sca');
    const error = await downloadFile(
      `${base}/results/run-1.sca`,
      target,
      sha256(Buffer.from('other')),
      NO_WAIT,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsTransferError);
    expect((error as Error).message).toContain('rejected');
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('reports an expired URL as a 403 transfer error', async () => {
    statuses = [403];
    const error = await downloadFile(
      `${base}/results/x`,
      path.join(tempDir(), 'x'),
      'a'.repeat(64),
      NO_WAIT,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsTransferError);
    expect((error as AwsTransferError).status).toBe(403);
  });
});
