import { describe, expect, it } from 'vitest';
import { isSqliteExperimentalWarning, loadNodeSqlite } from '../../../lib/results/node-sqlite.js';

describe('loading node:sqlite without its ExperimentalWarning', () => {
  it("recognises exactly the call Node's emitExperimentalWarning('SQLite') makes", () => {
    const message = 'SQLite is an experimental feature and might change at any time';
    expect(isSqliteExperimentalWarning(message, ['ExperimentalWarning', undefined, undefined])).toBe(true);
    expect(isSqliteExperimentalWarning(message, [{ type: 'ExperimentalWarning' }])).toBe(true);
    const error = Object.assign(new Error(message), { name: 'ExperimentalWarning' });
    expect(isSqliteExperimentalWarning(error, [])).toBe(true);
  });

  it('lets every other warning through', () => {
    expect(
      isSqliteExperimentalWarning('VM Modules is an experimental feature', ['ExperimentalWarning']),
    ).toBe(false);
    expect(isSqliteExperimentalWarning('SQLite is an experimental feature', ['DeprecationWarning'])).toBe(
      false,
    );
    expect(isSqliteExperimentalWarning('SQLite is an experimental feature', [])).toBe(false);
  });

  it('returns the module and leaves process.emitWarning as it was', () => {
    /* eslint-disable @typescript-eslint/unbound-method -- compared, never called */
    const before = process.emitWarning;
    const sqlite = loadNodeSqlite();
    expect(process.emitWarning).toBe(before);
    /* eslint-enable @typescript-eslint/unbound-method */
    const db = new sqlite.DatabaseSync(':memory:');
    expect(db.prepare('SELECT 1 + 1 AS two').get()).toEqual({ two: 2 });
    db.close();
  });
});
