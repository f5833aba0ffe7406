/** What a short invocation of the simulation program printed, and how long it took. */
export interface ProgramOutput {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
}

/** The simulation program (`opp_run`, `inet`, a model executable) queried in its working directory. */
export interface SimulationProgram {
  /** Runs the program with `args` to completion and returns what it printed (queries, `-v`). */
  invoke(args: readonly string[]): Promise<ProgramOutput>;
}
