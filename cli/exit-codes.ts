/** Every error -> exit code mapping of the CLI lives here. */
import { z } from 'zod';
import { BuildFailedError } from '../lib/core/errors.js';

export const ExitCode = {
  /** Every selected run has intact results. */
  ok: 0,
  /** The campaign ran, but some runs failed or were lost. */
  runsFailed: 1,
  /** Bad input: nothing was started. */
  usage: 2,
  /** Internal or environment failure (disk full, broken state directory). */
  internal: 3,
  /** The project's build failed in the swarm: nothing was run. */
  buildFailed: 4,
  /** Stopped by SIGINT/SIGTERM; `inet-swarm run` again resumes. */
  interrupted: 130,
} as const;

const INPUT_ERRORS = new Set([
  'CampaignInputError',
  'SimulationQueryError',
  'CampaignLockedError',
  'ZodError',
  'SourceSnapshotTooLargeError',
  'SourceSnapshotError',
  // The user's environment, not a bug: a stack trace would only hide the message.
  'DockerUnreachableError',
  'NotSwarmManagerError',
  'GatewayAuthError',
  'StackFileError',
  'SwarmConfigError',
  // aws: the user's configuration, credentials or request, and the API's refusals of it.
  'AwsConfigError',
  'AwsCredentialsError',
  'AwsApiAuthError',
  'AwsTunnelError',
  'CampaignSpecInvalid',
  'CampaignNotFound',
  'CampaignStateConflict',
]);

/**
 * The exit code of an AWS campaign that ended failed or cancelled, by the workflow's error name
 * (lib/aws/errors.ts). A build failure is 4 as in swarm mode (thrown as BuildFailedError instead);
 * a plan the program refused is bad input; a campaign stopped by the user, its budget or its lifetime
 * ran but did not finish its runs; anything else is the infrastructure's failure.
 */
export function awsFailureExitCode(error: string): number {
  switch (error) {
    case 'BuildFailed':
      return ExitCode.buildFailed;
    case 'PlanFailed':
    case 'CampaignSpecInvalid':
      return ExitCode.usage;
    case 'CampaignCancelled':
    case 'BudgetExceeded':
    case 'LifetimeExceeded':
      return ExitCode.runsFailed;
    default:
      return ExitCode.internal;
  }
}

/** Prints an error the way a user needs it and returns the exit code. */
export function reportError(error: unknown, stderr: NodeJS.WritableStream): number {
  if (error instanceof z.ZodError) {
    stderr.write(
      `inet-swarm: invalid options:\n${error.issues.map((i) => `  ${i.path.join('.') || 'option'}: ${i.message}`).join('\n')}\n`,
    );
    return ExitCode.usage;
  }
  const name = error instanceof Error ? error.name : '';
  const message = error instanceof Error ? error.message : String(error);
  stderr.write(`inet-swarm: ${message}\n`);
  if (error instanceof BuildFailedError) {
    stderr.write(`the end of the build output:\n${error.logTail.map((line) => `  ${line}`).join('\n')}\n`);
    return ExitCode.buildFailed;
  }
  const issues = (error as { issues?: unknown }).issues;
  if (Array.isArray(issues) && issues.every((issue) => typeof issue === 'string'))
    for (const issue of issues) stderr.write(`  ${issue}\n`);
  if (INPUT_ERRORS.has(name)) return ExitCode.usage;
  // Not the user's fault: the stack is what a bug report needs.
  if (error instanceof Error && error.stack !== undefined) stderr.write(`${error.stack}\n`);
  return ExitCode.internal;
}
