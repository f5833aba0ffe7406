/** A finished run attempt in the bucket (written by the agent, read by the API and the CLI). */
import { z } from 'zod';
import { runRecordSchema } from '../core/schemas.js';

export const storedRecordSchema = z.object({
  v: z.literal(1),
  record: runRecordSchema,
  /** Result files of this attempt, relative to the result directory (and to data/<id>/results/). */
  results: z.array(z.string()),
});
export type StoredRecord = z.infer<typeof storedRecordSchema>;
