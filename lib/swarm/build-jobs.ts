/**
 * The contract between whoever asks for a build or a plan (the gateway, on behalf of the CLI) and the
 * builder service that does it. Both travel as BullMQ jobs with deterministic ids, so asking twice for
 * the same build (same source hash, same settings) waits for one build instead of starting two, and a
 * build already stored is never redone.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { CampaignPlan } from '../core/campaign.js';
import {
  ArchiveEntryRejectedError,
  BuildFailedError,
  CampaignInputError,
  SimulationQueryError,
} from '../core/errors.js';

export const BUILD_QUEUE = 'build';
export const PLAN_QUEUE = 'plan';

/** How to build a project; part of the build's identity. */
export interface BuildSettings {
  /** Shell command run in `buildDir` (the user's own build, e.g. `make makefiles && make MODE=release -j`); null: no build, the source is the artifact. */
  readonly command: string | null;
  /** Directory the command runs in, relative to the source root. */
  readonly buildDir: string;
}

export interface BuildRequest {
  /** Blob key of the source snapshot (.tar.gz). */
  readonly sourceKey: string;
  /** Tree hash of the snapshot (its identity). */
  readonly sourceHash: string;
  readonly settings: BuildSettings;
}

export interface BuildResult {
  /** Blob key of the built artifact (.tar.gz of the built tree, object files left out). */
  readonly artifactKey: string;
  /** Compiler invocations during this build (0 when everything came from ccache or nothing was built). */
  readonly compiles: number;
  /** distcc daemons (address -> compile jobs) that compiled for this build. */
  readonly distccHosts: Readonly<Record<string, number>>;
  readonly durationMs: number;
}

export interface PlanRequest {
  readonly artifactKey: string;
  readonly program: string;
  readonly args: readonly string[];
  /** The simulation's working directory, relative to the artifact root. */
  readonly workingDir: string;
}

/** A plan made inside the swarm: paths are relative to the artifact root. */
export interface PlanResult {
  /** Blob key of the plan as JSON (a CampaignPlan with relative workingDir and resultDir). */
  readonly planKey: string;
  readonly runs: number;
}

export type StoredPlan = CampaignPlan;

function digest(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 32);
}

/** The build's identity: same source and settings, same build (and the same artifact key). */
export function buildId(request: BuildRequest): string {
  return `build-${digest([request.sourceHash, request.settings.command, request.settings.buildDir])}`;
}

export function artifactKeyOf(request: BuildRequest): string {
  return `artifact-${buildId(request).slice('build-'.length)}`;
}

/** The build that made an artifact (the two share their digest). */
export function buildIdOfArtifact(artifactKey: string): string {
  return `build-${artifactKey.replace(/^artifact-/, '')}`;
}

export function planId(request: PlanRequest): string {
  return `plan-${digest([request.artifactKey, request.program, request.args, request.workingDir])}`;
}

/**
 * Why a builder job failed, as the client needs it: BullMQ keeps only a failure's message, so the
 * builder puts the error's name (the contract the client maps to exit codes) and its details (the
 * build log's tail, the simulation's `<!>` lines) into the message as JSON.
 */
export interface JobFailure {
  readonly name: string;
  readonly message: string;
  readonly details?: readonly string[];
}

/** The details each typed error carries, if any. */
function detailsOf(error: Error): readonly string[] | undefined {
  if (error instanceof BuildFailedError) return error.logTail;
  if (error instanceof SimulationQueryError) return error.programMessages;
  if (error instanceof ArchiveEntryRejectedError) return error.entries;
  return undefined;
}

export function encodeJobFailure(error: Error): string {
  const details = detailsOf(error);
  const failure: JobFailure = {
    name: error.name,
    message: error.message,
    ...(details !== undefined && details.length > 0 ? { details } : {}),
  };
  return JSON.stringify(failure);
}

const jobFailureSchema = z.object({
  name: z.string(),
  message: z.string(),
  details: z.array(z.string()).optional(),
});

/** Reads a job's failure reason; a plain message (a transient error, BullMQ's own) becomes an `Error`. */
export function decodeJobFailure(reason: string): JobFailure {
  try {
    const parsed = jobFailureSchema.safeParse(JSON.parse(reason));
    if (parsed.success) return parsed.data;
  } catch {
    // not JSON: a plain message
  }
  return { name: 'Error', message: reason };
}

/** The typed error a failure stands for, so that the client reports it as if it had happened locally. */
export function errorFromJobFailure(failure: JobFailure): Error {
  const details = failure.details ?? [];
  switch (failure.name) {
    case 'BuildFailedError':
      return new BuildFailedError(failure.message, details);
    case 'SimulationQueryError':
      return new SimulationQueryError(failure.message, details);
    case 'CampaignInputError':
      return new CampaignInputError(failure.message);
    case 'ArchiveEntryRejectedError':
      return new ArchiveEntryRejectedError(failure.message, details);
    default: {
      const error = new Error(failure.message);
      error.name = failure.name;
      return error;
    }
  }
}
