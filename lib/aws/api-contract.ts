/**
 * The control plane's HTTP API (IAM/SigV4-authorised, behind API Gateway's HTTP API): routes and
 * response bodies, shared by the `api` function (functions/api/) and the CLI (lib/aws/client/). Errors
 * are `{ error: <name>, message, issues? }` with a 4xx status; anything unexpected is a bare 500.
 *
 *   POST /campaigns                 body: CampaignSpecInput -> 201 CreatedCampaign
 *   POST /campaigns/{id}/start      -> 202 StartedCampaign (409 if the source is not uploaded yet, or started)
 *   GET  /campaigns                 ?next= -> 200 CampaignList
 *   GET  /campaigns/{id}            -> 200 CampaignStatus
 *   GET  /campaigns/{id}/records    ?next=&limit= -> 200 Page<RecordLink>   (finished run attempts)
 *   GET  /campaigns/{id}/results    ?next=&limit= -> 200 Page<ResultLink>   (result files)
 *   GET  /campaigns/{id}/logs       ?run=N -> 200 LogTail  (no run: the build log)
 *   POST /campaigns/{id}/cancel     -> 202 CampaignStatus
 */
import { z } from 'zod';
import { campaignStatusSchema } from './campaign-status.js';

/** Largest request body the API accepts (a spec is a few KB). */
export const MAX_BODY_BYTES = 64 * 1024;
/** Presigned URLs live this long: long enough for a slow upload, short enough to be useless later. */
export const PRESIGN_SECONDS = 3600;

export const errorBodySchema = z.object({
  error: z.string(),
  message: z.string(),
  issues: z.array(z.string()).optional(),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

export const createdCampaignSchema = z.object({
  campaignId: z.string(),
  /** Where to PUT the source snapshot; null when the bucket already has this source. */
  upload: z.object({ url: z.string(), headers: z.record(z.string(), z.string()) }).nullable(),
  status: campaignStatusSchema,
});
export type CreatedCampaign = z.infer<typeof createdCampaignSchema>;

export const startedCampaignSchema = z.object({ campaignId: z.string(), executionArn: z.string() });
export type StartedCampaign = z.infer<typeof startedCampaignSchema>;

export const campaignListSchema = z.object({
  campaigns: z.array(campaignStatusSchema),
  next: z.string().nullable(),
});
export type CampaignList = z.infer<typeof campaignListSchema>;

export const recordLinkSchema = z.object({
  runNumber: z.number().int().nonnegative(),
  attempt: z.number().int().positive(),
  url: z.string(),
});
export type RecordLink = z.infer<typeof recordLinkSchema>;

export const resultLinkSchema = z.object({
  /** Relative to the result directory, as in `results/` locally. */
  path: z.string(),
  size: z.number().int().nonnegative(),
  url: z.string(),
});
export type ResultLink = z.infer<typeof resultLinkSchema>;

export const pageSchema = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), next: z.string().nullable() });
export interface Page<T> {
  readonly items: readonly T[];
  readonly next: string | null;
}

export const logTailSchema = z.object({ lines: z.array(z.string()) });
export type LogTail = z.infer<typeof logTailSchema>;

/**
 * A run attempt as the agent stores it (`data/<id>/records/<run>-<attempt>.json`): the runner's record
 * and where each of its result files is in the bucket, relative to `data/<id>/results/`.
 */
export { storedRecordSchema, type StoredRecord } from './stored-record.js';
