/**
 * The JSON that flows through the campaign state machine (statemachines/campaign.asl.yaml). The
 * execution starts with `{ campaignId }`; each Task state stores its function's result under its own
 * key (ResultPath) and a Catch stores `{ Error, Cause }` under `failure`, so every step sees what the
 * earlier ones found and Teardown knows why it runs.
 */
import { z } from 'zod';
import { campaignIdSchema } from './bucket-layout.js';
import { buildOutputSchema, fanOutOutputSchema, progressOutputSchema } from './agent-protocol.js';

/** Validate's result, `$.limits`: what the ASL needs as numbers (Wait SecondsPath). */
export const validatedLimitsSchema = z.strictObject({
  idleGraceSeconds: z.number().int().nonnegative(),
  maxLifetimeSeconds: z.number().int().positive(),
  startedAt: z.string(),
});

export const workflowStateSchema = z.object({
  campaignId: campaignIdSchema,
  limits: validatedLimitsSchema.optional(),
  /** Provision's result. */
  cluster: z.strictObject({ stackName: z.string() }).optional(),
  /** WaitForSwarm's result. */
  swarm: z.strictObject({ nodes: z.number().int(), managerAddress: z.string().nullable() }).optional(),
  build: buildOutputSchema.optional(),
  fanOut: fanOutOutputSchema.optional(),
  progress: progressOutputSchema.optional(),
  /** CheckBudget's result. */
  meter: z.strictObject({ allFinal: z.boolean(), soFarUsd: z.number(), projectedUsd: z.number() }).optional(),
  /** Set by a Catch: the error that sends the campaign to Teardown. */
  failure: z.object({ Error: z.string(), Cause: z.string().optional() }).optional(),
});
export type WorkflowState = z.infer<typeof workflowStateSchema>;

/** The input of a callback state's function: the state plus the token to hand to the agent. */
export const agentTaskInputSchema = z.object({
  command: z.enum(['build', 'fan-out', 'progress']),
  taskToken: z.string().min(1),
  state: workflowStateSchema,
});
export type AgentTaskInput = z.infer<typeof agentTaskInputSchema>;
