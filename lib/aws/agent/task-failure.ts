/**
 * Which error name (the ASL's `ErrorEquals`, lib/aws/errors.ts) and cause the agent sends with
 * SendTaskFailure for what went wrong in the swarm. The name tells the user what to fix: their build
 * (BuildFailed), their arguments or configuration (PlanFailed), or nothing of theirs (SwarmLost).
 */
import {
  ArchiveEntryRejectedError,
  BlobCorruptError,
  BuildFailedError,
  CampaignInputError,
  GatewayAuthError,
  GatewayError,
  SimulationQueryError,
} from '../../core/errors.js';
import { CampaignBuildFailedError, CampaignPlanFailedError, SwarmLostError } from '../errors.js';

export interface TaskFailure {
  readonly error: string;
  readonly cause: string;
}

const BUILD_FAILED = new CampaignBuildFailedError().name;
const PLAN_FAILED = new CampaignPlanFailedError().name;
const SWARM_LOST = new SwarmLostError().name;

function withLines(message: string, lines: readonly string[]): string {
  return lines.length === 0 ? message : `${message}\n${lines.join('\n')}`;
}

/** The swarm did not answer (beyond the gateway client's retries) or refused our token. */
export function isSwarmLost(error: unknown): boolean {
  return error instanceof GatewayError || error instanceof GatewayAuthError;
}

export function buildFailure(error: unknown): TaskFailure {
  if (error instanceof BuildFailedError)
    return { error: BUILD_FAILED, cause: withLines(error.message, error.logTail) };
  if (error instanceof ArchiveEntryRejectedError)
    return { error: BUILD_FAILED, cause: withLines(error.message, error.entries) };
  // A build directory outside the project, a source that is not what the spec says.
  if (error instanceof CampaignInputError || error instanceof BlobCorruptError)
    return { error: BUILD_FAILED, cause: error.message };
  return otherFailure(error);
}

export function planFailure(error: unknown): TaskFailure {
  if (error instanceof SimulationQueryError)
    return { error: PLAN_FAILED, cause: withLines(error.message, error.programMessages) };
  // A missing program, zero runs, a result directory outside the project.
  if (error instanceof CampaignInputError) return { error: PLAN_FAILED, cause: error.message };
  return otherFailure(error);
}

/** Anything else: SwarmLost for the gateway, otherwise the error's own name (the ASL catches it all). */
export function otherFailure(error: unknown): TaskFailure {
  if (isSwarmLost(error)) return { error: SWARM_LOST, cause: (error as Error).message };
  if (error instanceof Error) return { error: error.name || 'Error', cause: error.message };
  return { error: 'Error', cause: String(error) };
}
