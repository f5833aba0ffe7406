/**
 * `<state>/campaigns/<id>/sessions.jsonl`: what each session (one run/submit/attach of the campaign)
 * was, as the report needs it: its backend and provenance, its build (swarm, aws) and what its
 * cluster cost (aws). Every backend writes the same entries, so one report reads them all. The
 * manifest beside it keeps the runs; this file keeps everything around them.
 *
 * Lines written before entries had a `kind` are local sessions; they are read as such.
 */
import { z } from 'zod';
import { JsonlFile } from './jsonl-file.js';

const backendSchema = z.enum(['local', 'swarm', 'aws']);

const provenanceSchema = z.object({
  programVersion: z.string().nullable().optional(),
  gitCommit: z.string().nullable().optional(),
  gitDirty: z.boolean().nullable().optional(),
  sourceHash: z.string().nullable().optional(),
  fingerprint: z.string().nullable().optional(),
  host: z.string().nullable().optional(),
  nodeVersion: z.string().nullable().optional(),
});

const sessionEntrySchema = z.object({
  kind: z.literal('session'),
  sessionId: z.string(),
  backend: backendSchema,
  startedAt: z.string(),
  program: z.string(),
  args: z.array(z.string()),
  workingDir: z.string(),
  resultDir: z.string(),
  /** Runs at a time on this machine; null on a swarm or cluster. */
  jobs: z.number().int().nullable(),
  /** Runs the plan selected. */
  plannedRuns: z.number().int().nullable(),
  provenance: provenanceSchema,
});

const buildEntrySchema = z.object({
  kind: z.literal('build'),
  sessionId: z.string(),
  backend: backendSchema,
  command: z.string().nullable(),
  startedAt: z.string().nullable(),
  durationMs: z.number().nonnegative(),
  /** An identical earlier build was reused. */
  cached: z.boolean(),
  ok: z.boolean(),
  /** How the duration was measured, when not by the builder itself (aws: the client's status polls). */
  measured: z.string().nullable(),
});

const costEntrySchema = z.object({
  kind: z.literal('cost'),
  sessionId: z.string(),
  backend: backendSchema,
  at: z.string(),
  usdPerHour: z.number().nonnegative(),
  spentUsd: z.number().nonnegative(),
  clusterHours: z.number().nonnegative(),
  budgetUsd: z.number().nullable(),
  cluster: z.string(),
  /** The campaign had ended: the figure is final. */
  final: z.boolean(),
});

export const sessionLogEntrySchema = z.discriminatedUnion('kind', [
  sessionEntrySchema,
  buildEntrySchema,
  costEntrySchema,
]);
export type SessionLogEntry = z.infer<typeof sessionLogEntrySchema>;
export type SessionEntry = z.infer<typeof sessionEntrySchema>;
export type BuildEntry = z.infer<typeof buildEntrySchema>;
export type CostEntry = z.infer<typeof costEntrySchema>;

/** A line of the first format (local sessions, before `kind`): read as a local session entry. */
const legacyLocalSessionSchema = z.object({
  sessionId: z.string(),
  startedAt: z.string(),
  program: z.string(),
  args: z.array(z.string()),
  workingDir: z.string(),
  resultDir: z.string(),
  jobs: z.number().int(),
  provenance: provenanceSchema,
});

function parseEntry(value: unknown): SessionLogEntry | null {
  const entry = sessionLogEntrySchema.safeParse(value);
  if (entry.success) return entry.data;
  const legacy = legacyLocalSessionSchema.safeParse(value);
  if (legacy.success) return { kind: 'session', backend: 'local', plannedRuns: null, ...legacy.data };
  return null; // a kind written by a newer version: not ours to interpret
}

export class SessionLog {
  constructor(private readonly file: string) {}

  async readAll(): Promise<SessionLogEntry[]> {
    return new JsonlFile(this.file, parseEntry).readAll();
  }

  async append(entry: SessionLogEntry): Promise<void> {
    const file = new JsonlFile<SessionLogEntry>(this.file, parseEntry);
    try {
      await file.append([entry]);
    } finally {
      await file.close();
    }
  }
}
