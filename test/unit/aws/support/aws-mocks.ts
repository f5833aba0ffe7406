/**
 * For the handler tests: the control-plane bucket behind a mocked S3Client (aws-sdk-client-mock), so
 * that a handler's S3 calls read and write objects the test seeded and inspects, and a Lambda context
 * and environment. The SDK's own behaviour (signing, retries) is not exercised here: the adapters'
 * tests and the integration tests against moto do that.
 */
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
import { sdkStreamMixin } from '@smithy/core/serde';
import type { Context } from 'aws-lambda';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { vi } from 'vitest';
import { BUCKET, REGION, STAGE } from './campaigns.js';

export const STATE_MACHINE_ARN = `arn:aws:states:${REGION}:123456789012:stateMachine:inet-swarm-${STAGE}-campaign`;
export const executionArnFor = (campaignId: string): string =>
  `arn:aws:states:${REGION}:123456789012:execution:inet-swarm-${STAGE}-campaign:${campaignId}`;

/** The environment serverless.yml gives the functions, with dummy credentials for presigning. */
export function stubFunctionEnv(extra: Record<string, string> = {}): void {
  const env: Record<string, string> = {
    BUCKET,
    STAGE,
    AWS_REGION: REGION,
    STATE_MACHINE_ARN,
    LOG_LEVEL: 'silent',
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret',
    ...extra,
  };
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
}

export function lambdaContext(awsRequestId = 'request-1'): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'test-function',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-central-1:123456789012:function:test-function',
    memoryLimitInMB: '256',
    awsRequestId,
    logGroupName: '/aws/lambda/test-function',
    logStreamName: 'stream',
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export class MockBucket {
  readonly objects = new Map<string, Buffer>();

  constructor(s3: AwsClientStub<S3Client>) {
    s3.on(GetObjectCommand).callsFake((input: { Bucket?: string; Key?: string }) => {
      const body = this.objectOf(input);
      if (body === undefined)
        throw new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} });
      return { Body: sdkStreamMixin(Readable.from([body])), ContentLength: body.length };
    });
    s3.on(HeadObjectCommand).callsFake((input: { Bucket?: string; Key?: string }) => {
      const body = this.objectOf(input);
      if (body === undefined)
        throw new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } });
      return { ContentLength: body.length };
    });
    s3.on(PutObjectCommand).callsFake(
      async (input: { Bucket?: string; Key?: string; Body?: unknown; IfNoneMatch?: string }) => {
        this.checkBucket(input);
        const key = input.Key ?? '';
        if (input.IfNoneMatch === '*' && this.objects.has(key))
          throw new S3ServiceException({
            name: 'PreconditionFailed',
            $fault: 'client',
            $metadata: { httpStatusCode: 412 },
            message: 'At least one of the pre-conditions you specified did not hold',
          });
        this.objects.set(key, await bytes(input.Body));
        return {};
      },
    );
    s3.on(DeleteObjectCommand).callsFake((input: { Bucket?: string; Key?: string }) => {
      this.checkBucket(input);
      this.objects.delete(input.Key ?? '');
      return {};
    });
    s3.on(ListObjectsV2Command).callsFake(
      (input: { Bucket?: string; Prefix?: string; MaxKeys?: number; ContinuationToken?: string }) => {
        this.checkBucket(input);
        const keys = [...this.objects.keys()]
          .filter(
            (k) =>
              k.startsWith(input.Prefix ?? '') &&
              (input.ContinuationToken === undefined || k > input.ContinuationToken),
          )
          .sort();
        const page = keys.slice(0, input.MaxKeys ?? 1000);
        const truncated = keys.length > page.length;
        return {
          Contents: page.map((Key) => ({
            Key,
            Size: this.objects.get(Key)?.length,
            LastModified: new Date(),
          })),
          IsTruncated: truncated,
          NextContinuationToken: truncated ? page.at(-1) : undefined,
        };
      },
    );
  }

  putJson(key: string, value: unknown): void {
    this.objects.set(key, Buffer.from(JSON.stringify(value)));
  }

  json(key: string): unknown {
    const body = this.objects.get(key);
    return body === undefined ? undefined : JSON.parse(body.toString('utf8'));
  }

  private objectOf(input: { Bucket?: string; Key?: string }): Buffer | undefined {
    this.checkBucket(input);
    return this.objects.get(input.Key ?? '');
  }

  private checkBucket(input: { Bucket?: string }): void {
    if (input.Bucket !== BUCKET) throw new Error(`unexpected bucket ${input.Bucket}`);
  }
}

async function bytes(body: unknown): Promise<Buffer> {
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body);
  if (body instanceof Readable) {
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(Buffer.from(chunk as Uint8Array));
    return Buffer.concat(chunks);
  }
  throw new Error(`unexpected body ${typeof body}`);
}
