import { describe, expect, it } from 'vitest';
import { treeHash, unsafeEntryReason, type SourceEntry } from '../../../lib/core/source-tree.js';

const file = (p: string, sha = 'a'.repeat(64), executable = false): SourceEntry => ({
  path: p,
  kind: 'file',
  executable,
  size: 1,
  sha256: sha,
});

describe('tree hash', () => {
  it('does not depend on the order of entries', () => {
    expect(treeHash([file('a'), file('b')])).toBe(treeHash([file('b'), file('a')]));
  });

  it('changes with content, name or executable bit', () => {
    const base = treeHash([file('a')]);
    expect(treeHash([file('a', 'b'.repeat(64))])).not.toBe(base);
    expect(treeHash([file('c')])).not.toBe(base);
    expect(treeHash([file('a', 'a'.repeat(64), true)])).not.toBe(base);
  });
});

describe('archive entry safety', () => {
  it.each([
    ['src/a.cc', 'file', undefined],
    ['src', 'directory', undefined],
    ['lib/inet', 'symlink', '../inet/src'],
    ['a..b/c', 'file', undefined],
  ] as const)('accepts %s', (p, kind, target) => {
    expect(unsafeEntryReason(p, kind, target)).toBeNull();
  });

  it.each([
    ['/etc/passwd', 'file', undefined, 'absolute path'],
    ['C:/x', 'file', undefined, 'absolute path'],
    ['../outside', 'file', undefined, "path contains '..'"],
    ['a/../../outside', 'file', undefined, "path contains '..'"],
    ['dev', 'other', undefined, 'only files, directories and symbolic links'],
    ['etc', 'symlink', '/etc', 'symbolic link to an absolute path'],
    ['a/up', 'symlink', '../../x', 'symbolic link leaves the tree'],
  ] as const)('rejects %s', (p, kind, target, reason) => {
    expect(unsafeEntryReason(p, kind, target)).toContain(reason);
  });
});
