/**
 * An append-only file of JSON lines, the crash-safe format of manifests and history: an append
 * resolves only once its line is written and fdatasync'ed, and a line torn by a crash (the only damage
 * a SIGKILL can do) is skipped on load and sealed off by a newline before the next append.
 *
 * Appends that arrive while a write is in flight are committed together in the next write (group
 * commit): on a disk busy creating result files one fdatasync can take many milliseconds, and one per
 * record would let a campaign of short runs outpace its own manifest.
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import path from 'node:path';

export class JsonlFile<T> {
  private handle: FileHandle | null = null;
  private pending: { text: string; resolve: () => void; reject: (error: unknown) => void }[] = [];
  private flushing: Promise<void> | null = null;

  constructor(
    readonly file: string,
    private readonly parse: (value: unknown) => T | null,
    /** fdatasync after each append; off for data that is only a hint (run-time history). */
    private readonly durable = true,
  ) {}

  /** Every intact record in write order. */
  async readAll(): Promise<T[]> {
    const records: T[] = [];
    await this.read((record) => records.push(record));
    return records;
  }

  /** Streams every intact record in write order, so that large files are never held as one string. */
  async read(onRecord: (record: T) => void): Promise<void> {
    let lines: AsyncIterable<string>;
    try {
      const handle = await open(this.file, 'r');
      lines = createInterface({ input: handle.createReadStream({ encoding: 'utf8' }), crlfDelay: Infinity });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for await (const line of lines) {
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        continue; // torn by a crash mid-write
      }
      const record = this.parse(value);
      if (record !== null) onRecord(record);
    }
  }

  /** Appends records; resolves once they are on disk. Lines never interleave. */
  append(records: readonly T[]): Promise<void> {
    if (records.length === 0) return this.flushing ?? Promise.resolve();
    const text = records.map((r) => `${JSON.stringify(r)}\n`).join('');
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ text, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  async close(): Promise<void> {
    await this.flushing;
    await this.handle?.close();
    this.handle = null;
  }

  private async flush(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0);
        try {
          const handle = await this.ensureOpen();
          await handle.write(batch.map((entry) => entry.text).join(''));
          if (this.durable) await handle.datasync();
          for (const entry of batch) entry.resolve();
        } catch (error) {
          for (const entry of batch) entry.reject(error);
        }
      }
    } finally {
      // Cleared in the same tick as the last emptiness check: an append made by a caller resumed
      // by the resolutions above must start a new flush, not join this finished one.
      this.flushing = null;
    }
  }

  private async ensureOpen(): Promise<FileHandle> {
    if (this.handle !== null) return this.handle;
    await mkdir(path.dirname(this.file), { recursive: true });
    const handle = await open(this.file, 'a+');
    const { size } = await handle.stat();
    if (size > 0) {
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) await handle.write('\n'); // seal a torn last line
    }
    this.handle = handle;
    return handle;
  }
}
