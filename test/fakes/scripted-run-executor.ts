/**
 * A RunExecutor that plays a script instead of starting processes: for each run number, a list of
 * behaviours, one per attempt. It writes the `.out` files the way Cmdenv would.
 */
import type { Execution, ExecutionRequest, RunExecutor } from '../../lib/ports/run-executor.js';
import type { InMemoryResultFileStore } from './in-memory-stores.js';

export type Behaviour = 'ok' | 'sim-error' | 'sigkill' | 'hang';

export class ScriptedRunExecutor implements RunExecutor {
  readonly processes: number[][] = [];
  private readonly attempts = new Map<number, number>();

  constructor(
    private readonly files: InMemoryResultFileStore,
    private readonly stemOf: (runNumber: number) => string,
    private readonly script: (runNumber: number, attempt: number) => Behaviour,
  ) {}

  async execute(request: ExecutionRequest, signal: AbortSignal): Promise<Execution> {
    const runs = (request.args.at(-1) ?? '').split(',').map(Number);
    this.processes.push(runs);
    const startedAt = new Date(Date.now() - 1);
    let stdout = '';
    let exitCode: number | null = 0;
    let exitSignal: string | null = null;
    let interrupted = false;
    for (const run of runs) {
      const attempt = (this.attempts.get(run) ?? 0) + 1;
      this.attempts.set(run, attempt);
      const behaviour = this.script(run, attempt);
      stdout += `C run ${run}: $x=${run}, $repetition=0\n`;
      const out = `results/${this.stemOf(run)}.out`;
      if (behaviour === 'hang') {
        this.files.write(out, '** Event #0   t=0   Elapsed: 0s\n');
        await new Promise<void>((resolve) =>
          signal.addEventListener('abort', () => resolve(), { once: true }),
        );
        interrupted = true;
        exitCode = 1;
        break;
      }
      if (behaviour === 'sigkill') {
        this.files.write(out, '** Event #0   t=0   Elapsed: 0s\n');
        exitCode = null;
        exitSignal = 'SIGKILL';
        break;
      }
      if (behaviour === 'sim-error') {
        this.files.write(out, '** Event #5   t=1   Elapsed: 0.01s\n\n<!> Error: boom -- at t=1s, event #5\n');
        exitCode = 1;
        break; // cmdenv-stop-batch-on-error: the rest of the batch is skipped
      }
      this.files.write(
        out,
        `** Event #100   t=10   Elapsed: 0.02s\n\n<!> Simulation time limit reached -- at t=10s, event #100\n`,
      );
      this.files.write(`results/${this.stemOf(run)}.sca`, `version 3\nrun C-${run}\nscalar x ${run}\n`);
    }
    await Promise.resolve();
    return {
      argv: ['./sim', ...request.args],
      exitCode,
      signal: exitSignal,
      timedOut: false,
      interrupted,
      spawnError: null,
      stderr: '',
      stdout,
      startedAt,
      endedAt: new Date(),
      peakRssKb: null,
      host: 'test-host',
    };
  }
}
