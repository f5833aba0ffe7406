/**
 * The control plane's bucket in S3. JSON documents are validated on read, so a document written by a
 * newer or buggy writer fails loudly with its key instead of flowing on half-parsed. Files carry their
 * hex sha256 as object metadata (`x-amz-meta-sha256`) and are verified against it on every download,
 * end to end: S3's own checksums (`ChecksumAlgorithm: 'SHA256'`, `x-amz-checksum-sha256`) protect each
 * transfer, but a multipart object's S3 checksum is a checksum of part checksums, which nobody outside
 * S3 can compare with a file's digest. The metadata can.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3ServiceException,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { z } from 'zod';
import { issueLines } from '../../aws/campaign-spec.js';
import { writeVerifiedFile } from '../local/write-verified-file.js';
import { BlobCorruptError, BlobNotFoundError } from '../../core/errors.js';
import type { ControlPlaneStore, ObjectPage } from '../../ports/control-plane-store.js';
import { sha256File } from '../local/sha256-file.js';

/** User metadata key holding the hex sha256 of an uploaded file (`x-amz-meta-sha256` on the wire). */
export const SHA256_METADATA_KEY = 'sha256';

const HEX_SHA256 = /^[0-9a-f]{64}$/;

/**
 * Headers a holder of a `presignPut` URL must send with its PUT, exactly as returned: they are signed,
 * so S3 refuses the request without them (or with other values), and S3 refuses a body whose sha256
 * differs from `x-amz-checksum-sha256` (BadDigest) or whose length differs from `content-length`.
 * `fetch` and most HTTP clients set `content-length` themselves from the body; it is listed so clients
 * that stream know what to declare.
 */
export function presignedPutHeaders(sha256Hex: string, size: number): Record<string, string> {
  return {
    'content-length': String(size),
    'x-amz-checksum-sha256': hexToBase64(sha256Hex),
    [`x-amz-meta-${SHA256_METADATA_KEY}`]: sha256Hex,
  };
}

export class S3ControlPlaneStore implements ControlPlaneStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async getJson<T>(key: string, schema: z.ZodType<T>): Promise<T | null> {
    let text: string;
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (response.Body === undefined) throw new Error(`s3://${this.bucket}/${key} has no body`);
      text = await response.Body.transformToString('utf8');
    } catch (error) {
      if (error instanceof NoSuchKey) return null;
      throw error;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new Error(`${key} is not JSON`, { cause: error });
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success)
      throw new Error(`${key} does not match its schema:\n${issueLines(parsed.error).join('\n')}`, {
        cause: parsed.error,
      });
    return parsed.data;
  }

  async putJson(key: string, value: unknown): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: JSON.stringify(value),
        ContentType: 'application/json',
      }),
    );
  }

  async putJsonIfAbsent(key: string, value: unknown): Promise<boolean> {
    const body = JSON.stringify(value);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: key,
            Body: body,
            ContentType: 'application/json',
            IfNoneMatch: '*',
          }),
        );
        return true;
      } catch (error) {
        const status = httpStatus(error);
        if (status === 412) return false;
        // 409 ConditionalRequestConflict: another conditional write of this key is in flight. S3 says
        // to retry; the retry answers 412 if that writer won.
        if (status !== 409 || attempt >= 3) throw error;
      }
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (error) {
      if (error instanceof NotFound || httpStatus(error) === 404) return false;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  async list(prefix: string, next: string | null, limit: number): Promise<ObjectPage> {
    const response = await this.client.send(
      new ListObjectsV2Command({
        Bucket: this.bucket,
        Prefix: prefix,
        MaxKeys: limit,
        ContinuationToken: next ?? undefined,
      }),
    );
    return {
      objects: (response.Contents ?? []).map((object) => ({
        key: object.Key ?? '',
        size: object.Size ?? 0,
        lastModified: object.LastModified ?? new Date(0),
      })),
      next: response.IsTruncated === true ? (response.NextContinuationToken ?? null) : null,
    };
  }

  /**
   * Multipart above 5 MiB (lib-storage), each part checksummed by S3 (SHA256). The file is hashed
   * first: the digest stored as metadata is what every later download is checked against, so it must
   * be the file's, not merely the caller's claim.
   * @throws BlobCorruptError if the file does not match `sha256`; nothing is uploaded then
   */
  async uploadFile(key: string, file: string, sha256: string): Promise<void> {
    if (!HEX_SHA256.test(sha256)) throw new Error(`not a hex sha256 for ${key}: ${sha256}`);
    const { size } = await stat(file);
    const actual = await sha256File(file);
    if (actual !== sha256) throw new BlobCorruptError(`${file} does not match the sha256 given for ${key}`);
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.bucket,
        Key: key,
        Body: createReadStream(file),
        ContentLength: size,
        ChecksumAlgorithm: 'SHA256',
        Metadata: { [SHA256_METADATA_KEY]: sha256 },
      },
    });
    await upload.done();
  }

  /**
   * Streams into a temporary file next to `file` (same file system, so the rename is atomic), hashing
   * on the way, and renames it into place only if it matches the recorded sha256.
   * @throws BlobNotFoundError if there is no such object
   * @throws BlobCorruptError if the bytes do not match the recorded sha256; `file` is not written
   */
  async downloadFile(key: string, file: string): Promise<{ sha256: string | null; size: number }> {
    let response;
    try {
      response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      if (error instanceof NoSuchKey)
        throw new BlobNotFoundError(`no object ${key} in s3://${this.bucket}`, { cause: error });
      throw error;
    }
    if (!(response.Body instanceof Readable)) throw new Error(`s3://${this.bucket}/${key} has no body`);
    const recorded = response.Metadata?.[SHA256_METADATA_KEY] ?? null;
    const { size } = await writeVerifiedFile(
      response.Body,
      file,
      recorded,
      () => new BlobCorruptError(`${key} in s3://${this.bucket} does not match its recorded sha256`),
    );
    // The recorded digest, as the port promises: null says nothing was there to verify against.
    return { sha256: recorded, size };
  }

  async presignGet(key: string, expiresSeconds: number): Promise<string> {
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: key }), {
      expiresIn: expiresSeconds,
    });
  }

  /**
   * The checksum and metadata stay signed headers rather than query parameters (the presigner's
   * default): S3 verifies a body against `x-amz-checksum-sha256` only when it comes as a header, and
   * ignores it in the query string. The uploader must send {@link presignedPutHeaders}.
   */
  async presignPut(key: string, sha256: string, size: number, expiresSeconds: number): Promise<string> {
    if (!HEX_SHA256.test(sha256)) throw new Error(`not a hex sha256 for ${key}: ${sha256}`);
    const command = new PutObjectCommand({
      Bucket: this.bucket,
      Key: key,
      ContentLength: size,
      ChecksumSHA256: hexToBase64(sha256),
      Metadata: { [SHA256_METADATA_KEY]: sha256 },
    });
    return getSignedUrl(this.client, command, {
      expiresIn: expiresSeconds,
      unhoistableHeaders: new Set(['x-amz-checksum-sha256', `x-amz-meta-${SHA256_METADATA_KEY}`]),
    });
  }
}

function hexToBase64(sha256Hex: string): string {
  return Buffer.from(sha256Hex, 'hex').toString('base64');
}

function httpStatus(error: unknown): number | undefined {
  return error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
}
