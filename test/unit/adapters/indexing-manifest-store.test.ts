import { mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it, vi } from 'vitest';
import { IndexingManifestStore } from '../../../lib/adapters/local/indexing-manifest-store.js';
import type { ResultFileInfo, RunRecord } from '../../../lib/core/campaign.js';
import { RESULT_INDEX_FILE } from '../../../lib/results/result-index.js';
import { InThreadResultIndexer } from '../../../lib/results/result-indexer.js';
import { InMemoryManifestStore } from '../../fakes/in-memory-stores.js';
import { runRecord } from '../../support/run-record.js';

/** A working directory with `results/` beside it, as a campaign has. */
function project(): { workingDir: string; resultDir: string } {
  const workingDir = mkdtempSync(path.join(os.tmpdir(), 'indexing-manifest-'));
  const resultDir = path.join(workingDir, 'results');
  mkdirSync(resultDir);
  return { workingDir, resultDir };
}

function scaText(runNumber: number, value: number): string {
  return (
    `version 3\nrun C-${runNumber}-20261124-10:00:00-1\nattr runnumber ${runNumber}\nitervar x ${runNumber}\n\n` +
    `scalar Net.q queueLength:timeavg ${value}\n`
  );
}

/** Writes a run's result file and returns the record of it, as FileResultStore.collect would. */
function writeResult(workingDir: string, relative: string, text: string): ResultFileInfo {
  const file = path.join(workingDir, relative);
  writeFileSync(file, text);
  const info = statSync(file);
  return { path: relative, size: info.size, mtimeMs: info.mtimeMs, sha256: 'b'.repeat(64) };
}

function okRecord(workingDir: string, runNumber: number, value: number, overrides: Partial<RunRecord> = {}) {
  const sca = writeResult(workingDir, `results/C-x=${runNumber}-#0.sca`, scaText(runNumber, value));
  const out = writeResult(workingDir, `results/C-x=${runNumber}-#0.out`, 'output\n');
  return runRecord(runNumber, { files: [sca, out], ...overrides });
}

function indexed(resultDir: string): { runNumber: string; value: number; path: string; sha256: string }[] {
  const db = new DatabaseSync(path.join(resultDir, RESULT_INDEX_FILE), { readOnly: true });
  try {
    return db
      .prepare(
        `SELECT a.attrValue AS runNumber, s.scalarValue AS value, f.path, f.sha256
         FROM scalar s JOIN runAttr a ON a.runId = s.runId AND a.attrName = 'runnumber'
         JOIN indexedFileRun USING (runId) JOIN indexedFile f USING (fileId)
         ORDER BY CAST(a.attrValue AS INTEGER)`,
      )
      .all() as { runNumber: string; value: number; path: string; sha256: string }[];
  } finally {
    db.close();
  }
}

function store(
  dirs: { workingDir: string; resultDir: string },
  inner = new InMemoryManifestStore(),
  batching: { batchSize?: number; flushDelayMs?: number } = {},
) {
  const problems: string[] = [];
  const manifest = new IndexingManifestStore(inner, {
    ...dirs,
    ...batching,
    indexer: new InThreadResultIndexer(dirs.resultDir),
    onProblem: (m) => problems.push(m),
  });
  return { manifest, inner, problems };
}

describe('IndexingManifestStore', () => {
  it("appends to the manifest first, then indexes the record's .sca (not its other files) on flush", async () => {
    const dirs = project();
    const { manifest, inner, problems } = store(dirs);
    const record = okRecord(dirs.workingDir, 0, 1.5);
    await manifest.append(record);
    expect(inner.records).toEqual([record]);
    await manifest.flush();
    expect(indexed(dirs.resultDir)).toEqual([
      { runNumber: '0', value: 1.5, path: 'C-x=0-#0.sca', sha256: 'b'.repeat(64) },
    ]);
    await manifest.close();
    expect(problems).toEqual([]);
  });

  it('indexes whatever is still queued on close, and leaves only the index file beside the results', async () => {
    const dirs = project();
    const { manifest } = store(dirs);
    for (let run = 0; run < 5; run++) await manifest.append(okRecord(dirs.workingDir, run, run));
    await manifest.close();
    expect(readdirSync(dirs.resultDir).filter((name) => !/\.(sca|out)$/.test(name))).toEqual([
      RESULT_INDEX_FILE,
    ]);
    expect(indexed(dirs.resultDir).map((row) => row.value)).toEqual([0, 1, 2, 3, 4]);
  });

  it('indexes a full batch without waiting, and a partial one after the delay', async () => {
    const dirs = project();
    const full = store(dirs, new InMemoryManifestStore(), { batchSize: 2, flushDelayMs: 3_600_000 });
    await full.manifest.append(okRecord(dirs.workingDir, 0, 1));
    await full.manifest.append(okRecord(dirs.workingDir, 1, 1));
    // The index file appears with the first flush; states only visible on disk are polled.
    await vi.waitFor(() => expect(indexed(dirs.resultDir)).toHaveLength(2));
    await full.manifest.close();

    const later = project();
    const delayed = store(later, new InMemoryManifestStore(), { batchSize: 1000, flushDelayMs: 20 });
    await delayed.manifest.append(okRecord(later.workingDir, 0, 1));
    await vi.waitFor(() => expect(indexed(later.resultDir)).toHaveLength(1));
    await delayed.manifest.close();
  });

  it('replaces a run indexed before when it reruns, and drops it when the rerun fails', async () => {
    const dirs = project();
    const { manifest } = store(dirs);
    await manifest.append(okRecord(dirs.workingDir, 0, 1));
    await manifest.append(okRecord(dirs.workingDir, 1, 2));
    await manifest.flush();
    await manifest.append(okRecord(dirs.workingDir, 0, 9, { attempt: 2 }));
    await manifest.flush();
    expect(indexed(dirs.resultDir).map((row) => [row.runNumber, row.value])).toEqual([
      ['0', 9],
      ['1', 2],
    ]);
    // A failed rerun of run 1: its .sca is partial or gone; the .out names the run's files.
    const out = writeResult(dirs.workingDir, 'results/C-x=1-#0.out', '<!> Error: boom\n');
    await manifest.append(runRecord(1, { status: 'failed', attempt: 2, files: [out] }));
    await manifest.close();
    expect(indexed(dirs.resultDir).map((row) => row.runNumber)).toEqual(['0']);
  });

  it('reports a damaged .sca with its file and line, and indexes the others', async () => {
    const dirs = project();
    const { manifest, problems } = store(dirs);
    const bad = writeResult(
      dirs.workingDir,
      'results/C-x=1-#0.sca',
      'version 3\nrun C-1\nscalar Net a oops\n',
    );
    await manifest.append(okRecord(dirs.workingDir, 0, 1));
    await manifest.append(runRecord(1, { files: [bad] }));
    await manifest.append(okRecord(dirs.workingDir, 2, 3));
    await manifest.close();
    expect(indexed(dirs.resultDir).map((row) => row.runNumber)).toEqual(['0', '2']);
    expect(problems).toEqual(["results index: skipped results/C-x=1-#0.sca:3: invalid scalar value 'oops'"]);
  });

  it('never fails an append when the index cannot be written: one problem, then it stops trying', async () => {
    const dirs = project();
    // The index's place is taken by a directory: SQLite cannot open it.
    mkdirSync(path.join(dirs.resultDir, RESULT_INDEX_FILE));
    const { manifest, inner, problems } = store(dirs);
    await manifest.append(okRecord(dirs.workingDir, 0, 1));
    await manifest.flush();
    await manifest.append(okRecord(dirs.workingDir, 1, 1));
    await manifest.close();
    expect(inner.records).toHaveLength(2);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^results index not updated for the rest of this session: cannot /);
    expect(problems[0]).toContain('rebuild the index with `inet-swarm index`');
  });

  it('catches up on the first latestRecords(): ok runs the index lacks or holds at another size', async () => {
    const dirs = project();
    const inner = new InMemoryManifestStore();
    // A first session indexed runs 0 and 1, then was killed before indexing run 2.
    const first = store(dirs, inner);
    await first.manifest.append(okRecord(dirs.workingDir, 0, 1));
    await first.manifest.append(okRecord(dirs.workingDir, 1, 2));
    await first.manifest.close();
    inner.records.push(okRecord(dirs.workingDir, 2, 3));
    // Run 1 was rerun by hand since: the index holds an older copy.
    inner.records.push(okRecord(dirs.workingDir, 1, 5, { attempt: 2 }));
    inner.records.push(runRecord(3, { status: 'lost', files: [] }));

    const second = store(dirs, inner);
    await second.manifest.latestRecords();
    await second.manifest.close();
    expect(indexed(dirs.resultDir).map((row) => [row.runNumber, row.value])).toEqual([
      ['0', 1],
      ['1', 5],
      ['2', 3],
    ]);
    expect(second.problems).toEqual([]);
  });

  it('ignores result files outside the result directory', async () => {
    const dirs = project();
    const { manifest } = store(dirs);
    const outside = writeResult(dirs.workingDir, 'elsewhere.sca', scaText(0, 1));
    await manifest.append(runRecord(0, { files: [outside] }));
    await manifest.append(okRecord(dirs.workingDir, 1, 1));
    await manifest.close();
    expect(indexed(dirs.resultDir).map((row) => row.path)).toEqual(['C-x=1-#0.sca']);
  });
});
