/**
 * A structured JSON logger for the functions: one line per entry on stdout (CloudWatch keeps it as
 * is), fixed messages with data in fields, and correlation keys (campaignId) carried by children.
 * Errors in fields are written with their name, message, stack and cause.
 */
import type { LogLevel } from './config.js';

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;

export function createLogger(
  level: LogLevel,
  base: LogFields = {},
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Logger {
  const entry = (entryLevel: Exclude<LogLevel, 'silent'>) => (message: string, fields?: LogFields) => {
    if (LEVELS[entryLevel] < LEVELS[level]) return;
    write(
      JSON.stringify(
        { level: entryLevel, time: new Date().toISOString(), message, ...base, ...fields },
        replacer,
      ),
    );
  };
  return {
    debug: entry('debug'),
    info: entry('info'),
    warn: entry('warn'),
    error: entry('error'),
    child: (fields) => createLogger(level, { ...base, ...fields }, write),
  };
}

function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    // Own fields first (a CampaignSpecInvalidError's issues), then what Error keeps off the object.
    const { name, message, stack, cause } = value;
    return { ...value, name, message, stack, ...(cause === undefined ? {} : { cause }) };
  }
  return value;
}
