/**
 * Campaign workflows as executions of the campaign state machine. The execution is named after the
 * campaign, so Step Functions itself refuses a second workflow for a campaign (names are unique per
 * state machine for 90 days after an execution closes) and the ARN can be derived from the id.
 */
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  StartExecutionCommand,
  type ExecutionStatus,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { CampaignStateConflictError } from '../../aws/errors.js';
import type { ExecutionPhase, WorkflowEngine } from '../../ports/workflow-engine.js';

/** Every status Step Functions has: a new one fails the type check on an SDK upgrade. */
const PHASES: Readonly<Record<ExecutionStatus, ExecutionPhase>> = {
  RUNNING: 'running',
  SUCCEEDED: 'succeeded',
  FAILED: 'failed',
  TIMED_OUT: 'timed-out',
  ABORTED: 'aborted',
  // A failed execution someone may redrive; until they do, it failed.
  PENDING_REDRIVE: 'failed',
};

export class SfnWorkflowEngine implements WorkflowEngine {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  /**
   * Step Functions answers a repeated start of a *running* execution with the same name and input
   * with that execution (its start is idempotent); only a start after it closed is refused.
   * @throws CampaignStateConflictError if a workflow of this campaign ran already
   */
  async start(campaignId: string): Promise<{ executionArn: string }> {
    try {
      const response = await this.client.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          name: campaignId,
          input: JSON.stringify({ campaignId }),
        }),
      );
      if (response.executionArn === undefined) throw new Error('StartExecution returned no executionArn');
      return { executionArn: response.executionArn };
    } catch (error) {
      if (error instanceof ExecutionAlreadyExists)
        throw new CampaignStateConflictError(`campaign ${campaignId} was started already`, { cause: error });
      throw error;
    }
  }

  async phase(executionArn: string): Promise<ExecutionPhase | null> {
    let status: string | undefined;
    try {
      ({ status } = await this.client.send(new DescribeExecutionCommand({ executionArn })));
    } catch (error) {
      if (error instanceof ExecutionDoesNotExist) return null;
      throw error;
    }
    const phase =
      status === undefined ? undefined : (PHASES as Partial<Record<string, ExecutionPhase>>)[status];
    if (phase === undefined) throw new Error(`execution ${executionArn} has an unknown status ${status}`);
    return phase;
  }
}
