/**
 * The campaign's results index: one SQLite file beside the result files, holding the scalars,
 * parameters, statistics and histograms of every indexed `.sca` file.
 *
 * The tables and columns are OMNeT++'s own, the ones its SqliteOutputScalarManager writes into a
 * `.sca` SQLite file (copied from src/common/sqliteresultfileschema.cc of OMNeT++ 6.x, the version with
 * `runItervar`, `runConfig`, `parameter` and `histogramBin`), so SQL written for OMNeT++'s SQLite result
 * files runs unchanged here. The vector tables are created too, empty, so that the file stays a valid
 * OMNeT++ SQLite result file; vectors are not indexed.
 *
 * Ours are `indexedFile` (which `.sca` file, at which size and mtime) and `indexedFileRun` (which runs
 * came from it): indexing a file again deletes the runs it gave before (the rest cascades) and inserts
 * the new ones, so a rerun replaces its results instead of adding a second copy. Plus indexes for the
 * usual queries and for those cascading deletes.
 *
 * WAL mode and a busy timeout: two campaigns (say, two configs writing the same result directory) may
 * index into the same file at once; readers are never blocked. node:sqlite is synchronous: callers
 * decide how much work one call does.
 */
import path from 'node:path';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { loadNodeSqlite } from './node-sqlite.js';
import type { ScaRun, ScaStatistic } from './sca-file.js';

/** The index's file name, in the result directory. */
export const RESULT_INDEX_FILE = 'inet-swarm-index.sqlite';

/** PRAGMA user_version of the schema below; a file of a newer schema is not written to. */
const SCHEMA_VERSION = 1;
/** How long a writer waits for another process's transaction before giving up. */
const BUSY_TIMEOUT_MS = 30_000;
/** Files written between two turns of the event loop: a few milliseconds of work for the demo's. */
const SLICE_FILES = 10;
/** OMNeT++'s default `simtime-resolution` (picoseconds). */
const DEFAULT_SIMTIME_EXP = -12;

/** The index cannot be opened or written (not a database, a newer schema, disk full...). */
export class ResultIndexError extends Error {
  override readonly name = 'ResultIndexError';
}

const OMNETPP_SCHEMA = `
  CREATE TABLE IF NOT EXISTS run
  (
      runId       INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
      runName     TEXT NOT NULL,
      simtimeExp  INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS runAttr
  (
      runId       INTEGER  NOT NULL REFERENCES run(runId) ON DELETE CASCADE,
      attrName    TEXT NOT NULL,
      attrValue   TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS runItervar
  (
      runId       INTEGER  NOT NULL REFERENCES run(runId) ON DELETE CASCADE,
      itervarName TEXT NOT NULL,
      itervarValue TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS runConfig
  (
      runId       INTEGER NOT NULL REFERENCES run(runId) ON DELETE CASCADE,
      configKey   TEXT NOT NULL,
      configValue TEXT NOT NULL,
      configOrder INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS scalar
  (
      scalarId      INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
      runId         INTEGER  NOT NULL REFERENCES run(runId) ON DELETE CASCADE,
      moduleName    TEXT NOT NULL,
      scalarName    TEXT NOT NULL,
      scalarValue   REAL        -- cannot be NOT NULL, because sqlite converts NaN double value to NULL
  );
  CREATE TABLE IF NOT EXISTS scalarAttr
  (
      scalarId      INTEGER  NOT NULL REFERENCES scalar(scalarId) ON DELETE CASCADE,
      attrName      TEXT NOT NULL,
      attrValue     TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS parameter
  (
      paramId       INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
      runId         INTEGER  NOT NULL REFERENCES run(runId) ON DELETE CASCADE,
      moduleName    TEXT NOT NULL,
      paramName     TEXT NOT NULL,
      paramValue    TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS paramAttr
  (
      paramId       INTEGER  NOT NULL REFERENCES parameter(paramId) ON DELETE CASCADE,
      attrName      TEXT NOT NULL,
      attrValue     TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS statistic
  (
      statId        INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
      runId         INTEGER NOT NULL REFERENCES run(runId) ON DELETE CASCADE,
      moduleName    TEXT NOT NULL,
      statName      TEXT NOT NULL,
      isHistogram   INTEGER NOT NULL,   -- actually, BOOL
      isWeighted    INTEGER NOT NULL,   -- actually, BOOL
      statCount     INTEGER NOT NULL,
      statMean      REAL,   -- note: computed; stored for convenience
      statStddev    REAL,   -- note: computed; stored for convenience
      statSum       REAL,
      statSqrsum    REAL,
      statMin       REAL,
      statMax       REAL,
      statWeights          REAL,  -- note: names of this and subsequent fields are consistent with textual sca file field names
      statWeightedSum      REAL,
      statSqrSumWeights    REAL,
      statWeightedSqrSum   REAL
  );
  CREATE TABLE IF NOT EXISTS statisticAttr
  (
      statId        INTEGER NOT NULL REFERENCES statistic(statId) ON DELETE CASCADE,
      attrName      TEXT NOT NULL,
      attrValue     TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS histogramBin
  (
      statId        INTEGER NOT NULL REFERENCES statistic(statId) ON DELETE CASCADE,
      lowerEdge     REAL NOT NULL,
      binValue      REAL NOT NULL
  );
  CREATE TABLE IF NOT EXISTS vector
  (
      vectorId        INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
      runId           INTEGER NOT NULL REFERENCES run(runId) ON DELETE CASCADE,
      moduleName      TEXT NOT NULL,
      vectorName      TEXT NOT NULL,
      vectorCount     INTEGER,    -- cannot be NOT NULL because we fill it in later
      vectorMin       REAL,
      vectorMax       REAL,
      vectorSum       REAL,
      vectorSumSqr    REAL,
      startEventNum   INTEGER,
      endEventNum     INTEGER,
      startSimtimeRaw INTEGER,
      endSimtimeRaw   INTEGER
  );
  CREATE TABLE IF NOT EXISTS vectorAttr
  (
      vectorId      INTEGER  NOT NULL REFERENCES vector(vectorId) ON DELETE CASCADE,
      attrName      TEXT NOT NULL,
      attrValue     TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS vectorData
  (
      vectorId      INTEGER NOT NULL REFERENCES vector(vectorId) ON DELETE CASCADE,
      eventNumber   INTEGER NOT NULL,
      simtimeRaw    INTEGER NOT NULL,
      value         REAL  -- cannot be NOT NULL because of NaN values
  );
`;

const INET_SWARM_SCHEMA = `
  -- One row per indexed .sca file; path is relative to the result directory, with '/' separators.
  CREATE TABLE IF NOT EXISTS indexedFile
  (
      fileId      INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
      path        TEXT NOT NULL UNIQUE,
      size        INTEGER NOT NULL,
      mtimeMs     REAL NOT NULL,
      sha256      TEXT,              -- from the run's manifest record; NULL when imported by 'inet-swarm index'
      indexedAt   TEXT NOT NULL      -- ISO 8601, UTC
  );
  CREATE TABLE IF NOT EXISTS indexedFileRun
  (
      fileId      INTEGER NOT NULL REFERENCES indexedFile(fileId) ON DELETE CASCADE,
      runId       INTEGER NOT NULL REFERENCES run(runId) ON DELETE CASCADE,
      PRIMARY KEY (fileId, runId)
  );

  -- What researchers filter and join on.
  CREATE INDEX IF NOT EXISTS run_runName ON run (runName);
  CREATE INDEX IF NOT EXISTS runItervar_itervarName ON runItervar (itervarName, itervarValue);
  CREATE INDEX IF NOT EXISTS scalar_scalarName ON scalar (scalarName, moduleName);
  CREATE INDEX IF NOT EXISTS statistic_statName ON statistic (statName, moduleName);
  -- Joins by run, and the cascades of a replaced file (without them every delete scans whole tables).
  CREATE INDEX IF NOT EXISTS runAttr_runId ON runAttr (runId);
  CREATE INDEX IF NOT EXISTS runItervar_runId ON runItervar (runId);
  CREATE INDEX IF NOT EXISTS runConfig_runId ON runConfig (runId);
  CREATE INDEX IF NOT EXISTS scalar_runId ON scalar (runId);
  CREATE INDEX IF NOT EXISTS scalarAttr_scalarId ON scalarAttr (scalarId);
  CREATE INDEX IF NOT EXISTS parameter_runId ON parameter (runId);
  CREATE INDEX IF NOT EXISTS paramAttr_paramId ON paramAttr (paramId);
  CREATE INDEX IF NOT EXISTS statistic_runId ON statistic (runId);
  CREATE INDEX IF NOT EXISTS statisticAttr_statId ON statisticAttr (statId);
  CREATE INDEX IF NOT EXISTS histogramBin_statId ON histogramBin (statId);
  CREATE INDEX IF NOT EXISTS vector_runId ON vector (runId);
  CREATE INDEX IF NOT EXISTS indexedFileRun_runId ON indexedFileRun (runId);
`;

/** A `.sca` file as the index knows it. */
export interface IndexedFile {
  /** Relative to the result directory, with `/` separators. */
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
  /** Known when the file came with a run record; null when imported from the directory. */
  readonly sha256: string | null;
}

/** A file and the runs read from it. */
export interface FileRuns {
  readonly file: IndexedFile;
  readonly runs: readonly ScaRun[];
}

/** `simtime-resolution` as a power of ten: a unit or an exponent; OMNeT++'s default otherwise. */
const SIMTIME_UNITS: Readonly<Record<string, number>> = {
  s: 0,
  ms: -3,
  us: -6,
  ns: -9,
  ps: -12,
  fs: -15,
  as: -18,
};
function simtimeExp(run: ScaRun): number {
  const entry = run.config.findLast(([key]) => key === 'simtime-resolution' || key === 'simtime-scale');
  const value = entry?.[1].trim();
  if (value === undefined) return DEFAULT_SIMTIME_EXP;
  if (/^-?\d+$/.test(value)) return Number(value);
  return SIMTIME_UNITS[value] ?? DEFAULT_SIMTIME_EXP;
}

/** The result directory's index, open for reading and writing. */
export class ResultIndex {
  private readonly sql: Readonly<Record<StatementName, StatementSync>>;

  private constructor(
    private readonly db: DatabaseSync,
    readonly file: string,
  ) {
    this.sql = prepareStatements(db);
  }

  /**
   * Opens `<resultDir>/inet-swarm-index.sqlite`, creating it (and its tables) if needed.
   * @throws ResultIndexError
   */
  static open(resultDir: string): ResultIndex {
    const file = path.join(resultDir, RESULT_INDEX_FILE);
    const { DatabaseSync } = loadNodeSqlite();
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(file, { timeout: BUSY_TIMEOUT_MS, enableForeignKeyConstraints: true });
    } catch (error) {
      throw new ResultIndexError(`cannot open the results index ${file}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    try {
      // Persistent in the file; NORMAL is durable in WAL mode except for the last commits on power loss,
      // which `inet-swarm index` rebuilds.
      db.exec('PRAGMA journal_mode = WAL');
      db.exec('PRAGMA synchronous = NORMAL');
      const version = Number(
        (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version,
      );
      if (version > SCHEMA_VERSION)
        throw new Error(
          `it was written by a newer inet-swarm (schema ${version}; this one knows ${SCHEMA_VERSION})`,
        );
      if (version < SCHEMA_VERSION) {
        // IMMEDIATE: two processes creating the file at once take turns instead of failing.
        db.exec('BEGIN IMMEDIATE');
        db.exec(OMNETPP_SCHEMA);
        db.exec(INET_SWARM_SCHEMA);
        db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
        db.exec('COMMIT');
      }
      return new ResultIndex(db, file);
    } catch (error) {
      db.close();
      throw new ResultIndexError(`cannot use the results index ${file}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  /** Every indexed file: path -> its size and mtime when it was indexed. */
  indexedFiles(): Map<string, { readonly size: number; readonly mtimeMs: number }> {
    const rows = this.sql.files.all() as {
      path: string;
      size: number;
      mtimeMs: number;
    }[];
    return new Map(rows.map((row) => [row.path, { size: row.size, mtimeMs: row.mtimeMs }]));
  }

  /**
   * Indexes each file's runs in place of what the file gave before, all in one transaction.
   * @returns the number of runs written
   * @throws ResultIndexError (nothing of the call is kept)
   */
  replaceFiles(files: readonly FileRuns[]): number {
    return this.transaction(() => this.writeFiles(files, new Date().toISOString()));
  }

  /**
   * As replaceFiles, in one transaction too, but `slice` files at a time with the event loop free in
   * between: node:sqlite blocks while it works, and a campaign's scheduler shares the thread. One
   * commit for the whole call, not one per slice: a commit writes out every page its slice touched,
   * which made per-slice commits a third of the indexing time. `files` may be produced lazily (read
   * as they are written, so that a batch is never held in memory whole). Calls must not overlap.
   * @returns the number of runs written
   * @throws ResultIndexError (nothing of the call is kept)
   */
  async replaceFilesGradually(files: Iterable<FileRuns>, slice = SLICE_FILES): Promise<number> {
    this.begin();
    try {
      let runs = 0;
      let written = 0;
      const indexedAt = new Date().toISOString();
      for (const file of files) {
        if (written > 0 && written % slice === 0) await nextTurn();
        runs += this.writeFiles([file], indexedAt);
        written += 1;
      }
      this.commit();
      return runs;
    } catch (error) {
      throw this.rollback(error);
    }
  }

  /**
   * Forgets files and their runs (they are gone from the directory, or hold no usable results).
   * @returns how many of them were indexed
   */
  removeFiles(paths: readonly string[]): number {
    return this.transaction(() => paths.filter((file) => this.deleteFile(file)).length);
  }

  /**
   * Writes the WAL into the database file and, as OMNeT++'s own writer does, leaves the file in
   * rollback-journal mode: at rest the index is one self-contained file, and a reader that opens it
   * read-only (which cannot clean up after itself in WAL mode) leaves no -wal/-shm files behind.
   * While another process has the index open, both steps are skipped: the last one to close does them.
   */
  close(): void {
    if (!this.db.isOpen) return;
    try {
      this.db.exec('PRAGMA busy_timeout = 0'); // never hold a finished campaign up for this
      this.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
      this.db.exec('PRAGMA journal_mode = DELETE');
    } catch {
      // Busy: another connection is open; it leaves the file in order when it closes.
    }
    this.db.close();
  }

  private transaction<T>(body: () => T): T {
    this.begin();
    try {
      const result = body();
      this.commit();
      return result;
    } catch (error) {
      throw this.rollback(error);
    }
  }

  /** IMMEDIATE: the write lock now (waiting up to the busy timeout), not a failed upgrade later. */
  private begin(): void {
    try {
      this.db.exec('BEGIN IMMEDIATE');
    } catch (error) {
      throw this.writeError(error);
    }
  }

  private commit(): void {
    this.db.exec('COMMIT');
  }

  /** Rolls back what the transaction did; returns the error to throw. */
  private rollback(error: unknown): ResultIndexError {
    if (this.db.isOpen && this.db.isTransaction) this.db.exec('ROLLBACK');
    return error instanceof ResultIndexError ? error : this.writeError(error);
  }

  private writeError(error: unknown): ResultIndexError {
    return new ResultIndexError(`cannot write the results index ${this.file}: ${(error as Error).message}`, {
      cause: error,
    });
  }

  private writeFiles(files: readonly FileRuns[], indexedAt: string): number {
    let runs = 0;
    for (const { file, runs: fileRuns } of files) {
      this.deleteFile(file.path);
      const fileId = this.sql.file.run(
        file.path,
        file.size,
        file.mtimeMs,
        file.sha256,
        indexedAt,
      ).lastInsertRowid;
      for (const run of fileRuns) {
        this.sql.fileRun.run(fileId, this.insertRun(run));
        runs += 1;
      }
    }
    return runs;
  }

  /** @returns whether the file was indexed */
  private deleteFile(file: string): boolean {
    const row = this.sql.fileId.get(file) as { fileId: number } | undefined;
    if (row === undefined) return false;
    this.sql.deleteRuns.run(row.fileId);
    this.sql.deleteFile.run(row.fileId);
    return true;
  }

  private insertRun(run: ScaRun): number | bigint {
    const insert = this.sql;
    const runId = insert.run.run(run.runName, simtimeExp(run)).lastInsertRowid;
    for (const [name, value] of run.attributes) insert.runAttr.run(runId, name, value);
    for (const [name, value] of run.itervars) insert.runItervar.run(runId, name, value);
    for (const [order, [key, value]] of run.config.entries()) insert.runConfig.run(runId, key, value, order);
    for (const scalar of run.scalars) {
      const id = insert.scalar.run(runId, scalar.module, scalar.name, scalar.value).lastInsertRowid;
      for (const [name, value] of scalar.attributes) insert.scalarAttr.run(id, name, value);
    }
    for (const parameter of run.parameters) {
      const id = insert.parameter.run(
        runId,
        parameter.module,
        parameter.name,
        parameter.value,
      ).lastInsertRowid;
      for (const [name, value] of parameter.attributes) insert.paramAttr.run(id, name, value);
    }
    for (const statistic of run.statistics) this.insertStatistic(runId, statistic);
    return runId;
  }

  /** As SqliteScalarFileWriter::writeStatistic: sum/sqrsum for unweighted, the weight sums otherwise. */
  private insertStatistic(runId: number | bigint, statistic: ScaStatistic): void {
    const { fields } = statistic;
    const weighted = fields.weights !== undefined;
    const id = this.sql.statistic.run(
      runId,
      statistic.module,
      statistic.name,
      statistic.bins.length > 0 ? 1 : 0,
      weighted ? 1 : 0,
      fields.count ?? -1,
      fields.mean ?? null,
      fields.stddev ?? null,
      fields.min ?? null,
      fields.max ?? null,
      weighted ? null : (fields.sum ?? null),
      weighted ? null : (fields.sqrsum ?? null),
      weighted ? (fields.weights ?? null) : null,
      weighted ? (fields.weightedSum ?? null) : null,
      weighted ? (fields.sqrSumWeights ?? null) : null,
      weighted ? (fields.weightedSqrSum ?? null) : null,
    ).lastInsertRowid;
    for (const [name, value] of statistic.attributes) this.sql.statisticAttr.run(id, name, value);
    for (const bin of statistic.bins) this.sql.histogramBin.run(id, bin.lowerEdge, bin.value);
  }
}

type StatementName =
  | 'files'
  | 'fileId'
  | 'deleteRuns'
  | 'deleteFile'
  | 'file'
  | 'fileRun'
  | 'run'
  | 'runAttr'
  | 'runItervar'
  | 'runConfig'
  | 'scalar'
  | 'scalarAttr'
  | 'parameter'
  | 'paramAttr'
  | 'statistic'
  | 'statisticAttr'
  | 'histogramBin';

/** The inserts of SqliteScalarFileWriter, and ours. */
function prepareStatements(db: DatabaseSync): Record<StatementName, StatementSync> {
  const sql: Record<StatementName, string> = {
    files: 'SELECT path, size, mtimeMs FROM indexedFile',
    fileId: 'SELECT fileId FROM indexedFile WHERE path = ?',
    // The file's runs and, cascading, everything recorded under them; then the file (and its links).
    deleteRuns: 'DELETE FROM run WHERE runId IN (SELECT runId FROM indexedFileRun WHERE fileId = ?)',
    deleteFile: 'DELETE FROM indexedFile WHERE fileId = ?',
    file: 'INSERT INTO indexedFile (path, size, mtimeMs, sha256, indexedAt) VALUES (?, ?, ?, ?, ?)',
    fileRun: 'INSERT INTO indexedFileRun (fileId, runId) VALUES (?, ?)',
    run: 'INSERT INTO run (runName, simtimeExp) VALUES (?, ?)',
    runAttr: 'INSERT INTO runAttr (runId, attrName, attrValue) VALUES (?, ?, ?)',
    runItervar: 'INSERT INTO runItervar (runId, itervarName, itervarValue) VALUES (?, ?, ?)',
    runConfig: 'INSERT INTO runConfig (runId, configKey, configValue, configOrder) VALUES (?, ?, ?, ?)',
    scalar: 'INSERT INTO scalar (runId, moduleName, scalarName, scalarValue) VALUES (?, ?, ?, ?)',
    scalarAttr: 'INSERT INTO scalarAttr (scalarId, attrName, attrValue) VALUES (?, ?, ?)',
    parameter: 'INSERT INTO parameter (runId, moduleName, paramName, paramValue) VALUES (?, ?, ?, ?)',
    paramAttr: 'INSERT INTO paramAttr (paramId, attrName, attrValue) VALUES (?, ?, ?)',
    statistic:
      'INSERT INTO statistic (runId, moduleName, statName, isHistogram, isWeighted, ' +
      'statCount, statMean, statStddev, statMin, statMax, statSum, statSqrsum, ' +
      'statWeights, statWeightedSum, statSqrSumWeights, statWeightedSqrSum) ' +
      'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    statisticAttr: 'INSERT INTO statisticAttr (statId, attrName, attrValue) VALUES (?, ?, ?)',
    histogramBin: 'INSERT INTO histogramBin (statId, lowerEdge, binValue) VALUES (?, ?, ?)',
  };
  return Object.fromEntries(Object.entries(sql).map(([name, text]) => [name, db.prepare(text)])) as Record<
    StatementName,
    StatementSync
  >;
}
