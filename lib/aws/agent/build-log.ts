/**
 * The build's output in the bucket (data/<id>/build.log), for `inet-swarm aws logs` and the API while
 * the build runs. S3 has no append: the object is rewritten whole every few seconds while new lines
 * come in, and only the last `maxBytes` are kept, so a chatty build costs neither memory nor time.
 */
import { randomUUID } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sha256File } from '../../adapters/local/sha256-file.js';
import type { ControlPlaneStore } from '../../ports/control-plane-store.js';
import type { AgentLog } from './agent-options.js';

/** About 2 MB of the end of the log. */
export const BUILD_LOG_MAX_BYTES = 2 * 2 ** 20;

export class BuildLog {
  private readonly lines: string[] = [];
  /** Index of the first kept line: dropping from the front by index, not shift(), is O(1). */
  private head = 0;
  private bytes = 0;
  private dirty = false;
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: ControlPlaneStore,
    private readonly key: string,
    private readonly scratchDir: string,
    private readonly flushMs: number,
    private readonly log: AgentLog,
    private readonly maxBytes = BUILD_LOG_MAX_BYTES,
  ) {}

  append(line: string): void {
    this.lines.push(line);
    this.bytes += Buffer.byteLength(line) + 1;
    while (this.bytes > this.maxBytes && this.head < this.lines.length - 1) {
      this.bytes -= Buffer.byteLength(this.lines[this.head] as string) + 1;
      this.head += 1;
    }
    // Compact now and then, so the dropped lines are freed.
    if (this.head > 10_000 && this.head * 2 > this.lines.length) {
      this.lines.splice(0, this.head);
      this.head = 0;
    }
    this.dirty = true;
  }

  /** The last `count` lines kept. */
  tail(count: number): string[] {
    return this.lines.slice(Math.max(this.head, this.lines.length - count));
  }

  /** The text as stored: every kept line, each ending with a newline. */
  text(): string {
    const kept = this.lines.slice(this.head);
    return kept.length === 0 ? '' : `${kept.join('\n')}\n`;
  }

  /** Rewrites the object every flush interval while there is something new. */
  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => {
      if (this.dirty) void this.flush();
    }, this.flushMs);
  }

  /** Stops the periodic rewrites and stores the log as it is now. */
  async close(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.dirty = true; // an empty log is stored too: the object then says the build printed nothing
    await this.flush();
  }

  /** Stores the current text; writes are serialised, so an older text never overwrites a newer one. */
  flush(): Promise<void> {
    this.writing = this.writing.then(async () => {
      if (!this.dirty) return;
      this.dirty = false;
      const file = path.join(this.scratchDir, `build-log-${randomUUID()}.txt`);
      try {
        await writeFile(file, this.text());
        await this.store.uploadFile(this.key, file, await sha256File(file));
      } catch (error) {
        this.dirty = true; // tried again at the next flush
        this.log.warn('cannot store the build log', { key: this.key, message: (error as Error).message });
      } finally {
        await rm(file, { force: true });
      }
    });
    return this.writing;
  }
}
