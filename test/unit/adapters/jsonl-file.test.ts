import { appendFile, mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { JsonlFile } from '../../../lib/adapters/local/jsonl-file.js';

const asNumberRecord = (value: unknown) =>
  typeof value === 'object' && value !== null && typeof (value as { n?: unknown }).n === 'number'
    ? (value as { n: number })
    : null;

describe('JsonlFile', () => {
  it('reads back what it appended, in order', async () => {
    const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'jsonl-')), 'sub', 'm.jsonl');
    const jsonl = new JsonlFile(file, asNumberRecord);
    await Promise.all([jsonl.append([{ n: 1 }]), jsonl.append([{ n: 2 }, { n: 3 }])]);
    await jsonl.close();
    expect(await new JsonlFile(file, asNumberRecord).readAll()).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  it('accepts an append made as soon as the previous one resolved', async () => {
    const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'jsonl-')), 'm.jsonl');
    const jsonl = new JsonlFile(file, asNumberRecord);
    for (let n = 0; n < 5; n++) await jsonl.append([{ n }]);
    await jsonl.close();
    expect(await jsonl.readAll()).toEqual([0, 1, 2, 3, 4].map((n) => ({ n })));
  });

  it('drops a line torn by a crash and seals it before appending again', async () => {
    const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'jsonl-')), 'm.jsonl');
    await appendFile(file, '{"n":1}\n{"n":2,"tor');
    const jsonl = new JsonlFile(file, asNumberRecord);
    expect(await jsonl.readAll()).toEqual([{ n: 1 }]);
    await jsonl.append([{ n: 3 }]);
    await jsonl.close();
    expect(await readFile(file, 'utf8')).toBe('{"n":1}\n{"n":2,"tor\n{"n":3}\n');
    expect(await jsonl.readAll()).toEqual([{ n: 1 }, { n: 3 }]);
  });

  it('skips records that do not have the expected shape', async () => {
    const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'jsonl-')), 'm.jsonl');
    await appendFile(file, '{"n":1}\n{"x":2}\n');
    expect(await new JsonlFile(file, asNumberRecord).readAll()).toEqual([{ n: 1 }]);
  });
});
