import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import {
  RESULT_INDEX_FILE,
  ResultIndex,
  ResultIndexError,
  type FileRuns,
} from '../../../lib/results/result-index.js';
import { parseSca } from '../../../lib/results/sca-file.js';

const opened: ResultIndex[] = [];
afterEach(() => {
  for (const index of opened.splice(0)) index.close();
});

function freshDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'result-index-'));
}

function openIndex(dir: string): ResultIndex {
  const index = ResultIndex.open(dir);
  opened.push(index);
  return index;
}

/** A read-only connection of the test's own, as a researcher's tool would open the file. */
function query<T>(dir: string, sql: string, ...params: (string | number)[]): T[] {
  const db = new DatabaseSync(path.join(dir, RESULT_INDEX_FILE), { readOnly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

const count = (dir: string, table: string) =>
  query<{ n: number }>(dir, `SELECT COUNT(*) AS n FROM ${table}`)[0]?.n;

/** A one-run file of config U with `serviceMean` and two queues' scalars. */
function runText(runNumber: number, serviceMean: string, values: readonly [number, number], execution = 1) {
  return (
    `version 3\nrun U-${runNumber}-20261124-10:00:0${execution}-${100 + runNumber}\n` +
    `attr configname U\nattr runnumber ${runNumber}\nattr iterationvars "$serviceMean=${serviceMean}"\n` +
    `itervar serviceMean ${serviceMean}\nconfig repeat 2\nconfig **.serviceTime exponential(\${serviceMean}s)\n\n` +
    `par Net.queue[0] serviceTime exponential(${serviceMean}s)\nattr unit s\n` +
    `scalar Net.queue[0] queueLength:timeavg ${values[0]}\nattr recordingmode timeavg\nattr title "queue length, timeavg"\n` +
    `scalar Net.queue[1] queueLength:timeavg ${values[1]}\n` +
    `statistic Net.queue[0] waitingTime:stats\nfield count 3\nfield mean 2\nfield stddev 1\nfield min 1\nfield max 3\nfield sum 6\nfield sqrsum 14\nattr title "waiting time"\n` +
    `statistic Net.sink lifeTime:histogram\nfield count 3\nfield mean 0.5\nfield stddev 0.1\nfield min 0.4\nfield max 0.6\nfield sum 1.5\nfield sqrsum 0.77\n` +
    `bin\t-inf\t0\nbin\t0\t1\nbin\t0.5\t2\nbin\t1\t0\n`
  );
}

function fileRuns(file: string, text: string, mtimeMs = 1000): FileRuns {
  return { file: { path: file, size: text.length, mtimeMs, sha256: null }, runs: parseSca(text, file) };
}

/** The example query of the README: mean of a scalar per value of an iteration variable. */
const MEAN_PER_ITERVAR = `
  SELECT iv.itervarValue AS serviceMean, AVG(s.scalarValue) AS mean, COUNT(*) AS n
  FROM scalar s JOIN runItervar iv ON iv.runId = s.runId AND iv.itervarName = 'serviceMean'
  WHERE s.scalarName = 'queueLength:timeavg' AND s.moduleName = 'Net.queue[0]'
  GROUP BY iv.itervarValue ORDER BY CAST(iv.itervarValue AS REAL)`;

describe('ResultIndex', () => {
  it("creates OMNeT++'s SQLite result tables with OMNeT++'s column names, plus its own two", () => {
    const dir = freshDir();
    openIndex(dir);
    const columns = (table: string) =>
      query<{ name: string }>(dir, `PRAGMA table_info(${table})`).map((column) => column.name);
    expect(columns('run')).toEqual(['runId', 'runName', 'simtimeExp']);
    expect(columns('runItervar')).toEqual(['runId', 'itervarName', 'itervarValue']);
    expect(columns('runConfig')).toEqual(['runId', 'configKey', 'configValue', 'configOrder']);
    expect(columns('scalar')).toEqual(['scalarId', 'runId', 'moduleName', 'scalarName', 'scalarValue']);
    expect(columns('parameter')).toEqual(['paramId', 'runId', 'moduleName', 'paramName', 'paramValue']);
    expect(columns('histogramBin')).toEqual(['statId', 'lowerEdge', 'binValue']);
    expect(columns('statistic')).toContain('isHistogram');
    expect(columns('indexedFile')).toEqual(['fileId', 'path', 'size', 'mtimeMs', 'sha256', 'indexedAt']);
    const tables = query<{ name: string }>(
      dir,
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    ).map((t) => t.name);
    expect(tables).toEqual(
      [
        'run',
        'runAttr',
        'runItervar',
        'runConfig',
        'scalar',
        'scalarAttr',
        'parameter',
        'paramAttr',
        'statistic',
        'statisticAttr',
        'histogramBin',
        'vector',
        'vectorAttr',
        'vectorData',
        'indexedFile',
        'indexedFileRun',
      ].sort(),
    );
  });

  it('answers "mean of a scalar per iteration variable" with one query', () => {
    const dir = freshDir();
    const index = openIndex(dir);
    const written = index.replaceFiles([
      fileRuns('U-serviceMean=0.2-#0.sca', runText(0, '0.2', [1, 10])),
      fileRuns('U-serviceMean=0.2-#1.sca', runText(1, '0.2', [3, 10])),
      fileRuns('U-serviceMean=0.3-#0.sca', runText(2, '0.3', [5, 10])),
    ]);
    expect(written).toBe(3);
    expect(query(dir, MEAN_PER_ITERVAR)).toEqual([
      { serviceMean: '0.2', mean: 2, n: 2 },
      { serviceMean: '0.3', mean: 5, n: 1 },
    ]);
  });

  it('stores everything of a run the way SqliteOutputScalarManager would', () => {
    const dir = freshDir();
    openIndex(dir).replaceFiles([fileRuns('sub dir/U-0.sca', runText(0, '0.2', [1, 2]))]);
    expect(query(dir, 'SELECT runName, simtimeExp FROM run')).toEqual([
      { runName: 'U-0-20261124-10:00:01-100', simtimeExp: -12 },
    ]);
    expect(query(dir, "SELECT attrValue FROM runAttr WHERE attrName = 'iterationvars'")).toEqual([
      { attrValue: '$serviceMean=0.2' },
    ]);
    expect(
      query(dir, 'SELECT configKey, configValue, configOrder FROM runConfig ORDER BY configOrder'),
    ).toEqual([
      { configKey: 'repeat', configValue: '2', configOrder: 0 },
      { configKey: '**.serviceTime', configValue: 'exponential(${serviceMean}s)', configOrder: 1 },
    ]);
    expect(
      query(
        dir,
        'SELECT moduleName, paramName, paramValue, attrName, attrValue FROM parameter JOIN paramAttr USING (paramId)',
      ),
    ).toEqual([
      {
        moduleName: 'Net.queue[0]',
        paramName: 'serviceTime',
        paramValue: 'exponential(0.2s)',
        attrName: 'unit',
        attrValue: 's',
      },
    ]);
    expect(
      query(dir, "SELECT attrValue FROM scalarAttr JOIN scalar USING (scalarId) WHERE attrName = 'title'"),
    ).toEqual([{ attrValue: 'queue length, timeavg' }]);
    expect(
      query(
        dir,
        'SELECT statName, isHistogram, isWeighted, statCount, statMean, statSum, statSqrsum, statWeights FROM statistic ORDER BY statId',
      ),
    ).toEqual([
      {
        statName: 'waitingTime:stats',
        isHistogram: 0,
        isWeighted: 0,
        statCount: 3,
        statMean: 2,
        statSum: 6,
        statSqrsum: 14,
        statWeights: null,
      },
      {
        statName: 'lifeTime:histogram',
        isHistogram: 1,
        isWeighted: 0,
        statCount: 3,
        statMean: 0.5,
        statSum: 1.5,
        statSqrsum: 0.77,
        statWeights: null,
      },
    ]);
    expect(query(dir, 'SELECT lowerEdge, binValue FROM histogramBin ORDER BY lowerEdge')).toEqual([
      { lowerEdge: -Infinity, binValue: 0 },
      { lowerEdge: 0, binValue: 1 },
      { lowerEdge: 0.5, binValue: 2 },
      { lowerEdge: 1, binValue: 0 },
    ]);
    expect(query(dir, 'SELECT path, size, mtimeMs, sha256 FROM indexedFile')).toEqual([
      { path: 'sub dir/U-0.sca', size: runText(0, '0.2', [1, 2]).length, mtimeMs: 1000, sha256: null },
    ]);
  });

  it('holds every line of the OMNeT++ 6.1 capture, and its simtime resolution', () => {
    const dir = freshDir();
    const text = readFileSync(
      new URL('../../fixtures/omnetpp-6.1/example-run0.sca', import.meta.url),
      'utf8',
    );
    openIndex(dir).replaceFiles([
      fileRuns('example-run0.sca', text),
      fileRuns('us.sca', 'version 3\nrun R-us\nconfig simtime-resolution us\n'),
    ]);
    const counts = Object.fromEntries(
      [
        'runAttr',
        'runItervar',
        'runConfig',
        'parameter',
        'paramAttr',
        'scalar',
        'scalarAttr',
        'statistic',
        'statisticAttr',
        'histogramBin',
      ].map((table) => [table, count(dir, table)]),
    );
    // Counted in the file with awk: the attr lines under the run and under each kind of item; 72 + 30 bins.
    expect(counts).toEqual({
      runAttr: 16,
      runItervar: 2,
      runConfig: 23,
      parameter: 118,
      paramAttr: 65,
      scalar: 7,
      scalarAttr: 16,
      statistic: 2,
      statisticAttr: 5,
      histogramBin: 102,
    });
    expect(query(dir, 'SELECT runName, simtimeExp FROM run ORDER BY runId')).toEqual([
      { runName: 'AlohaCampaign-0-20261124-21:24:59-585', simtimeExp: -12 },
      { runName: 'R-us', simtimeExp: -6 },
    ]);
  });

  it('keeps quotes, spaces and backslashes of values exactly', () => {
    const dir = freshDir();
    const text =
      'version 3\nrun "Odd-0-a b"\nitervar 0 "uniform(0s, 1s)"\nattr resultdir "results/odd names"\n' +
      'par Net.source typename "\\"Source\\""\nscalar "Net.q[0]" "a \\"b\\"\\\\c" 1\n';
    openIndex(dir).replaceFiles([fileRuns('odd.sca', text)]);
    expect(query(dir, 'SELECT runName FROM run')).toEqual([{ runName: 'Odd-0-a b' }]);
    expect(query(dir, 'SELECT itervarName, itervarValue FROM runItervar')).toEqual([
      { itervarName: '0', itervarValue: 'uniform(0s, 1s)' },
    ]);
    expect(query(dir, 'SELECT paramValue FROM parameter')).toEqual([{ paramValue: '"Source"' }]);
    expect(query(dir, 'SELECT moduleName, scalarName FROM scalar')).toEqual([
      { moduleName: 'Net.q[0]', scalarName: 'a "b"\\c' },
    ]);
  });

  it('replaces the rows of a file indexed again (a rerun), everything recorded under its run included', () => {
    const dir = freshDir();
    const index = openIndex(dir);
    index.replaceFiles([
      fileRuns('U-0.sca', runText(0, '0.2', [1, 10])),
      fileRuns('U-1.sca', runText(1, '0.2', [3, 10])),
    ]);
    const before = Object.fromEntries(
      ['run', 'runAttr', 'runItervar', 'runConfig', 'scalar', 'scalarAttr', 'parameter', 'paramAttr'].map(
        (table) => [table, count(dir, table)],
      ),
    );
    const rowsBefore = {
      ...before,
      statistic: count(dir, 'statistic'),
      statisticAttr: count(dir, 'statisticAttr'),
      histogramBin: count(dir, 'histogramBin'),
    };

    // Run 0 executed again: a new run id, other values, same file.
    index.replaceFiles([fileRuns('U-0.sca', runText(0, '0.2', [7, 10], 2), 2000)]);

    expect(query(dir, 'SELECT runName FROM run ORDER BY runName')).toEqual([
      { runName: 'U-0-20261124-10:00:02-100' },
      { runName: 'U-1-20261124-10:00:01-101' },
    ]);
    for (const [table, n] of Object.entries(rowsBefore)) expect(count(dir, table), table).toBe(n);
    expect(query(dir, MEAN_PER_ITERVAR)).toEqual([{ serviceMean: '0.2', mean: 5, n: 2 }]);
    expect(index.indexedFiles().get('U-0.sca')).toEqual({
      size: runText(0, '0.2', [7, 10], 2).length,
      mtimeMs: 2000,
    });
  });

  it('links every run of a file with several to it, and forgets them together', () => {
    const dir = freshDir();
    const index = openIndex(dir);
    const both = runText(0, '0.2', [1, 1]) + runText(1, '0.3', [2, 2]).replace('version 3\n', '');
    index.replaceFiles([fileRuns('U.sca', both), fileRuns('other.sca', runText(2, '0.4', [3, 3]))]);
    expect(
      query(
        dir,
        'SELECT COUNT(*) AS n FROM indexedFileRun JOIN indexedFile USING (fileId) WHERE path = ?',
        'U.sca',
      ),
    ).toEqual([{ n: 2 }]);
    expect(index.removeFiles(['U.sca', 'never-indexed.sca'])).toBe(1);
    expect(query(dir, 'SELECT runName FROM run')).toEqual([{ runName: 'U-2-20261124-10:00:01-102' }]);
    expect(count(dir, 'scalar')).toBe(2);
    expect([...index.indexedFiles().keys()]).toEqual(['other.sca']);
  });

  it('keeps nothing of a call that fails, written at once or gradually', async () => {
    const dir = freshDir();
    const index = openIndex(dir);
    index.replaceFiles([fileRuns('a.sca', runText(0, '0.2', [1, 1]))]);
    const broken: FileRuns = {
      file: { path: 'b.sca', size: 1, mtimeMs: 1, sha256: null },
      runs: [{ ...parseSca(runText(1, '0.2', [1, 1]), 'b.sca')[0]!, runName: null as unknown as string }],
    };
    const good = (n: number) => fileRuns(`c${n}.sca`, runText(2 + n, '0.2', [1, 1]));
    expect(() => index.replaceFiles([good(0), broken])).toThrow(ResultIndexError);
    // Slices of 2: the failure comes in the third slice, after two turns of the event loop.
    await expect(
      index.replaceFilesGradually([good(0), good(1), good(2), good(3), broken], 2),
    ).rejects.toThrow(/^cannot write the results index .*NOT NULL constraint failed: run\.runName/);
    expect([...index.indexedFiles().keys()]).toEqual(['a.sca']);
    expect(count(dir, 'run')).toBe(1);
    // And the index is usable afterwards.
    expect(await index.replaceFilesGradually([good(0), good(1), good(2)], 2)).toBe(3);
    expect(count(dir, 'run')).toBe(4);
  });

  it('leaves one self-contained file after close, no -wal or -shm beside it', () => {
    const dir = freshDir();
    const index = ResultIndex.open(dir);
    index.replaceFiles([fileRuns('a.sca', runText(0, '0.2', [1, 1]))]);
    index.close();
    expect(readdirSync(dir)).toEqual([RESULT_INDEX_FILE]);
    expect(query(dir, 'PRAGMA journal_mode')).toEqual([{ journal_mode: 'delete' }]);
    expect(count(dir, 'run')).toBe(1);
  });

  it('opens an existing index and sees what was written before; two connections share it', () => {
    const dir = freshDir();
    const first = openIndex(dir);
    first.replaceFiles([fileRuns('a.sca', runText(0, '0.2', [1, 1]))]);
    const second = openIndex(dir);
    second.replaceFiles([fileRuns('b.sca', runText(1, '0.2', [1, 1]))]);
    expect([...first.indexedFiles().keys()].sort()).toEqual(['a.sca', 'b.sca']);
  });

  it('refuses a file that is not a database, and one of a newer schema, saying which file', () => {
    const garbage = freshDir();
    writeFileSync(path.join(garbage, RESULT_INDEX_FILE), 'not a database, just text '.repeat(100));
    expect(() => ResultIndex.open(garbage)).toThrow(ResultIndexError);
    expect(() => ResultIndex.open(garbage)).toThrow(path.join(garbage, RESULT_INDEX_FILE));

    const newer = freshDir();
    const db = new DatabaseSync(path.join(newer, RESULT_INDEX_FILE));
    db.exec('PRAGMA user_version = 99');
    db.close();
    expect(() => ResultIndex.open(newer)).toThrow(/newer inet-swarm \(schema 99/);
    expect(readFileSync(path.join(garbage, RESULT_INDEX_FILE), 'utf8')).toMatch(/^not a database/);
    expect(existsSync(path.join(newer, `${RESULT_INDEX_FILE}-wal`))).toBe(false);
  });
});
