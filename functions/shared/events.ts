/**
 * The events that invoke the functions outside the state machine, as zod schemas of the fields the
 * functions use (AWS adds fields over time; unknown ones are ignored). Types: aws-lambda's
 * EventBridgeEvent and S3Event.
 */
import { z } from 'zod';

/** EventBridge "Step Functions Execution Status Change" (the execution's name is the campaign id). */
export const executionStatusChangeSchema = z.object({
  'detail-type': z.literal('Step Functions Execution Status Change'),
  detail: z.object({
    executionArn: z.string(),
    stateMachineArn: z.string(),
    name: z.string(),
    status: z.string(),
    error: z.string().nullish(),
    cause: z.string().nullish(),
  }),
});

export interface CreatedObject {
  readonly bucket: string;
  readonly key: string;
  /** Identifies this write of the object: S3's sequencer, or the event's id. */
  readonly writeId: string | null;
}

/** Keys in S3 notifications are URL-encoded, spaces as '+'. */
const decodeKey = (key: string): string => decodeURIComponent(key.replaceAll('+', ' '));

/** S3 event notifications (s3:ObjectCreated:*) or EventBridge "Object Created", as the created objects. */
export const objectCreatedSchema = z.union([
  z
    .object({
      Records: z.array(
        z.object({
          s3: z.object({
            bucket: z.object({ name: z.string() }),
            object: z.object({ key: z.string(), sequencer: z.string().optional() }),
          }),
        }),
      ),
    })
    .transform(({ Records }): CreatedObject[] =>
      Records.map(({ s3 }) => ({
        bucket: s3.bucket.name,
        key: decodeKey(s3.object.key),
        writeId: s3.object.sequencer ?? null,
      })),
    ),
  z
    .object({
      'detail-type': z.literal('Object Created'),
      id: z.string(),
      detail: z.object({
        bucket: z.object({ name: z.string() }),
        object: z.object({ key: z.string(), sequencer: z.string().optional() }),
      }),
    })
    .transform(({ id, detail }): CreatedObject[] => [
      { bucket: detail.bucket.name, key: detail.object.key, writeId: detail.object.sequencer ?? id },
    ]),
]);

/**
 * What a campaign schedule sends (serverless.yml: the rule's input, `{"schedule": "<name>"}`, or an
 * input transformer adding the event's `id`): the name of its spec, `schedules/<name>.json`.
 */
export const scheduleEventSchema = z.object({
  schedule: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'a schedule name: letters, digits, . _ -'),
  id: z.string().min(1).optional(),
});
