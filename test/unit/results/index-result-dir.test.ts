import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { CampaignInputError } from '../../../lib/core/errors.js';
import { indexResultDir } from '../../../lib/results/index-result-dir.js';
import { RESULT_INDEX_FILE } from '../../../lib/results/result-index.js';

const sca = (run: string, value: number) =>
  `version 3\nrun ${run}\nattr configname C\n\nscalar Net.q x ${value}\n`;

function resultDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'index-dir-'));
  mkdirSync(path.join(dir, 'odd names'));
  writeFileSync(path.join(dir, 'C-#0.sca'), sca('C-0', 1));
  writeFileSync(path.join(dir, 'C-#0.vec'), 'version 3\nrun C-0\n');
  writeFileSync(path.join(dir, 'odd names', 'C-#1.sca'), sca('C-1', 2));
  return dir;
}

function values(dir: string): Record<string, number> {
  const db = new DatabaseSync(path.join(dir, RESULT_INDEX_FILE), { readOnly: true });
  try {
    const rows = db
      .prepare(
        'SELECT f.path, s.scalarValue FROM scalar s JOIN indexedFileRun USING (runId) JOIN indexedFile f USING (fileId)',
      )
      .all() as { path: string; scalarValue: number }[];
    return Object.fromEntries(rows.map((row) => [row.path, row.scalarValue]));
  } finally {
    db.close();
  }
}

describe('indexResultDir', () => {
  it('indexes every .sca below the directory, then only what changed, and forgets what is gone', async () => {
    const dir = resultDir();
    expect(await indexResultDir(dir, 'results')).toMatchObject({
      indexFile: path.join(dir, RESULT_INDEX_FILE),
      files: 2,
      runs: 2,
      unchanged: 0,
      removed: 0,
      problems: [],
    });
    expect(values(dir)).toEqual({ 'C-#0.sca': 1, 'odd names/C-#1.sca': 2 });
    expect(readdirSync(dir).sort()).toEqual(['C-#0.sca', 'C-#0.vec', RESULT_INDEX_FILE, 'odd names']);

    expect(await indexResultDir(dir, 'results')).toMatchObject({
      files: 0,
      runs: 0,
      unchanged: 2,
      removed: 0,
    });

    writeFileSync(path.join(dir, 'C-#0.sca'), sca('C-0', 7));
    utimesSync(path.join(dir, 'C-#0.sca'), new Date(), new Date(Date.now() + 5000)); // surely a new mtime
    rmSync(path.join(dir, 'odd names', 'C-#1.sca'));
    expect(await indexResultDir(dir, 'results')).toMatchObject({
      files: 1,
      runs: 1,
      unchanged: 0,
      removed: 1,
    });
    expect(values(dir)).toEqual({ 'C-#0.sca': 7 });
  });

  it('indexes the readable files and lists the others with file and line; their old rows go', async () => {
    const dir = resultDir();
    await indexResultDir(dir, 'results');
    writeFileSync(path.join(dir, 'odd names', 'C-#1.sca'), 'version 3\nrun C-1\nscalar Net.q x\n');
    writeFileSync(path.join(dir, 'C-#2.sca'), sca('C-2', 3));
    const summary = await indexResultDir(dir, 'results');
    expect(summary.problems).toEqual([
      "results/odd names/C-#1.sca:3: incorrect 'scalar' line -- scalar <module> <name> <value> expected",
    ]);
    expect(summary).toMatchObject({ files: 1, runs: 1, unchanged: 1 });
    expect(values(dir)).toEqual({ 'C-#0.sca': 1, 'C-#2.sca': 3 });
  });

  it('refuses a directory that does not exist, or is not a directory, as bad input', async () => {
    const dir = resultDir();
    await expect(indexResultDir(path.join(dir, 'nope'), 'nope')).rejects.toThrow(
      new CampaignInputError('result directory nope does not exist'),
    );
    await expect(indexResultDir(path.join(dir, 'C-#0.sca'), 'C-#0.sca')).rejects.toThrow(
      new CampaignInputError('C-#0.sca is not a directory'),
    );
  });
});
