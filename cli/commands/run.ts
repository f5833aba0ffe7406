/**
 * `inet-swarm run [options] <program> [simulation args...]`: opp_runall's interface, on this machine.
 */
import os from 'node:os';
import { z } from 'zod';
import { runLocalCampaign } from '../../lib/local/run-local-campaign.js';
import type { CollectOutcome } from '../../lib/swarm/client/collect-results.js';
import type { BuildCommand } from '../../lib/swarm/client/prepare-campaign.js';
import { runSwarmCampaign } from '../../lib/swarm/client/run-swarm-campaign.js';
import { ExitCode } from '../exit-codes.js';
import { createReporter, summaryText } from '../output/reporters.js';
import type { Reporter } from '../output/reporter.js';
import { awsRunOptionsShape, checkBackendOptions } from './aws-options.js';
import { connectGateway, swarmName } from './gateway-connection.js';

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
  /** `--swarm [name]`: true for the swarm deployed last, a string for a named one. */
  swarm: z.union([z.boolean(), z.string().min(1)]).optional(),
  build: z.string().min(1).optional(),
  /** commander's `--no-build` sets build to false. */
  noBuild: z.boolean().optional(),
  maxSourceMb: z.coerce.number().positive('--max-source-mb must be positive').default(512),
  ...awsRunOptionsShape,
});

export type RunOptions = z.input<typeof runOptionsSchema>;

/** `--build CMD`, `--no-build`, or neither (make, when there is a Makefile): for --swarm and --aws alike. */
export function buildCommandOf(options: {
  build?: string | undefined;
  noBuild?: boolean | undefined;
}): BuildCommand {
  if (options.build !== undefined) return { kind: 'command', command: options.build };
  return options.noBuild === true ? { kind: 'none' } : { kind: 'auto' };
}

export function defaultJobs(): number {
  return os.availableParallelism();
}

/**
 * Runs `body` with the CLI's signal handling: the first SIGINT/SIGTERM aborts the signal handed to it
 * (runs end cleanly, the manifest stays consistent, the next `run` resumes); a second one only says
 * that we are still waiting.
 */
export async function withStopSignal<T>(
  reporter: Reporter,
  whatStopping: string,
  body: (stop: AbortSignal) => Promise<T>,
): Promise<T> {
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted) {
      process.stderr.write(`inet-swarm: ${signal} again; still waiting for running simulations to end\n`);
      return;
    }
    reporter.notify({ type: 'campaign-stopping', reason: `${signal} received; ${whatStopping}` });
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await body(stop.signal);
  } finally {
    reporter.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export async function runCommand(
  program: string,
  args: readonly string[],
  rawOptions: RunOptions,
  detach = false,
): Promise<number> {
  const options = runOptionsSchema.parse(rawOptions);
  checkBackendOptions(options);
  const reporter = await createReporter({
    json: options.json,
    verbose: options.verbose,
    workingDir: options.directory,
    stdout: process.stdout,
  });
  if (options.aws === true) {
    // Loaded only for --aws: the AWS libraries would slow every local run's start-up.
    const { runOnAws } = await import('./aws-run.js');
    return runOnAws(program, args, options, reporter, detach);
  }
  if (options.swarm !== undefined || detach) return runOnSwarm(program, args, options, reporter, detach);

  return withStopSignal(reporter, 'ending running simulations', async (stop) => {
    const result = await runLocalCampaign(
      {
        program,
        args,
        workingDir: options.directory,
        stateDir: options.stateDir ?? null,
        jobs: options.jobs,
        maxBatchSize: options.batchSize,
        ...retryOptions(options),
        force: options.force,
        exportFile: options.export ?? null,
      },
      reporter,
      stop,
    );
    reporter.close();
    if (result.kind === 'exported') {
      process.stderr.write(
        `inet-swarm: wrote the plan of ${result.plan.runs.length} runs to ${result.file}\n`,
      );
      return ExitCode.ok;
    }
    const code = finishCampaign(result.outcome, result.plan, options.json);
    return stop.aborted ? ExitCode.interrupted : code;
  });
}

/** The closing summary (unless --json), and the exit code of a campaign that ran to its end. */
function finishCampaign(
  outcome: Pick<CollectOutcome, 'counts' | 'problems'>,
  plan: { resultDir: string; workingDir: string },
  json: boolean,
): number {
  const { counts, problems } = outcome;
  if (!json)
    process.stdout.write(summaryText(counts.total, counts, problems, plan.resultDir, plan.workingDir));
  return counts.ok + counts.reused === counts.total ? ExitCode.ok : ExitCode.runsFailed;
}

/** `--run-timeout`, `--retries` and `--retry-delay` as every backend takes them. */
function retryOptions(options: z.output<typeof runOptionsSchema>) {
  return {
    runTimeoutMs: options.runTimeout === undefined ? null : options.runTimeout * 1000,
    maxRetries: options.retries,
    retryDelayMs: options.retryDelay * 1000,
  };
}

/** `run --swarm` and `submit`: the same campaign, executed by a swarm. */
async function runOnSwarm(
  program: string,
  args: readonly string[],
  options: z.output<typeof runOptionsSchema>,
  reporter: Reporter,
  detach: boolean,
): Promise<number> {
  const gateway = await connectGateway(swarmName(options.swarm));
  return withStopSignal(reporter, 'detaching; the swarm keeps running the campaign', async (stop) => {
    const result = await runSwarmCampaign(
      {
        program,
        args,
        workingDir: options.directory,
        stateDir: options.stateDir ?? null,
        force: options.force,
        ...retryOptions(options),
        buildCommand: buildCommandOf(options),
        maxSourceBytes: options.maxSourceMb * 2 ** 20,
        detach,
      },
      gateway,
      reporter,
      stop,
    );
    reporter.close();
    const { submission } = result;
    if (result.kind === 'submitted') {
      process.stdout.write(
        `submitted ${submission.swarmCampaignId}: ${submission.todo.length} run(s) queued, ${submission.reused} kept\n` +
          `follow it with: inet-swarm attach ${submission.swarmCampaignId}\n`,
      );
      return ExitCode.ok;
    }
    return reportCollected(result.outcome, submission, options.json, stop.aborted);
  });
}

/** The end of `run --swarm` and `attach`: the summary, or how to pick the campaign up again. */
export function reportCollected(
  outcome: CollectOutcome,
  submission: { swarmCampaignId: string; plan: { resultDir: string; workingDir: string } },
  json: boolean,
  stopped: boolean,
): number {
  if (outcome.remaining > 0) {
    process.stdout.write(
      `detached: ${outcome.remaining} run(s) still running in the swarm; nothing is lost.\n` +
        `  continue collecting: inet-swarm attach ${submission.swarmCampaignId}\n` +
        `  stop it:             inet-swarm cancel ${submission.swarmCampaignId}\n`,
    );
    return stopped ? ExitCode.interrupted : ExitCode.runsFailed;
  }
  return finishCampaign(outcome, submission.plan, json);
}
