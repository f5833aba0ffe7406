import {
  createReadStream,
  createWriteStream,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { create } from 'tar';
import { describe, expect, it } from 'vitest';
import { extractSafely } from '../../../lib/adapters/local/safe-extract.js';

const tmp = (label: string) => mkdtempSync(path.join(os.tmpdir(), `extract-${label}-`));
const limits = { maxBytes: 1 << 20, maxEntries: 1000 };

/** Packs `paths` relative to `cwd` as given, even absolute ones or ones with `..` (an attacker's archive). */
async function craft(cwd: string, paths: string[]): Promise<string> {
  const dir = tmp('archive');
  const plain = path.join(dir, 'evil.tar');
  // Packed plain, then gzipped by node's zlib: tar's own gzip stream once threw an uncaught
  // Z_STREAM_ERROR after packing a hard link here (CI, tar 7.5.23), outside any test's control.
  await create({ file: plain, cwd, preservePaths: true, noDirRecurse: true }, paths);
  const file = `${plain}.gz`;
  await pipeline(createReadStream(plain), createGzip(), createWriteStream(file));
  return file;
}

async function expectRejected(archive: string, pattern: RegExp): Promise<string> {
  const target = path.join(tmp('target'), 'tree');
  await expect(extractSafely(archive, target, limits)).rejects.toThrow(pattern);
  expect(existsSync(target) ? readdirSync(target) : []).toEqual([]);
  return target;
}

describe('extracting archives safely', () => {
  it('rejects an absolute path and writes nothing', async () => {
    const outside = tmp('outside');
    const victim = path.join(outside, 'victim.txt');
    writeFileSync(victim, 'overwritten');
    const archive = await craft('/', [victim]);
    writeFileSync(victim, 'original');
    await expectRejected(archive, /absolute path/);
    expect(readFileSync(victim, 'utf8')).toBe('original');
  });

  it("rejects a path with '..'", async () => {
    const base = tmp('dots');
    mkdirSync(path.join(base, 'inner'));
    writeFileSync(path.join(base, 'evil.txt'), 'x');
    const archive = await craft(path.join(base, 'inner'), ['../evil.txt']);
    const target = await expectRejected(archive, /path contains '\.\.'/);
    expect(existsSync(path.join(path.dirname(target), 'evil.txt'))).toBe(false);
  });

  it('rejects links to absolute paths or out of the tree', async () => {
    const base = tmp('links');
    symlinkSync('/etc', path.join(base, 'etc'));
    symlinkSync('../../x', path.join(base, 'up'));
    await expectRejected(await craft(base, ['etc']), /symbolic link to an absolute path/);
    await expectRejected(await craft(base, ['up']), /symbolic link leaves the tree/);
  });

  it('rejects hard links', async () => {
    const base = tmp('hard');
    writeFileSync(path.join(base, 'a'), 'x');
    linkSync(path.join(base, 'a'), path.join(base, 'b'));
    await expectRejected(await craft(base, ['a', 'b']), /only files, directories and symbolic links/);
  });

  it('catches links that only escape once resolved on disk (a -> ., b -> a/..)', async () => {
    const base = tmp('chain');
    symlinkSync('.', path.join(base, 'a'));
    symlinkSync('a/..', path.join(base, 'b'));
    await expectRejected(await craft(base, ['a', 'b']), /links resolve outside the target: b/);
  });

  it('refuses archives over the limits', async () => {
    const base = tmp('big');
    writeFileSync(path.join(base, 'big'), Buffer.alloc(2 << 20));
    await expectRejected(await craft(base, ['big']), /rejected: 1 entries, 2097152 bytes/);
  });

  it('never extracts into a directory that holds something', async () => {
    const base = tmp('ok');
    writeFileSync(path.join(base, 'a'), 'x');
    const target = tmp('full');
    writeFileSync(path.join(target, 'precious'), 'keep me');
    await expect(extractSafely(await craft(base, ['a']), target, limits)).rejects.toThrow(/is not empty/);
    expect(readdirSync(target)).toEqual(['precious']);
  });
});
