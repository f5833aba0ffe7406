import { linkSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { list } from 'tar';
import { describe, expect, it } from 'vitest';
import { packTree } from '../../../lib/adapters/local/pack-tree.js';
import { extractSafely } from '../../../lib/adapters/local/safe-extract.js';

const tmp = (label: string) => mkdtempSync(path.join(os.tmpdir(), `pack-tree-${label}-`));
const limits = { maxBytes: 1 << 20, maxEntries: 1000 };

/** Each entry of `archive` as `type path: content`. */
async function storedEntries(archive: string): Promise<string[]> {
  const entries: string[] = [];
  await list({
    file: archive,
    onReadEntry: (entry) => {
      const chunks: Buffer[] = [];
      entry.on('data', (chunk: Buffer) => chunks.push(chunk));
      entry.on('end', () => entries.push(`${entry.type} ${entry.path}: ${Buffer.concat(chunks).toString()}`));
    },
  });
  return entries;
}

describe('packing a tree', () => {
  // The shape of node-tar#458/#460: hard links spread over later directories, where node-tar's async
  // packer parks them waiting for their first name and then never finishes (the promise never settles).
  it(
    'stores every name of a hard-linked file whole and finishes, however the links are spread',
    { timeout: 20_000 },
    async () => {
      const root = tmp('tree');
      const paths: string[] = [];
      for (let i = 0; i < 20; i++) {
        const dir = `dir${String(i).padStart(2, '0')}`;
        mkdirSync(path.join(root, dir));
        writeFileSync(path.join(root, dir, 'own.txt'), `own ${i}`);
        paths.push(dir, `${dir}/own.txt`);
        if (i === 0) {
          writeFileSync(path.join(root, dir, 'shared.txt'), 'shared');
        } else if (i < 15) {
          linkSync(path.join(root, 'dir00', 'shared.txt'), path.join(root, dir, 'shared.txt'));
        }
        if (i < 15) paths.push(`${dir}/shared.txt`);
      }
      const archive = path.join(tmp('archive'), 'tree.tar.gz');
      const again = path.join(tmp('again'), 'tree.tar.gz');

      await packTree(root, paths, archive);
      await packTree(root, paths, again);

      const stored = await storedEntries(archive);
      expect(stored).toHaveLength(paths.length);
      expect(stored.filter((e) => !/^(File|Directory) /.test(e))).toEqual([]);
      expect(stored.filter((e) => e.endsWith('/shared.txt: shared'))).toHaveLength(15);
      expect(readFileSync(again)).toEqual(readFileSync(archive));
      const target = path.join(tmp('out'), 'tree');
      await extractSafely(archive, target, limits);
      expect(readFileSync(path.join(target, 'dir14', 'shared.txt'), 'utf8')).toBe('shared');
    },
  );
});
