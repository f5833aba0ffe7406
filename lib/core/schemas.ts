/** zod schemas of what we read back from disk: a damaged or foreign line is rejected, not trusted. */
import { z } from 'zod';
import type { RunRecord, RunSpec } from './campaign.js';
import type { RuntimeSample } from './runtime-history.js';

const resultFileSchema = z.object({
  path: z.string(),
  size: z.number().int().nonnegative(),
  mtimeMs: z.number(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

/** One planned run, as it travels in a plan, a queued unit or a stored submission. */
export const runSpecSchema: z.ZodType<RunSpec> = z.object({
  runNumber: z.number().int().nonnegative(),
  configName: z.string(),
  variables: z.array(z.object({ name: z.string(), value: z.string() })),
  description: z.string(),
  resultStem: z.string(),
});

export const runRecordSchema: z.ZodType<RunRecord> = z.object({
  v: z.literal(1),
  runNumber: z.number().int().nonnegative(),
  configName: z.string(),
  description: z.string(),
  status: z.enum(['ok', 'failed', 'lost', 'interrupted']),
  attempt: z.number().int().positive(),
  failure: z
    .object({
      kind: z.enum([
        'simulation-error',
        'exit-code',
        'signal',
        'out-of-memory',
        'timeout',
        'interrupted',
        'spawn-error',
        'worker-lost',
      ]),
      message: z.string(),
    })
    .nullable(),
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  startedAt: z.string(),
  endedAt: z.string(),
  durationMs: z.number().nonnegative(),
  events: z.number().int().nonnegative().nullable(),
  simTime: z.string().nullable(),
  termination: z.string().nullable(),
  peakRssKb: z.number().nonnegative().nullable(),
  host: z.string(),
  argv: z.array(z.string()),
  batchSize: z.number().int().positive(),
  sessionId: z.string(),
  fingerprint: z.string(),
  files: z.array(resultFileSchema),
});

export const runtimeSampleSchema: z.ZodType<RuntimeSample> = z.object({
  campaignId: z.string(),
  configName: z.string(),
  runNumber: z.number().int().nonnegative(),
  parameterKey: z.string(),
  durationMs: z.number().nonnegative(),
});
