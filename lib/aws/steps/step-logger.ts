/** What a step that keeps going past a problem (the sweeper) needs to say so; functions/shared/log.ts fits. */
export interface StepLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}
