import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/core/serde';
import { mockClient } from 'aws-sdk-client-mock';
import '../../../support/aws-mock-matchers.js';
import { beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  presignedPutHeaders,
  S3ControlPlaneStore,
} from '../../../../lib/adapters/aws/s3-control-plane-store.js';
import { BlobCorruptError, BlobNotFoundError } from '../../../../lib/core/errors.js';

const BUCKET = 'control-bucket';
const client = new S3Client({
  region: 'eu-central-1',
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
});
const s3 = mockClient(client);
const store = new S3ControlPlaneStore(client, BUCKET);

const sha256 = (content: Buffer) => createHash('sha256').update(content).digest('hex');
const body = (content: Buffer | string) => sdkStreamMixin(Readable.from([Buffer.from(content)]));
const s3Error = (name: string, status: number) =>
  new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: name });

function tempFile(content: Buffer): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 's3-unit-')), 'data');
  writeFileSync(file, content);
  return file;
}

beforeEach(() => {
  s3.reset();
});

describe('S3ControlPlaneStore JSON documents', () => {
  const schema = z.strictObject({ state: z.string() });

  it('reads and validates a document', async () => {
    s3.on(GetObjectCommand).resolves({ Body: body('{"state":"running"}') });
    expect(await store.getJson('data/c1/status.json', schema)).toEqual({ state: 'running' });
    expect(s3).toHaveReceivedCommandWith(GetObjectCommand, { Bucket: BUCKET, Key: 'data/c1/status.json' });
  });

  it('says null for a missing document', async () => {
    s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'no such key', $metadata: {} }));
    expect(await store.getJson('data/c1/status.json', schema)).toBeNull();
  });

  it('names the key and the field of a document that does not match', async () => {
    s3.on(GetObjectCommand).resolves({ Body: body('{"state":3}') });
    await expect(store.getJson('data/c1/status.json', schema)).rejects.toThrow(
      /^data\/c1\/status\.json does not match its schema:\nstate: /,
    );
  });

  it('names the key of a document that is not JSON', async () => {
    s3.on(GetObjectCommand).resolves({ Body: body('{"state":') });
    await expect(store.getJson('data/c1/status.json', schema)).rejects.toThrow(
      'data/c1/status.json is not JSON',
    );
  });

  it('writes JSON with its content type', async () => {
    s3.on(PutObjectCommand).resolves({});
    await store.putJson('data/c1/status.json', { state: 'created' });
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, {
      Bucket: BUCKET,
      Key: 'data/c1/status.json',
      Body: '{"state":"created"}',
      ContentType: 'application/json',
    });
  });

  it('writes conditionally with If-None-Match and says false when S3 answers 412', async () => {
    s3.on(PutObjectCommand).resolvesOnce({}).rejectsOnce(s3Error('PreconditionFailed', 412));
    expect(await store.putJsonIfAbsent('data/c1/control/build.json', { n: 1 })).toBe(true);
    expect(await store.putJsonIfAbsent('data/c1/control/build.json', { n: 2 })).toBe(false);
    expect(s3).toHaveReceivedCommandTimes(PutObjectCommand, 2);
    expect(s3).toHaveReceivedNthCommandWith(PutObjectCommand, 2, {
      Key: 'data/c1/control/build.json',
      IfNoneMatch: '*',
      Body: '{"n":2}',
    });
  });

  it('retries a conditional write that conflicted with another one in flight (409)', async () => {
    s3.on(PutObjectCommand)
      .rejectsOnce(s3Error('ConditionalRequestConflict', 409))
      .rejectsOnce(s3Error('PreconditionFailed', 412));
    expect(await store.putJsonIfAbsent('data/c1/control/build.json', { n: 1 })).toBe(false);
    expect(s3).toHaveReceivedCommandTimes(PutObjectCommand, 2);
  });

  it('lets other errors of a conditional write through', async () => {
    s3.on(PutObjectCommand).rejects(s3Error('AccessDenied', 403));
    await expect(store.putJsonIfAbsent('k', {})).rejects.toThrow('AccessDenied');
  });
});

describe('S3ControlPlaneStore objects', () => {
  it('tells whether an object exists from HeadObject', async () => {
    s3.on(HeadObjectCommand, { Key: 'there' })
      .resolves({})
      .on(HeadObjectCommand, { Key: 'gone' })
      .rejects(new NotFound({ message: 'not found', $metadata: { httpStatusCode: 404 } }));
    expect(await store.exists('there')).toBe(true);
    expect(await store.exists('gone')).toBe(false);
  });

  it('lets a refused HeadObject through rather than answering false', async () => {
    s3.on(HeadObjectCommand).rejects(s3Error('Forbidden', 403));
    await expect(store.exists('k')).rejects.toThrow('Forbidden');
  });

  it('pages a listing with S3 continuation tokens', async () => {
    const lastModified = new Date('2026-01-02T03:04:05Z');
    s3.on(ListObjectsV2Command, { ContinuationToken: undefined })
      .resolves({
        Contents: [{ Key: 'data/c1/records/0-1.json', Size: 10, LastModified: lastModified }],
        IsTruncated: true,
        NextContinuationToken: 'token-2',
      })
      .on(ListObjectsV2Command, { ContinuationToken: 'token-2' })
      .resolves({
        Contents: [{ Key: 'data/c1/records/1-1.json', Size: 11, LastModified: lastModified }],
        IsTruncated: false,
      });
    const first = await store.list('data/c1/records/', null, 1);
    expect(first).toEqual({
      objects: [{ key: 'data/c1/records/0-1.json', size: 10, lastModified }],
      next: 'token-2',
    });
    const second = await store.list('data/c1/records/', first.next, 1);
    expect(second.next).toBeNull();
    expect(second.objects.map((o) => o.key)).toEqual(['data/c1/records/1-1.json']);
    expect(s3).toHaveReceivedNthCommandWith(ListObjectsV2Command, 1, {
      Bucket: BUCKET,
      Prefix: 'data/c1/records/',
      MaxKeys: 1,
      ContinuationToken: undefined,
    });
    expect(s3).toHaveReceivedNthCommandWith(ListObjectsV2Command, 2, { ContinuationToken: 'token-2' });
  });
});

describe('S3ControlPlaneStore files', () => {
  it('uploads a small file in one PUT with an S3 SHA256 checksum and the digest as metadata', async () => {
    s3.on(PutObjectCommand).resolves({ ETag: '"e"' });
    const content = Buffer.from('small result');
    await store.uploadFile('data/c1/results/a.sca', tempFile(content), sha256(content));
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, {
      Bucket: BUCKET,
      Key: 'data/c1/results/a.sca',
      ChecksumAlgorithm: 'SHA256',
      Metadata: { sha256: sha256(content) },
    });
  });

  it('uploads a large file in checksummed parts', async () => {
    s3.on(CreateMultipartUploadCommand)
      .resolves({ UploadId: 'u1' })
      .on(UploadPartCommand)
      .callsFake((input: { PartNumber: number }) => ({ ETag: `"p${input.PartNumber}"` }))
      .on(CompleteMultipartUploadCommand)
      .resolves({});
    const content = randomBytes(11 * 2 ** 20);
    await store.uploadFile('sources/big.tar.gz', tempFile(content), sha256(content));
    expect(s3).toHaveReceivedCommandWith(CreateMultipartUploadCommand, {
      Key: 'sources/big.tar.gz',
      ChecksumAlgorithm: 'SHA256',
      Metadata: { sha256: sha256(content) },
    });
    expect(s3).toHaveReceivedCommandTimes(UploadPartCommand, 3);
    expect(s3).toHaveReceivedCommandWith(UploadPartCommand, { UploadId: 'u1', ChecksumAlgorithm: 'SHA256' });
    expect(s3).toHaveReceivedCommandWith(CompleteMultipartUploadCommand, {
      UploadId: 'u1',
      MultipartUpload: {
        Parts: [1, 2, 3].map((n) => ({ PartNumber: n, ETag: `"p${n}"` })),
      },
    });
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
  });

  it('uploads nothing when the file does not match the given sha256', async () => {
    await expect(
      store.uploadFile('sources/x.tar.gz', tempFile(Buffer.from('content')), sha256(Buffer.from('other'))),
    ).rejects.toBeInstanceOf(BlobCorruptError);
    expect(s3).not.toHaveReceivedAnyCommand();
  });

  it('downloads a file that matches its recorded sha256', async () => {
    const content = randomBytes(100_000);
    s3.on(GetObjectCommand).resolves({ Body: body(content), Metadata: { sha256: sha256(content) } });
    const dir = mkdtempSync(path.join(os.tmpdir(), 's3-unit-out-'));
    const target = path.join(dir, 'a.sca');
    expect(await store.downloadFile('data/c1/results/a.sca', target)).toEqual({
      sha256: sha256(content),
      size: content.length,
    });
    expect(readFileSync(target).equals(content)).toBe(true);
    expect(readdirSync(dir)).toEqual(['a.sca']);
  });

  it('downloads a file without a recorded sha256, saying so', async () => {
    s3.on(GetObjectCommand).resolves({ Body: body('legacy') });
    const target = path.join(mkdtempSync(path.join(os.tmpdir(), 's3-unit-out-')), 'legacy');
    expect(await store.downloadFile('k', target)).toEqual({ sha256: null, size: 6 });
  });

  it('discards a download that does not match its recorded sha256', async () => {
    s3.on(GetObjectCommand).resolves({
      Body: body('tampered'),
      Metadata: { sha256: sha256(Buffer.from('original')) },
    });
    const dir = mkdtempSync(path.join(os.tmpdir(), 's3-unit-out-'));
    await expect(store.downloadFile('k', path.join(dir, 'a.sca'))).rejects.toBeInstanceOf(BlobCorruptError);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('says BlobNotFound for a missing object', async () => {
    s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'no such key', $metadata: {} }));
    const dir = mkdtempSync(path.join(os.tmpdir(), 's3-unit-out-'));
    await expect(store.downloadFile('k', path.join(dir, 'a'))).rejects.toBeInstanceOf(BlobNotFoundError);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('S3ControlPlaneStore presigned URLs', () => {
  const digest = sha256(Buffer.from('snapshot'));

  it('signs the checksum, the digest metadata and the length of a PUT as headers', async () => {
    const url = new URL(await store.presignPut('sources/s.tar.gz', digest, 8, 600));
    expect(url.pathname).toBe(`/sources/s.tar.gz`);
    expect(url.hostname).toBe(`${BUCKET}.s3.eu-central-1.amazonaws.com`);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('600');
    expect(url.searchParams.get('X-Amz-SignedHeaders')?.split(';')).toEqual([
      'content-length',
      'host',
      'x-amz-checksum-sha256',
      'x-amz-meta-sha256',
    ]);
    // In the query string S3 would ignore the checksum: it must not be there.
    expect([...url.searchParams.keys()].filter((k) => k.toLowerCase().startsWith('x-amz-checksum'))).toEqual(
      [],
    );
  });

  it('tells the uploader which headers to send', () => {
    expect(presignedPutHeaders(digest, 8)).toEqual({
      'content-length': '8',
      'x-amz-checksum-sha256': Buffer.from(digest, 'hex').toString('base64'),
      'x-amz-meta-sha256': digest,
    });
  });

  it('refuses to presign a PUT for something that is not a hex sha256', async () => {
    await expect(store.presignPut('k', 'ABC', 8, 600)).rejects.toThrow(/not a hex sha256/);
  });

  it('presigns a GET of the key', async () => {
    const url = new URL(await store.presignGet('data/c1/records/0-1.json', 300));
    expect(url.pathname).toBe('/data/c1/records/0-1.json');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('300');
    expect(url.searchParams.get('x-id')).toBe('GetObject');
  });
});
