/**
 * `inet-swarm run [options] <program> [simulation args...]`: opp_runall's interface, on this machine.
 */
import os from 'node:os';
import { z } from 'zod';
import { runLocalCampaign } from '../../lib/local/run-local-campaign.js';
import { ExitCode } from '../exit-codes.js';
import { createReporter, summaryText } from '../output/reporters.js';

const positiveInt = (what: string) =>
  z.coerce
    .number({ error: `${what} must be a number` })
    .int(`${what} must be a whole number`)
    .positive(`${what} must be at least 1`);

export const runOptionsSchema = z.object({
  jobs: positiveInt('-j/--jobs').max(4096, '-j/--jobs must be at most 4096'),
  batchSize: positiveInt('-b/--batch-size').max(1000, '-b/--batch-size must be at most 1000'),
  directory: z.string().min(1),
  export: z.string().min(1).optional(),
  verbose: z.boolean(),
  force: z.boolean(),
  json: z.boolean(),
  runTimeout: z.coerce
    .number({ error: '--run-timeout must be a number of seconds' })
    .positive('--run-timeout must be positive')
    .optional(),
  retries: z.coerce
    .number()
    .int('--retries must be a whole number')
    .min(0)
    .max(20, '--retries must be at most 20'),
  retryDelay: z.coerce.number().nonnegative('--retry-delay must not be negative'),
  stateDir: z.string().min(1).optional(),
});

export type RunOptions = z.input<typeof runOptionsSchema>;

export function defaultJobs(): number {
  return os.availableParallelism();
}

export async function runCommand(
  program: string,
  args: readonly string[],
  rawOptions: RunOptions,
): Promise<number> {
  const options = runOptionsSchema.parse(rawOptions);
  const reporter = await createReporter({
    json: options.json,
    verbose: options.verbose,
    workingDir: options.directory,
    stdout: process.stdout,
  });

  // First signal: stop starting runs and end the running ones; the manifest stays consistent and
  // the next `run` resumes. Running simulations get SIGTERM, then SIGKILL after a grace period.
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted) {
      process.stderr.write(`inet-swarm: ${signal} again; still waiting for running simulations to end\n`);
      return;
    }
    reporter.notify({ type: 'campaign-stopping', reason: `${signal} received; ending running simulations` });
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const result = await runLocalCampaign(
      {
        program,
        args,
        workingDir: options.directory,
        stateDir: options.stateDir ?? null,
        jobs: options.jobs,
        maxBatchSize: options.batchSize,
        runTimeoutMs: options.runTimeout === undefined ? null : options.runTimeout * 1000,
        maxRetries: options.retries,
        retryDelayMs: options.retryDelay * 1000,
        force: options.force,
        exportFile: options.export ?? null,
      },
      reporter,
      stop.signal,
    );
    reporter.close();
    if (result.kind === 'exported') {
      process.stderr.write(
        `inet-swarm: wrote the plan of ${result.plan.runs.length} runs to ${result.file}\n`,
      );
      return ExitCode.ok;
    }
    const { counts, problems } = result.outcome;
    if (!options.json) {
      process.stdout.write(
        summaryText(counts.total, counts, problems, result.plan.resultDir, result.plan.workingDir),
      );
    }
    if (stop.signal.aborted) return ExitCode.interrupted;
    return counts.ok + counts.reused === counts.total ? ExitCode.ok : ExitCode.runsFailed;
  } finally {
    reporter.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
