import { execFile } from 'node:child_process';
import type { ProgramOutput, SimulationProgram } from '../../ports/simulation-program.js';

/** Invokes the simulation program for queries (`-q runs`, `-v`) in its working directory. */
export class ProcessSimulationProgram implements SimulationProgram {
  constructor(
    private readonly programPath: string,
    private readonly workingDir: string,
    private readonly timeoutMs = 120_000,
  ) {}

  invoke(args: readonly string[]): Promise<ProgramOutput> {
    const started = performance.now();
    return new Promise((resolve) => {
      execFile(
        this.programPath,
        args,
        { cwd: this.workingDir, timeout: this.timeoutMs, maxBuffer: 256 << 20, encoding: 'utf8' },
        (error, stdout, stderr) => {
          const durationMs = performance.now() - started;
          if (error === null) {
            resolve({ exitCode: 0, stdout, stderr, durationMs });
            return;
          }
          const code = typeof error.code === 'number' ? error.code : null;
          const reason = code === null ? `\n${error.message}` : '';
          resolve({ exitCode: code ?? -1, stdout, stderr: stderr + reason, durationMs });
        },
      );
    });
  }
}
