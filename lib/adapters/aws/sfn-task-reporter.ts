/**
 * Answers Step Functions task tokens for the in-cluster agent. A token that Step Functions no longer
 * accepts (the state timed out, missed its heartbeat, or the execution ended) surfaces as
 * {@link TaskTokenExpiredError}, so the agent stops working on a task nobody waits for instead of
 * retrying or crashing on a generic SDK error.
 */
import {
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  TaskDoesNotExist,
  TaskTimedOut,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import type { TaskReporter } from '../../ports/task-reporter.js';

/** SendTaskFailure's length limits, in characters. */
export const MAX_ERROR_LENGTH = 256;
export const MAX_CAUSE_LENGTH = 32_768;

/** The task token is dead: Step Functions stopped waiting for it. Stop the work it stood for. */
export class TaskTokenExpiredError extends Error {
  override readonly name = 'TaskTokenExpired';
}

export class SfnTaskReporter implements TaskReporter {
  constructor(private readonly client: SFNClient) {}

  /** @throws TaskTokenExpiredError if Step Functions no longer waits for this token */
  async succeed(token: string, output: unknown): Promise<void> {
    await answering(() =>
      this.client.send(
        new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(output ?? null) }),
      ),
    );
  }

  /**
   * Error and cause are cut to the API's limits rather than refused: a long build log in the cause
   * must not turn a build failure into a failure to report it.
   * @throws TaskTokenExpiredError if Step Functions no longer waits for this token
   */
  async fail(token: string, error: string, cause: string): Promise<void> {
    await answering(() =>
      this.client.send(
        new SendTaskFailureCommand({
          taskToken: token,
          error: truncate(error, MAX_ERROR_LENGTH),
          cause: truncate(cause, MAX_CAUSE_LENGTH),
        }),
      ),
    );
  }

  /** @throws TaskTokenExpiredError if Step Functions no longer waits for this token */
  async heartbeat(token: string): Promise<void> {
    await answering(() => this.client.send(new SendTaskHeartbeatCommand({ taskToken: token })));
  }
}

async function answering(call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (error) {
    if (error instanceof TaskTimedOut || error instanceof InvalidToken || error instanceof TaskDoesNotExist)
      throw new TaskTokenExpiredError(`Step Functions no longer accepts the task token (${error.name})`, {
        cause: error,
      });
    throw error;
  }
}

/** Cuts `text` to `max` UTF-16 units without splitting a surrogate pair (a lone half is not UTF-8). */
function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}
