import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { list } from 'tar';
import { describe, expect, it } from 'vitest';
import { extractSafely } from '../../../lib/adapters/local/safe-extract.js';
import { packSnapshot, scanSource } from '../../../lib/adapters/local/source-snapshot.js';

const tmp = (label: string) => mkdtempSync(path.join(os.tmpdir(), `snapshot-${label}-`));
const limits = { maxBytes: 1 << 30, maxEntries: 100_000 };

function gitProject(): string {
  const dir = tmp('git');
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
  git('init', '-q');
  mkdirSync(path.join(dir, 'src'));
  mkdirSync(path.join(dir, 'sims'));
  writeFileSync(path.join(dir, 'src', 'model.cc'), 'int main() {}\n');
  writeFileSync(path.join(dir, 'sims', 'omnetpp.ini'), '[General]\n');
  writeFileSync(path.join(dir, '.gitignore'), 'build/\n');
  writeFileSync(path.join(dir, 'run'), '#!/bin/sh\n');
  chmodSync(path.join(dir, 'run'), 0o755);
  git('add', '.');
  git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'init');
  return dir;
}

interface StoredEntry {
  readonly path: string;
  readonly type: string;
  readonly size: number;
  readonly sha256: string;
}

/** Every entry of `archive` as stored: type, header size and the sha256 of its content. */
async function storedEntries(archive: string): Promise<StoredEntry[]> {
  const entries: StoredEntry[] = [];
  await list({
    file: archive,
    onReadEntry: (entry) => {
      const hash = createHash('sha256');
      entry.on('data', (chunk: Buffer) => hash.update(chunk));
      entry.on('end', () =>
        entries.push({ path: entry.path, type: entry.type, size: entry.size, sha256: hash.digest('hex') }),
      );
    },
  });
  return entries;
}

describe('source snapshots', () => {
  it('takes tracked files as they are now, new untracked files, and nothing ignored or excluded', async () => {
    const dir = gitProject();
    writeFileSync(path.join(dir, 'src', 'model.cc'), 'int main() { return 1; }\n'); // uncommitted change
    writeFileSync(path.join(dir, 'src', 'new.cc'), '// not yet added\n');
    mkdirSync(path.join(dir, 'build'));
    writeFileSync(path.join(dir, 'build', 'model.o'), 'binary');
    mkdirSync(path.join(dir, 'sims', 'results'));
    writeFileSync(path.join(dir, 'sims', 'results', 'x.sca'), 'results are not source');

    const snapshot = await scanSource({
      projectDir: path.join(dir, 'sims'),
      exclude: [path.join(dir, 'sims', 'results')],
      maxBytes: 1 << 20,
    });
    expect(snapshot.fromGit).toBe(true);
    expect(snapshot.workingDir).toBe('sims');
    expect(snapshot.entries.map((e) => e.path).sort()).toEqual([
      '.gitignore',
      'run',
      'sims/omnetpp.ini',
      'src/model.cc',
      'src/new.cc',
    ]);
    expect(snapshot.entries.find((e) => e.path === 'run')?.executable).toBe(true);

    const target = path.join(tmp('out'), 'tree');
    const archive = path.join(tmp('archive'), 'source.tar.gz');
    await packSnapshot(snapshot, archive);
    await extractSafely(archive, target, limits);
    expect(readFileSync(path.join(target, 'src', 'model.cc'), 'utf8')).toBe('int main() { return 1; }\n');
    expect(existsSync(path.join(target, 'build'))).toBe(false);
  });

  it('is named by content: timestamps do not change the hash, an edit does', async () => {
    const dir = gitProject();
    const first = await scanSource({ projectDir: dir, exclude: [], maxBytes: 1 << 20 });
    utimesSync(path.join(dir, 'src', 'model.cc'), new Date(2000, 1, 1), new Date(2000, 1, 1));
    expect((await scanSource({ projectDir: dir, exclude: [], maxBytes: 1 << 20 })).hash).toBe(first.hash);
    writeFileSync(path.join(dir, 'src', 'model.cc'), 'changed\n');
    expect((await scanSource({ projectDir: dir, exclude: [], maxBytes: 1 << 20 })).hash).not.toBe(first.hash);
  });

  it('snapshots a plain directory without git', async () => {
    const dir = tmp('plain');
    writeFileSync(path.join(dir, 'omnetpp.ini'), '[General]\n');
    symlinkSync('omnetpp.ini', path.join(dir, 'link.ini'));
    const snapshot = await scanSource({ projectDir: dir, exclude: [], maxBytes: 1 << 20 });
    expect(snapshot.fromGit).toBe(false);
    expect(snapshot.entries.map((e) => [e.path, e.kind]).sort()).toEqual([
      ['link.ini', 'symlink'],
      ['omnetpp.ini', 'file'],
    ]);
  });

  it('refuses a source over the size limit, naming the largest files', async () => {
    const dir = tmp('big');
    writeFileSync(path.join(dir, 'huge.dat'), Buffer.alloc(2 << 20));
    await expect(scanSource({ projectDir: dir, exclude: [], maxBytes: 1 << 20 })).rejects.toThrow(
      /over the limit of 1\.0 MiB[\s\S]*huge\.dat \(2\.0 MiB\)/,
    );
  });

  it('refuses a link to outside the project, which the swarm could not see', async () => {
    const dir = tmp('link');
    symlinkSync('/opt/inet', path.join(dir, 'inet'));
    await expect(scanSource({ projectDir: dir, exclude: [], maxBytes: 1 << 20 })).rejects.toThrow(
      /inet: symbolic link to an absolute path/,
    );
  });

  it('stores hard-linked files whole, as scanned, in an archive that extracts and packs the same twice', async () => {
    const dir = gitProject();
    mkdirSync(path.join(dir, 'lib'));
    writeFileSync(path.join(dir, 'lib', 'libmodel.so.1'), 'the library\n');
    linkSync(path.join(dir, 'lib', 'libmodel.so.1'), path.join(dir, 'lib', 'libmodel.so')); // as cp -l leaves them
    const snapshot = await scanSource({ projectDir: dir, exclude: [], maxBytes: 1 << 20 });
    const archive = path.join(tmp('archive'), 'source.tar.gz');
    const again = path.join(tmp('again'), 'source.tar.gz');

    await packSnapshot(snapshot, archive);
    await packSnapshot(snapshot, again);

    const stored = await storedEntries(archive);
    expect(stored.filter((e) => e.type !== 'File')).toEqual([]);
    const scanned = [...snapshot.entries].sort((a, b) => (a.path < b.path ? -1 : 1));
    expect(stored).toEqual(
      scanned.map((e) => ({ path: e.path, type: 'File', size: e.size, sha256: e.sha256 })),
    );
    expect(readFileSync(again)).toEqual(readFileSync(archive));
    const target = path.join(tmp('out'), 'tree');
    await extractSafely(archive, target, limits);
    for (const name of ['libmodel.so', 'libmodel.so.1']) {
      expect(readFileSync(path.join(target, 'lib', name), 'utf8')).toBe('the library\n');
    }
  });
});
