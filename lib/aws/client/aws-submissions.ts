/**
 * What the state directory keeps of each AWS campaign submitted from it, so that `attach`, `results`
 * and a later `run` know where its results go and which manifest they belong to:
 * `<state>/campaigns/<local campaign id>/aws/<aws campaign id>.json`, and beside it the runs it was
 * submitted for (`.runs.jsonl`, when they were planned here), one per line so that a campaign of
 * 100,000 runs is never one string.
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { JsonlFile } from '../../adapters/local/jsonl-file.js';
import type { StateDir } from '../../adapters/local/state-dir.js';
import type { RunSpec } from '../../core/campaign.js';
import { runSpecSchema } from '../../core/schemas.js';
import { CampaignInputError } from '../../core/errors.js';
import { clusterOptionsSchema } from '../campaign-spec.js';

export const awsSubmissionSchema = z.strictObject({
  v: z.literal(1),
  awsCampaignId: z.string(),
  /** The campaign id a local run of the same study uses: the manifest the results go to. */
  localCampaignId: z.string(),
  apiUrl: z.string(),
  submittedAt: z.string(),
  program: z.string(),
  /** The arguments sent (a resumed campaign's `-r` lists only the runs still to do). */
  args: z.array(z.string()),
  configName: z.string(),
  /** Absolute, on this machine. */
  workingDir: z.string(),
  resultDir: z.string(),
  /** Stamped on the records stored here: the source snapshot and the build command that made them. */
  fingerprint: z.string(),
  /** Attempts per run in the cluster (retries + 1): a record below this may be followed by a retry. */
  attempts: z.number().int().positive(),
  cluster: clusterOptionsSchema,
  /** The build command run in the cluster (null: none); absent in submissions of earlier versions. */
  buildCommand: z.string().nullable().default(null),
  /** Runs kept from earlier sessions, and the runs submitted; null when not planned here. */
  reused: z.number().int().nonnegative(),
  todo: z.array(z.number().int().nonnegative()).nullable(),
});
export type AwsSubmission = z.infer<typeof awsSubmissionSchema>;

function submissionsDir(state: StateDir, localCampaignId: string): string {
  return path.join(state.campaignDir(localCampaignId), 'aws');
}

function submissionFile(state: StateDir, localCampaignId: string, awsCampaignId: string): string {
  return path.join(submissionsDir(state, localCampaignId), `${awsCampaignId}.json`);
}

function runsFile(state: StateDir, submission: AwsSubmission): string {
  return path.join(
    submissionsDir(state, submission.localCampaignId),
    `${submission.awsCampaignId}.runs.jsonl`,
  );
}

/** Writes the submission (atomically) and its runs; the runs first, so a submission always has them. */
export async function saveSubmission(
  state: StateDir,
  submission: AwsSubmission,
  runs: readonly RunSpec[] | null,
): Promise<void> {
  await mkdir(submissionsDir(state, submission.localCampaignId), { recursive: true });
  if (runs !== null) {
    const file = new JsonlFile<RunSpec>(runsFile(state, submission), () => null, false);
    await rm(file.file, { force: true });
    for (let i = 0; i < runs.length; i += 1000) await file.append(runs.slice(i, i + 1000));
    await file.close();
  }
  const target = submissionFile(state, submission.localCampaignId, submission.awsCampaignId);
  await writeFile(`${target}.partial`, `${JSON.stringify(submission, null, 2)}\n`);
  await rename(`${target}.partial`, target);
}

/** The runs the submission was made for, or null when it was not planned here. */
export async function submissionRuns(state: StateDir, submission: AwsSubmission): Promise<RunSpec[] | null> {
  if (submission.todo === null) return null;
  const file = new JsonlFile<RunSpec>(runsFile(state, submission), (value) => {
    const parsed = runSpecSchema.safeParse(value);
    return parsed.success ? parsed.data : null;
  });
  return file.readAll();
}

async function readSubmission(file: string): Promise<AwsSubmission | null> {
  const text = await readFile(file, 'utf8').catch(() => null);
  if (text === null) return null;
  try {
    const parsed = awsSubmissionSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Every AWS submission of one local campaign (or of all of them), oldest first. */
export async function listSubmissions(state: StateDir, localCampaignId?: string): Promise<AwsSubmission[]> {
  const campaigns =
    localCampaignId !== undefined
      ? [localCampaignId]
      : await readdir(state.campaignsDir()).catch(() => [] as string[]);
  const submissions: AwsSubmission[] = [];
  for (const id of campaigns) {
    const dir = submissionsDir(state, id);
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names.filter((n) => n.endsWith('.json'))) {
      const submission = await readSubmission(path.join(dir, name));
      if (submission !== null) submissions.push(submission);
    }
  }
  return submissions.sort((a, b) => a.submittedAt.localeCompare(b.submittedAt));
}

/** The submission named by an AWS campaign id (or a unique prefix), or the only one; else a usage error. */
export async function findSubmission(state: StateDir, wanted: string | null): Promise<AwsSubmission> {
  const all = await listSubmissions(state);
  const exact = all.filter((s) => s.awsCampaignId === wanted);
  const matching =
    exact.length > 0 ? exact : all.filter((s) => wanted === null || s.awsCampaignId.startsWith(wanted));
  if (matching.length === 1) return matching[0] as AwsSubmission;
  if (matching.length === 0)
    throw new CampaignInputError(
      wanted === null
        ? `no AWS campaign was submitted from ${state.root}`
        : `no AWS campaign '${wanted}' was submitted from ${state.root}; run this in the directory it was submitted from (or pass -C/--state-dir)`,
    );
  throw new CampaignInputError(
    `several AWS campaigns were submitted from ${state.root}; name one:\n${matching.map((s) => `  ${s.awsCampaignId} (${s.configName}, ${s.submittedAt})`).join('\n')}`,
  );
}
