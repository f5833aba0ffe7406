/**
 * `inet-swarm run --aws` and `submit --aws`: the campaign on a per-campaign AWS cluster. Loaded only
 * when --aws is given.
 */
import { createInterface } from 'node:readline/promises';
import type { z } from 'zod';
import type { FollowOutcome } from '../../lib/aws/client/collect-aws-results.js';
import { costLine } from '../../lib/aws/client/collect-aws-results.js';
import type { ControlPlaneClient } from '../../lib/aws/client/control-plane-client.js';
import { runAwsCampaign, type CostQuote } from '../../lib/aws/client/run-aws-campaign.js';
import { FINAL_STATES } from '../../lib/aws/campaign-status.js';
import { BuildFailedError, CampaignInputError } from '../../lib/core/errors.js';
import { awsFailureExitCode, ExitCode } from '../exit-codes.js';
import type { Reporter } from '../output/reporter.js';
import { summaryText } from '../output/reporters.js';
import { awsPollMs } from './aws-options.js';
import { connectControlPlane } from './aws-connection.js';
import { buildCommandOf, withStopSignal, type runOptionsSchema } from './run.js';

type RunOptions = z.output<typeof runOptionsSchema>;

/** One NDJSON line of an aws-only event (estimate, submission), in the reporters' format. */
export function jsonEvent(type: string, fields: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), type, ...fields })}\n`);
}

/** Shows the estimate; proceeds with --yes, asks on a terminal, refuses otherwise. */
async function confirm(quote: CostQuote, options: RunOptions): Promise<boolean> {
  if (options.json) jsonEvent('aws-estimate', { ...quote.estimate, lines: quote.lines });
  else process.stdout.write(`before anything is created:\n${quote.lines.map((l) => `  ${l}\n`).join('')}`);
  if (options.yes === true) return true;
  if (!process.stdin.isTTY)
    throw new CampaignInputError(
      'this creates a cluster in your AWS account, and there is no terminal to ask on: pass --yes to proceed',
    );
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await Promise.race([
      prompt.question('create the cluster and start the campaign? [y/N] '),
      new Promise<string>((resolve) => prompt.once('SIGINT', () => resolve('n'))),
    ]);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    prompt.close();
  }
}

/** A bar for the source upload, on a terminal only. */
async function uploadBar(options: RunOptions) {
  if (options.json || !process.stdout.isTTY) return undefined;
  const { default: cliProgress } = await import('cli-progress');
  return (total: number) => {
    const bar = new cliProgress.SingleBar(
      {
        stream: process.stdout,
        format: 'uploading the source {bar} {percentage}% | {sent}/{size} MiB',
        hideCursor: true,
        barsize: 24,
      },
      cliProgress.Presets.shades_classic,
    );
    const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
    bar.start(total, 0, { sent: mib(0), size: mib(total) });
    return {
      update: (sent: number) => bar.update(sent, { sent: mib(sent), size: mib(total) }),
      done: () => bar.stop(),
    };
  };
}

export async function runOnAws(
  program: string,
  args: readonly string[],
  options: RunOptions,
  reporter: Reporter,
  detach: boolean,
): Promise<number> {
  const client = await connectControlPlane(options.api);
  const uploadProgress = await uploadBar(options);
  return withStopSignal(reporter, 'detaching; the campaign keeps running on AWS', async (stop) => {
    const result = await runAwsCampaign(
      {
        program,
        args,
        workingDir: options.directory,
        stateDir: options.stateDir ?? null,
        force: options.force,
        buildCommand: buildCommandOf(options),
        maxSourceBytes: options.maxSourceMb * 2 ** 20,
        choices: {
          ...(options.name === undefined ? {} : { name: options.name }),
          ...(options.region === undefined ? {} : { region: options.region }),
          ...(options.instanceType === undefined ? {} : { instanceType: options.instanceType }),
          ...(options.managerInstanceType === undefined
            ? {}
            : { managerInstanceType: options.managerInstanceType }),
          ...(options.clusterSize === undefined ? {} : { clusterSize: options.clusterSize }),
          ...(options.managerSize === undefined ? {} : { managerSize: options.managerSize }),
          ...(options.spot === undefined ? {} : { spot: options.spot }),
          ...(options.onDemandBase === undefined ? {} : { onDemandBase: options.onDemandBase }),
          ...(options.keyName === undefined ? {} : { keyName: options.keyName }),
          ...(options.sshCidr === undefined ? {} : { sshCidr: options.sshCidr }),
          ...(options.workerImage === undefined ? {} : { workerImage: options.workerImage }),
          ...(options.builderImage === undefined ? {} : { builderImage: options.builderImage }),
          ...(options.budget === undefined ? {} : { budgetUsd: options.budget }),
          ...(options.maxLifetime === undefined ? {} : { maxLifetimeMinutes: options.maxLifetime }),
          ...(options.idleGrace === undefined ? {} : { idleGraceMinutes: options.idleGrace }),
          runTimeoutMs: options.runTimeout === undefined ? null : Math.round(options.runTimeout * 1000),
          maxRetries: options.retries,
        },
        detach,
        pollMs: awsPollMs(),
      },
      client,
      reporter,
      {
        confirm: (quote) => confirm(quote, options),
        ...(uploadProgress === undefined ? {} : { uploadProgress }),
      },
      stop,
    );
    switch (result.kind) {
      case 'declined':
        process.stderr.write('inet-swarm: nothing was created\n');
        return stop.aborted ? ExitCode.interrupted : ExitCode.usage;
      case 'nothing-to-do': {
        const { plan, decision } = result;
        const counts = {
          total: plan.runs.length,
          reused: decision.reused.length,
          ok: 0,
          failed: 0,
          lost: 0,
          interrupted: 0,
          running: 0,
        };
        reporter.notify({
          type: 'campaign-started',
          campaignId: plan.campaignId,
          configName: plan.configName,
          resultDir: plan.resultDir,
          total: plan.runs.length,
          toRun: 0,
          reasons: {},
          jobs: 0,
        });
        reporter.notify({ type: 'campaign-finished', counts, elapsedMs: 0 });
        reporter.close();
        if (!options.json)
          process.stdout.write(
            'every selected run has intact results here; nothing to run on AWS\n' +
              summaryText(counts.total, counts, [], plan.resultDir, plan.workingDir),
          );
        return ExitCode.ok;
      }
      case 'submitted': {
        reporter.close();
        const { submission } = result;
        if (options.json)
          jsonEvent('aws-submitted', {
            campaignId: submission.awsCampaignId,
            runs: submission.todo?.length ?? null,
            reused: submission.reused,
          });
        else
          process.stdout.write(
            `submitted ${submission.awsCampaignId}: ${submission.todo === null ? 'runs planned in the cluster' : `${submission.todo.length} run(s)`}, ${submission.reused} kept\n` +
              `follow it with: inet-swarm attach --aws ${submission.awsCampaignId}\n`,
          );
        return ExitCode.ok;
      }
      case 'collected':
        reporter.close();
        return finishAwsCampaign(client, result.outcome, result.submission, options.json, stop.aborted);
    }
  });
}

/**
 * The end of `run --aws` and `attach --aws`: how to pick the campaign up again, or the failure with
 * its cause, or the summary; and the exit code.
 */
export async function finishAwsCampaign(
  client: ControlPlaneClient,
  outcome: FollowOutcome,
  submission: { awsCampaignId: string; workingDir: string; resultDir: string },
  json: boolean,
  stopped: boolean,
): Promise<number> {
  const id = submission.awsCampaignId;
  const { status, counts, problems } = outcome;
  if (outcome.ended === 'stopped') {
    process.stdout.write(
      `detached: campaign ${id} keeps running on AWS; nothing is lost.\n` +
        `  continue collecting: inet-swarm attach --aws ${id}\n` +
        `  stop it:             inet-swarm cancel --aws ${id}\n`,
    );
    return stopped ? ExitCode.interrupted : ExitCode.runsFailed;
  }
  const cost = costLine(status);
  if (json)
    jsonEvent('aws-campaign', {
      campaignId: id,
      state: status.state,
      cost: status.cost,
      failure: status.failure,
    });
  else {
    process.stdout.write(
      summaryText(counts.total, counts, problems, submission.resultDir, submission.workingDir),
    );
    process.stdout.write(
      FINAL_STATES.includes(status.state)
        ? `campaign ${id} ${status.state}${cost === null ? '' : `; ${cost}`}\n`
        : `campaign ${id} is ${status.state}: its cluster tears itself down after the idle grace${cost === null ? '' : `; ${cost}`}\n`,
    );
  }
  const allOk = counts.total > 0 && counts.ok + counts.reused === counts.total;
  if (status.failure !== null && (status.state === 'failed' || status.state === 'cancelled')) {
    const { error, cause } = status.failure;
    if (error === 'BuildFailed') {
      const tail = await client
        .logs(id, null)
        .then((log) => log.lines.slice(-30))
        .catch(() => cause.split('\n').slice(-30));
      throw new BuildFailedError(`the build failed in the cluster of campaign ${id}: ${cause}`, tail);
    }
    process.stderr.write(`inet-swarm: AWS campaign ${id} ${status.state}: ${error}: ${cause}\n`);
    // Results that are all here are kept whatever stopped the cluster, unless it may still be up.
    if (!allOk || awsFailureExitCode(error) === ExitCode.internal) return awsFailureExitCode(error);
  }
  return allOk || (counts.total === 0 && status.state === 'succeeded') ? ExitCode.ok : ExitCode.runsFailed;
}
