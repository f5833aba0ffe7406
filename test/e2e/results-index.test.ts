/**
 * The results index end to end on the demo's Uniform campaign: streamed by `inet-swarm run`, and
 * imported by `inet-swarm index` from results the demo wrote on its own (as under opp_runall). Either
 * way one SQL query gives the mean of a scalar per iteration variable, equal to what the .sca files say
 * (read here with regular expressions, not with inet-swarm's parser), and the result files are left
 * exactly as they were.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { demoProject, inetSwarm, manifestRecords } from './helpers.js';

const INDEX = 'inet-swarm-index.sqlite';

/** The README's example: mean of a scalar per value of an iteration variable, in one query. */
const MEAN_PER_SERVICE_MEAN = `
  SELECT iv.itervarValue AS serviceMean, AVG(s.scalarValue) AS mean, COUNT(*) AS runs
  FROM scalar s
  JOIN runItervar iv ON iv.runId = s.runId AND iv.itervarName = 'serviceMean'
  WHERE s.scalarName = 'queueLength:timeavg' AND s.moduleName = 'Net.queue[0]'
  GROUP BY iv.itervarValue
  ORDER BY CAST(iv.itervarValue AS REAL)`;

interface MeanRow {
  readonly serviceMean: string;
  readonly mean: number;
  readonly runs: number;
}

function query<T>(resultDir: string, sql: string): T[] {
  const db = new DatabaseSync(path.join(resultDir, INDEX), { readOnly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

/** The same answer computed from the .sca texts directly. */
function meansFromFiles(resultDir: string): MeanRow[] {
  const groups = new Map<string, number[]>();
  for (const name of readdirSync(resultDir).filter((n) => n.endsWith('.sca'))) {
    const text = readFileSync(path.join(resultDir, name), 'utf8');
    const serviceMean = /^itervar serviceMean (\S+)$/m.exec(text)?.[1];
    const value = /^scalar Net\.queue\[0\] queueLength:timeavg (\S+)$/m.exec(text)?.[1];
    if (serviceMean === undefined || value === undefined) throw new Error(`${name}: not a Uniform result`);
    groups.set(serviceMean, [...(groups.get(serviceMean) ?? []), Number(value)]);
  }
  return [...groups]
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([serviceMean, values]) => ({
      serviceMean,
      mean: values.reduce((sum, v) => sum + v, 0) / values.length,
      runs: values.length,
    }));
}

function expectMeans(actual: readonly MeanRow[], expected: readonly MeanRow[]): void {
  expect(actual.map((row) => [row.serviceMean, row.runs])).toEqual(
    expected.map((row) => [row.serviceMean, row.runs]),
  );
  for (const [i, row] of expected.entries())
    expect(actual[i]?.mean, row.serviceMean).toBeCloseTo(row.mean, 12);
}

/** Every file of the result directory but the index, with a hash of its bytes. */
function resultFileHashes(resultDir: string): Map<string, string> {
  return new Map(
    readdirSync(resultDir)
      .filter((name) => name !== INDEX)
      .sort()
      .map((name) => [
        name,
        createHash('sha256')
          .update(readFileSync(path.join(resultDir, name)))
          .digest('hex'),
      ]),
  );
}

describe('the results index', () => {
  it('is filled as the runs of a campaign finish: one query answers the mean of a scalar per iteration variable', async () => {
    const project = demoProject('index-run');
    const resultDir = path.join(project, 'results');
    const result = await inetSwarm(['run', '-j', '2', './demo', '-c', 'Uniform'], project);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('64 runs: 64 ok');

    // The result files are what the runs wrote (their manifest checksums), and the index is the only
    // other file: SQLite's -wal and -shm are gone with the closed connection.
    const records = manifestRecords(project);
    const recorded = new Map(records.flatMap((r) => r.files.map((f) => [path.basename(f.path), f.sha256])));
    expect(resultFileHashes(resultDir)).toEqual(recorded);
    expect(readdirSync(resultDir).filter((name) => !recorded.has(name))).toEqual([INDEX]);

    const means = query<MeanRow>(resultDir, MEAN_PER_SERVICE_MEAN);
    expect(means).toHaveLength(8);
    expectMeans(means, meansFromFiles(resultDir));
    // Every file is known with the checksum of its run record.
    const indexed = query<{ path: string; sha256: string }>(
      resultDir,
      'SELECT path, sha256 FROM indexedFile',
    );
    expect(indexed).toHaveLength(64);
    for (const file of indexed) expect(file.sha256, file.path).toBe(recorded.get(file.path));

    // Runs run again replace their rows rather than adding a second copy.
    const before = query<{ runName: string }>(
      resultDir,
      "SELECT runName FROM run WHERE runName LIKE 'Uniform-1-%'",
    );
    const again = await inetSwarm(
      ['run', '-j', '2', '--force', './demo', '-c', 'Uniform', '-r', '0..3'],
      project,
    );
    expect(again.code).toBe(0);
    expect(query(resultDir, 'SELECT COUNT(*) AS n FROM run')).toEqual([{ n: 64 }]);
    expect(query(resultDir, "SELECT runName FROM run WHERE runName LIKE 'Uniform-1-%'")).not.toEqual(before);
    expectMeans(query<MeanRow>(resultDir, MEAN_PER_SERVICE_MEAN), meansFromFiles(resultDir));
  });

  it('is built by `inet-swarm index` from results the simulation wrote on its own, as under opp_runall', async () => {
    const project = demoProject('index-import');
    const resultDir = path.join(project, 'results');
    // What opp_runall -j2 executes, in two halves at once.
    const run = (runs: string) =>
      promisify(execFile)(
        './demo',
        ['-s', '-u', 'Cmdenv', '-c', 'Uniform', '-r', runs, '--cmdenv-redirect-output=true'],
        { cwd: project },
      );
    await Promise.all([run('0..31'), run('32..63')]);
    const files = resultFileHashes(resultDir);
    expect([...files.keys()].filter((name) => name.endsWith('.sca'))).toHaveLength(64);

    const imported = await inetSwarm(['index'], project);
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
    expect(imported.stdout).toBe(
      'indexed 64 runs from 64 files (0 unchanged, 0 removed) into results/inet-swarm-index.sqlite\n',
    );
    expect(resultFileHashes(resultDir)).toEqual(files);
    expect(readdirSync(resultDir).filter((name) => !files.has(name))).toEqual([INDEX]);
    expectMeans(query<MeanRow>(resultDir, MEAN_PER_SERVICE_MEAN), meansFromFiles(resultDir));

    const again = await inetSwarm(['index', '-C', project], path.dirname(project));
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(
      `indexed 0 runs from 0 files (64 unchanged, 0 removed) into ${path.basename(project)}/results/${INDEX}\n`,
    );

    // A run's files deleted, another's .sca damaged: the index follows, and names the damage.
    rmSync(path.join(resultDir, 'Uniform-serviceMean=0.9-#7.sca'));
    writeFileSync(
      path.join(resultDir, 'Uniform-serviceMean=0.9-#6.sca'),
      'version 3\nrun X\nscalar Net.queue[0] x\n',
    );
    const damaged = await inetSwarm(['index'], project);
    expect(damaged.code).toBe(2);
    expect(damaged.stdout).toBe(
      'indexed 0 runs from 0 files (62 unchanged, 1 removed) into results/inet-swarm-index.sqlite\n',
    );
    expect(damaged.stderr).toBe(
      'inet-swarm: could not index 1 result file(s) (the others are indexed):\n' +
        "  results/Uniform-serviceMean=0.9-#6.sca:3: incorrect 'scalar' line -- scalar <module> <name> <value> expected\n",
    );
    expect(query(resultDir, 'SELECT COUNT(*) AS n FROM run')).toEqual([{ n: 62 }]);
    expect(query<MeanRow>(resultDir, MEAN_PER_SERVICE_MEAN).at(-1)).toMatchObject({
      serviceMean: '0.9',
      runs: 6,
    });
  });

  it('refuses a result directory that does not exist, with exit 2', async () => {
    const project = demoProject('index-missing');
    const result = await inetSwarm(['index', 'no-such-dir'], project);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('inet-swarm: result directory no-such-dir does not exist\n');
    expect(readdirSync(project).sort()).toEqual(['demo', 'omnetpp.ini']);
  });
});
