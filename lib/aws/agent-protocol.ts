/**
 * How the workflow and the in-cluster agent talk. A callback state (Build, FanOut, WaitForRuns) runs the
 * `agentTask` function, which writes a command with the state's task token to
 * `data/<id>/control/<command>.json`; the agent polls for commands, does the work in the swarm and
 * answers the token (SendTaskSuccess with the output below, SendTaskFailure with an error name from
 * lib/aws/errors.ts, SendTaskHeartbeat while it works). A `cancel` document (written by the API) makes
 * the agent fail whichever token it holds with CampaignCancelled.
 */
import { z } from 'zod';
import { runProgressSchema } from './campaign-status.js';

export const agentCommandSchema = z.strictObject({
  command: z.enum(['build', 'fan-out', 'progress']),
  taskToken: z.string().min(1),
  /** When the workflow issued it: a command older than the agent's last answer to it is stale. */
  issuedAt: z.string(),
});
export type AgentCommand = z.infer<typeof agentCommandSchema>;

export const cancelRequestSchema = z.strictObject({ requestedAt: z.string(), reason: z.string() });
export type CancelRequest = z.infer<typeof cancelRequestSchema>;

/** SendTaskSuccess output of `build`. */
export const buildOutputSchema = z.strictObject({
  artifactKey: z.string(),
  compiles: z.number().int().nonnegative(),
  durationMs: z.number().nonnegative(),
  reused: z.boolean(),
});
export type BuildOutput = z.infer<typeof buildOutputSchema>;

/** SendTaskSuccess output of `fan-out`: every run is queued. */
export const fanOutOutputSchema = z.strictObject({ totalRuns: z.number().int().nonnegative() });
export type FanOutOutput = z.infer<typeof fanOutOutputSchema>;

/**
 * SendTaskSuccess output of `progress`: sent when every run is final, or after at most
 * PROGRESS_INTERVAL_SECONDS so the workflow can check the budget and the lifetime in between. Eight
 * minutes: each answer costs the execution about 13 history events, and a Standard execution keeps at
 * most 25,000, so a 7-day campaign needs about 1,260 rounds (16,400 events).
 */
export const progressOutputSchema = runProgressSchema.extend({ allFinal: z.boolean() });
export type ProgressOutput = z.infer<typeof progressOutputSchema>;

export const PROGRESS_INTERVAL_SECONDS = 480;
/** Heartbeats while a build or fan-out runs; the states' HeartbeatSeconds is a few times this. */
export const HEARTBEAT_INTERVAL_SECONDS = 60;
/** How often the agent looks for commands. */
export const COMMAND_POLL_SECONDS = 5;
