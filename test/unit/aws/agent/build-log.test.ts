/** The build log in the bucket: bounded to its end, rewritten whole, never older over newer. */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BuildLog } from '../../../../lib/aws/agent/build-log.js';
import { InMemoryControlPlaneStore } from '../../../fakes/in-memory-control-plane-store.js';
import { sha256 } from './agent-fakes.js';
import { RecordingLog } from '../../../fakes/recording-log.js';

const scratch = () => mkdtempSync(path.join(os.tmpdir(), 'build-log-'));

describe('the build log', () => {
  it('keeps only the end of a long log, within its byte limit', async () => {
    const store = new InMemoryControlPlaneStore();
    const log = new BuildLog(store, 'data/c/build.log', scratch(), 1000, new RecordingLog(), 100);
    for (let i = 0; i < 1000; i++) log.append(`line ${String(i).padStart(4, '0')}`); // 10 bytes each
    await log.close();
    const text = store.text('data/c/build.log') ?? '';
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(100);
    expect(text).toBe(
      Array.from({ length: 10 }, (_, i) => `line ${String(990 + i).padStart(4, '0')}\n`).join(''),
    );
    expect(log.tail(2)).toEqual(['line 0998', 'line 0999']);
    // Stored like any file: its checksum recorded and verified on download.
    const copy = path.join(scratch(), 'copy');
    expect(await store.downloadFile('data/c/build.log', copy)).toEqual({
      sha256: sha256(text),
      size: Buffer.byteLength(text),
    });
  });

  it('rewrites the object while lines come in', async () => {
    const store = new InMemoryControlPlaneStore();
    const log = new BuildLog(store, 'data/c/build.log', scratch(), 5, new RecordingLog());
    log.start();
    log.append('compiling a.cc');
    await expect.poll(() => store.text('data/c/build.log')).toBe('compiling a.cc\n');
    log.append('compiling b.cc');
    await expect.poll(() => store.text('data/c/build.log')).toBe('compiling a.cc\ncompiling b.cc\n');
    await log.close();
  });

  it('stores an empty log for a build that printed nothing, and survives a failed write', async () => {
    const store = new InMemoryControlPlaneStore();
    const upload = store.uploadFile.bind(store);
    let fail = true;
    store.uploadFile = async (key, file, checksum) => {
      if (fail) {
        fail = false;
        throw new Error('S3 is having a moment');
      }
      await upload(key, file, checksum);
    };
    const notes = new RecordingLog();
    const log = new BuildLog(store, 'data/c/build.log', scratch(), 1000, notes);
    log.append('only line');
    await log.flush();
    expect(store.text('data/c/build.log')).toBeUndefined();
    expect(notes.count('cannot store the build log')).toBe(1);
    await log.close();
    expect(store.text('data/c/build.log')).toBe('only line\n');

    const empty = new BuildLog(store, 'data/d/build.log', scratch(), 1000, notes);
    await empty.close();
    expect(store.text('data/d/build.log')).toBe('');
  });
});
