/** Starts and inspects campaign workflows (the Step Functions state machine in AWS). */
export type ExecutionPhase = 'running' | 'succeeded' | 'failed' | 'timed-out' | 'aborted';

export interface WorkflowEngine {
  /** Starts the campaign's workflow under a name derived from its id (a second start is refused by the engine). */
  start(campaignId: string): Promise<{ executionArn: string }>;
  /** The execution's phase, or null if the engine does not know it. */
  phase(executionArn: string): Promise<ExecutionPhase | null>;
}
