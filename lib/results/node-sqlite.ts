/**
 * `node:sqlite`, loaded when first needed and without its ExperimentalWarning. Node 24 before 24.15
 * prints "SQLite is an experimental feature..." to stderr the moment the module is loaded; to a user of
 * the CLI that line is noise they can do nothing about, and tests that expect a clean stderr would see it.
 * A static `import` cannot be filtered (built-in modules are loaded while the import graph is linked,
 * before any of our code runs), so the module is fetched with `process.getBuiltinModule` with that one
 * warning filtered out for the duration of the call; every other warning passes through unchanged.
 */
import type * as NodeSqlite from 'node:sqlite';

/** The text Node's `emitExperimentalWarning('SQLite')` produces. */
const SQLITE_WARNING = /^SQLite is an experimental feature/;

let loaded: typeof NodeSqlite | null = null;

/** Whether a `process.emitWarning(warning, ...rest)` call is node:sqlite's experimental warning. */
export function isSqliteExperimentalWarning(warning: string | Error, rest: readonly unknown[]): boolean {
  const message = typeof warning === 'string' ? warning : warning.message;
  const option = rest[0];
  const type =
    typeof option === 'string'
      ? option
      : typeof option === 'object' && option !== null && 'type' in option
        ? String(option.type)
        : warning instanceof Error
          ? warning.name
          : 'Warning';
  return type === 'ExperimentalWarning' && SQLITE_WARNING.test(message);
}

export function loadNodeSqlite(): typeof NodeSqlite {
  if (loaded !== null) return loaded;
  // Kept to be put back as it was, and called with `process` as `this`.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const emitWarning = process.emitWarning;
  const filtered = (warning: string | Error, ...rest: unknown[]): void => {
    if (isSqliteExperimentalWarning(warning, rest)) return;
    Reflect.apply(emitWarning, process, [warning, ...rest]);
  };
  process.emitWarning = filtered as typeof process.emitWarning;
  try {
    loaded = process.getBuiltinModule('node:sqlite');
    return loaded;
  } finally {
    process.emitWarning = emitWarning;
  }
}
