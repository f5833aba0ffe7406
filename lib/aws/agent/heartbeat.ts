/**
 * Heartbeats for a task token while the agent works on it. Step Functions fails a callback state that
 * misses its HeartbeatSeconds; the agent in turn stops working on a token Step Functions no longer
 * accepts (SfnTaskReporter's TaskTokenExpired), since nobody waits for that work any more.
 */
import type { TaskReporter } from '../../ports/task-reporter.js';
import { sleep, type AgentLog } from './agent-options.js';

/** The error name SfnTaskReporter gives a token Step Functions no longer accepts. */
export const TASK_TOKEN_EXPIRED = 'TaskTokenExpired';

export function isTokenExpired(error: unknown): boolean {
  return error instanceof Error && error.name === TASK_TOKEN_EXPIRED;
}

export interface Heartbeat {
  /** Stops heartbeating (idempotent); resolves once no heartbeat is in flight. */
  stop(): Promise<void>;
}

/**
 * Heartbeats `token` every `intervalMs` until stopped. `onExpired` is called (once) when Step
 * Functions refuses a heartbeat because the token is dead; heartbeating stops then. Other heartbeat
 * errors (throttling, a network blip) are logged and the next heartbeat is tried as usual.
 */
export function startHeartbeat(
  reporter: TaskReporter,
  token: string,
  intervalMs: number,
  onExpired: () => void,
  log: AgentLog,
  fields: Record<string, unknown>,
): Heartbeat {
  const stopped = new AbortController();
  const loop = (async () => {
    for (;;) {
      await sleep(intervalMs, stopped.signal);
      if (stopped.signal.aborted) return;
      try {
        await reporter.heartbeat(token);
      } catch (error) {
        if (isTokenExpired(error)) {
          log.warn('task token expired', { ...fields, message: (error as Error).message });
          onExpired();
          return;
        }
        log.warn('heartbeat failed', { ...fields, message: (error as Error).message });
      }
    }
  })();
  return {
    async stop() {
      stopped.abort();
      await loop;
    },
  };
}
