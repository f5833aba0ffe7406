/**
 * How the CLI rides out a flaky network or a control plane that is briefly unavailable: the same
 * policy as the swarm gateway client (about a minute of outage, growing pauses), injectable so tests
 * need not wait.
 */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  /** Pause after failed attempt `attempt` (1-based). */
  delayMs(attempt: number): number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  attempts: 12,
  delayMs: (attempt) => Math.min(500 * attempt, 5000),
};

/** Server errors and throttling pass; 501 (not implemented) and 4xx refusals do not. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status !== 501);
}

export function sleep(ms: number, stop?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (stop?.aborted === true) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      stop?.removeEventListener('abort', done);
      resolve();
    }
    stop?.addEventListener('abort', done, { once: true });
  });
}
