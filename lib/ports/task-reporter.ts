/**
 * Answers a Step Functions task token (`.waitForTaskToken`): the in-cluster agent reports builds,
 * fan-outs and run progress through it. Error names are the ASL's `ErrorEquals` (lib/aws/errors.ts).
 */
export interface TaskReporter {
  succeed(token: string, output: unknown): Promise<void>;
  fail(token: string, error: string, cause: string): Promise<void>;
  /** Tells Step Functions the task is alive (within the state's HeartbeatSeconds). */
  heartbeat(token: string): Promise<void>;
}
