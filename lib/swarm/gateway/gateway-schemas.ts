/**
 * The shapes of request bodies the gateway accepts. Anything else is refused with 400 before it can
 * reach a store or a queue.
 */
import { z } from 'zod';
import { runSpecSchema } from '../../core/schemas.js';
import type { QueuedUnit, RetryPolicy } from '../../ports/run-queue.js';
import type { SwarmCampaign } from '../../ports/campaign-store.js';
import type { BuildRequest, PlanRequest } from '../build-jobs.js';

const storeKey = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, . _ - only');
/** A path inside the artifact: relative, and never climbing out of it. */
const innerPath = z
  .string()
  .min(1)
  .refine(
    (value) => !value.startsWith('/') && !value.split('/').includes('..'),
    'must stay inside the project',
  );

export const buildRequestSchema: z.ZodType<BuildRequest> = z.object({
  sourceKey: storeKey,
  sourceHash: z.string().regex(/^[0-9a-f]{16,64}$/),
  settings: z.object({ command: z.string().min(1).max(4096).nullable(), buildDir: innerPath }),
});

export const planRequestSchema: z.ZodType<PlanRequest> = z.object({
  artifactKey: storeKey,
  program: z.string().min(1),
  args: z.array(z.string()),
  workingDir: innerPath,
});

export const campaignSchema: z.ZodType<SwarmCampaign> = z.object({
  campaignId: storeKey,
  artifactKey: storeKey,
  program: z.string().min(1),
  args: z.array(z.string()),
  workingDir: innerPath,
  resultDir: innerPath,
  runTimeoutMs: z.number().int().positive().nullable(),
  sessionId: z.string().min(1),
  fingerprint: z.string().min(1),
  configName: z.string(),
  totalRuns: z.number().int().nonnegative(),
  submittedAt: z.string(),
});

const unitSchema: z.ZodType<QueuedUnit> = z.object({
  id: storeKey,
  campaignId: storeKey,
  runs: z.array(runSpecSchema).min(1),
  priority: z.number().int().positive(),
});

const retrySchema: z.ZodType<RetryPolicy> = z.object({
  attempts: z.number().int().min(1).max(20),
  backoffMs: z.number().int().nonnegative(),
});

export const enqueueRequestSchema = z.object({
  units: z.array(unitSchema).max(20_000),
  retry: retrySchema,
  replaceFinished: z.boolean(),
});

export const fetchedRequestSchema = z.object({ keys: z.array(z.string()).max(5000) });
