/**
 * Runs simulation processes on this machine. Each process gets its own process group, so that stopping
 * it also stops whatever it started (INET's `inet` is a shell script around `opp_run`). Arguments are
 * an argv array, never a shell string: names with `#`, `(`, spaces or quotes pass through unharmed.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import type { Execution, ExecutionRequest, RunExecutor } from '../../ports/run-executor.js';

/** How long a process may take to end after SIGTERM before it gets SIGKILL. */
const TERMINATION_GRACE_MS = 5_000;
/** Captured output is bounded; the start (batch announcements) and the end (errors) are kept. */
const OUTPUT_LIMIT = 1 << 20;
/** First peak-memory sample after this long; short runs are not worth a /proc read. */
const MEMORY_SAMPLE_MS = 500;

class BoundedText {
  private head = '';
  private tail = '';
  private truncated = false;
  add(chunk: string): void {
    if (this.head.length < OUTPUT_LIMIT / 2) {
      const room = OUTPUT_LIMIT / 2 - this.head.length;
      this.head += chunk.slice(0, room);
      chunk = chunk.slice(room);
    }
    if (chunk.length === 0) return;
    this.tail = (this.tail + chunk).slice(-OUTPUT_LIMIT / 2);
    this.truncated ||= this.tail.length === OUTPUT_LIMIT / 2;
  }
  toString(): string {
    return this.truncated ? `${this.head}\n[... output truncated ...]\n${this.tail}` : this.head + this.tail;
  }
}

async function peakRssKb(pid: number): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmHWM:\s+(\d+) kB/m.exec(status);
    return match ? Number(match[1]) : null;
  } catch {
    return null; // the process already ended, or this is not Linux
  }
}

export class ProcessRunExecutor implements RunExecutor {
  constructor(
    /** Absolute path of the simulation program. */
    private readonly programPath: string,
    private readonly workingDir: string,
    /** argv[0] as the user wrote it, for records and messages. */
    private readonly programName: string = programPath,
    /** Told about every process group while it runs, so that a later session can reap orphans. */
    private readonly registry: { add(pid: number): void; remove(pid: number): void } | null = null,
  ) {}

  execute(request: ExecutionRequest, signal: AbortSignal): Promise<Execution> {
    const startedAt = new Date();
    const argv = [this.programName, ...request.args];
    const stdout = new BoundedText();
    const stderr = new BoundedText();
    let timedOut = false;
    let interrupted = false;
    let peak: number | null = null;

    return new Promise<Execution>((resolve) => {
      const finish = (exitCode: number | null, exitSignal: string | null, spawnError: string | null) => {
        if (pid !== undefined) this.registry?.remove(pid);
        clearTimeout(timeoutTimer);
        clearTimeout(killTimer);
        clearInterval(memoryTimer);
        signal.removeEventListener('abort', onAbort);
        resolve({
          argv,
          exitCode,
          signal: exitSignal,
          timedOut,
          interrupted,
          spawnError,
          stdout: stdout.toString(),
          stderr: stderr.toString(),
          startedAt,
          endedAt: new Date(),
          peakRssKb: peak,
          host: os.hostname(),
        });
      };

      const child = spawn(this.programPath, request.args, {
        cwd: this.workingDir,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const pid = child.pid;
      if (pid !== undefined) this.registry?.add(pid);
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => stdout.add(chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => stderr.add(chunk));

      let killTimer: ReturnType<typeof setTimeout> | undefined;
      const terminate = () => {
        if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
        killGroup(child.pid, 'SIGTERM');
        killTimer ??= setTimeout(() => killGroup(child.pid ?? 0, 'SIGKILL'), TERMINATION_GRACE_MS);
      };
      const onAbort = () => {
        interrupted = true;
        terminate();
      };
      const timeoutTimer =
        request.timeoutMs === null
          ? undefined
          : setTimeout(() => {
              timedOut = true;
              terminate();
            }, request.timeoutMs);
      const memoryTimer = setInterval(() => {
        if (child.pid !== undefined) void peakRssKb(child.pid).then((kb) => (peak = kb ?? peak));
      }, MEMORY_SAMPLE_MS);

      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });

      child.once('error', (error) =>
        finish(null, null, `cannot start ${this.programName}: ${error.message}`),
      );
      child.once('close', (code, exitSignal) => finish(code, exitSignal, null));
    });
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}
