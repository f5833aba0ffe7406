/**
 * An append-only file of JSON lines, the crash-safe format of manifests and history: every append is
 * one write of a whole line followed by fdatasync, and a line torn by a crash (the only damage a
 * SIGKILL can do) is skipped on load and sealed off by a newline before the next append.
 */
import { mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

export class JsonlFile<T> {
  private handle: FileHandle | null = null;
  private tail: Promise<void> = Promise.resolve();

  constructor(
    readonly file: string,
    private readonly parse: (value: unknown) => T | null,
    /** fdatasync after each append; off for data that is only a hint (run-time history). */
    private readonly durable = true,
  ) {}

  /** Every intact record in write order. */
  async readAll(): Promise<T[]> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const records: T[] = [];
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        continue; // torn by a crash mid-write
      }
      const record = this.parse(value);
      if (record !== null) records.push(record);
    }
    return records;
  }

  /** Appends records durably; appends are serialised so lines never interleave. */
  append(records: readonly T[]): Promise<void> {
    if (records.length === 0) return this.tail;
    const text = records.map((r) => `${JSON.stringify(r)}\n`).join('');
    const next = this.tail.then(async () => {
      const handle = await this.ensureOpen();
      await handle.write(text);
      if (this.durable) await handle.datasync();
    });
    // Keep the chain alive after a failure; the caller still sees this append's error.
    this.tail = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    await this.tail;
    await this.handle?.close();
    this.handle = null;
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
