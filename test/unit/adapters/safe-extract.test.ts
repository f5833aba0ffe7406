import {
  createReadStream,
  createWriteStream,
  existsSync,
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
import { create, Header, type HeaderData } from 'tar';
import { describe, expect, it } from 'vitest';
import { extractSafely } from '../../../lib/adapters/local/safe-extract.js';

const tmp = (label: string) => mkdtempSync(path.join(os.tmpdir(), `extract-${label}-`));
const limits = { maxBytes: 1 << 20, maxEntries: 1000 };

/** Packs `paths` relative to `cwd` as given, even absolute ones or ones with `..` (an attacker's archive). */
async function craft(cwd: string, paths: string[]): Promise<string> {
  const dir = tmp('archive');
  const plain = path.join(dir, 'evil.tar');
  // Gzipped by node's zlib: tar's own gzip stream once threw an uncaught Z_STREAM_ERROR here (CI,
  // tar 7.5.23), after packing the hard link that linkedArchive now writes without node-tar's packer.
  await create({ file: plain, cwd, preservePaths: true, noDirRecurse: true }, paths);
  const file = `${plain}.gz`;
  await pipeline(createReadStream(plain), createGzip(), createWriteStream(file));
  return file;
}

/**
 * A tar of the file `target` and a hard link `link` to it, written header by header: node-tar 7.5.23,
 * packing a hard link, sometimes ends its stream twice and throws outside the test ('write after end',
 * or Z_STREAM_ERROR when gzipping).
 */
function linkedArchive(target: string, link: string): string {
  const header = (fields: HeaderData) => {
    const block = Buffer.alloc(512);
    new Header({ mode: 0o644, mtime: new Date(0), ...fields }).encode(block);
    return block;
  };
  const content = Buffer.alloc(512);
  content.write('x');
  const file = path.join(tmp('archive'), 'linked.tar');
  writeFileSync(
    file,
    Buffer.concat([
      header({ path: target, type: 'File', size: 1 }),
      content,
      header({ path: link, type: 'Link', linkpath: target, size: 0 }),
      Buffer.alloc(1024), // end of archive
    ]),
  );
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

  it('rejects hard links, naming the entry and saying what it is', async () => {
    await expectRejected(
      linkedArchive('libmodel.so.1', 'libmodel.so'),
      /libmodel\.so: hard link to libmodel\.so\.1: hard links are not allowed in archives/,
    );
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
