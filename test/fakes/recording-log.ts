/**
 * A structured log that keeps its lines for assertions. Fits both loggers of the aws code: the agent's
 * AgentLog and the steps' StepLogger (same shape: a fixed message, data in fields).
 */
import type { AgentLog } from '../../lib/aws/agent/agent-options.js';
import type { StepLogger } from '../../lib/aws/steps/step-logger.js';

export interface LogLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: Record<string, unknown>;
}

export class RecordingLog implements AgentLog, StepLogger {
  readonly lines: LogLine[] = [];
  info(message: string, fields: Record<string, unknown> = {}): void {
    this.lines.push({ level: 'info', message, fields });
  }
  warn(message: string, fields: Record<string, unknown> = {}): void {
    this.lines.push({ level: 'warn', message, fields });
  }
  error(message: string, fields: Record<string, unknown> = {}): void {
    this.lines.push({ level: 'error', message, fields });
  }
  /** How many lines carry `message`. */
  count(message: string): number {
    return this.lines.filter((line) => line.message === message).length;
  }
}
