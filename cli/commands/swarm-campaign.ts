/** Commands about campaigns already in a swarm: `attach`, `status`, `cancel`, `logs`. */
import { buildIdOfArtifact } from '../../lib/swarm/build-jobs.js';
import { attachSwarmCampaign } from '../../lib/swarm/client/run-swarm-campaign.js';
import { connectGateway } from './gateway-connection.js';
import { ExitCode } from '../exit-codes.js';
import { createReporter } from '../output/reporters.js';
import { reportCollected, withStopSignal } from './run.js';

/** A campaign id the swarm does not know: nothing was done. */
function noSuchCampaign(campaign: string): number {
  process.stderr.write(`inet-swarm: the swarm has no campaign ${campaign}\n`);
  return ExitCode.usage;
}

export interface AttachCommandOptions {
  readonly directory: string;
  readonly stateDir?: string;
  readonly swarm?: string;
  readonly json: boolean;
  readonly verbose: boolean;
}

export async function attachCommand(
  campaign: string | undefined,
  options: AttachCommandOptions,
): Promise<number> {
  const gateway = await connectGateway(options.swarm ?? null);
  const reporter = await createReporter({
    json: options.json,
    verbose: options.verbose,
    workingDir: options.directory,
    stdout: process.stdout,
  });
  return withStopSignal(reporter, 'detaching; the swarm keeps running the campaign', async (stop) => {
    const result = await attachSwarmCampaign(
      { workingDir: options.directory, stateDir: options.stateDir ?? null, campaign: campaign ?? null },
      gateway,
      reporter,
      stop,
    );
    reporter.close();
    return reportCollected(result.outcome, result.submission, options.json, stop.aborted);
  });
}

export async function cancelCommand(campaign: string, options: { swarm?: string }): Promise<number> {
  const gateway = await connectGateway(options.swarm ?? null);
  if ((await gateway.campaign(campaign)) === null) {
    return noSuchCampaign(campaign);
  }
  const removed = await gateway.cancel(campaign);
  process.stdout.write(
    `cancelled ${campaign}: ${removed} queued run(s) removed; runs already running finish and are kept\n`,
  );
  return ExitCode.ok;
}

/** `inet-swarm status [campaign]`: every campaign in the swarm (or one) with its progress. */
export async function statusCommand(
  campaign: string | undefined,
  options: { swarm?: string; json: boolean },
): Promise<number> {
  const gateway = await connectGateway(options.swarm ?? null);
  const all = await gateway.campaigns();
  const shown = campaign === undefined ? all : all.filter((c) => c.campaignId.startsWith(campaign));
  if (campaign !== undefined && shown.length === 0) {
    return noSuchCampaign(campaign);
  }
  if (options.json) {
    process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
    return ExitCode.ok;
  }
  if (shown.length === 0) process.stdout.write('no campaigns in this swarm yet\n');
  for (const c of shown.sort((a, b) => b.submittedAt.localeCompare(a.submittedAt))) {
    const done = c.runs.ok + c.runs.failed + c.runs.lost;
    const problems = [
      c.runs.failed > 0 ? `${c.runs.failed} failed` : '',
      c.runs.lost > 0 ? `${c.runs.lost} lost` : '',
    ]
      .filter(Boolean)
      .join(', ');
    process.stdout.write(
      `${c.campaignId}  ${c.configName}  ${done}/${c.totalRuns} done (${c.runs.ok} ok${problems ? `, ${problems}` : ''})  submitted ${c.submittedAt}\n`,
    );
  }
  return ExitCode.ok;
}

/** `inet-swarm logs <campaign> [run]`: a run's output, or without a run the campaign's build log. */
export async function logsCommand(
  campaign: string,
  run: string | undefined,
  options: { swarm?: string },
): Promise<number> {
  const gateway = await connectGateway(options.swarm ?? null);
  const definition = await gateway.campaign(campaign);
  if (definition === null) {
    return noSuchCampaign(campaign);
  }
  if (run === undefined) {
    const view = await gateway.build(buildIdOfArtifact(definition.artifactKey), 0);
    for (const line of view.log) process.stdout.write(`${line}\n`);
    if (view.log.length === 0) process.stdout.write(`(no build log kept for ${definition.artifactKey})\n`);
    return ExitCode.ok;
  }
  const runNumber = Number(run);
  if (!Number.isInteger(runNumber) || runNumber < 0) {
    process.stderr.write(`inet-swarm: '${run}' is not a run number\n`);
    return ExitCode.usage;
  }
  const log = await gateway.runLog(campaign, runNumber);
  if (log === null) {
    process.stderr.write(
      `inet-swarm: run ${runNumber} of ${campaign} has not finished yet, or left no output\n`,
    );
    return ExitCode.usage;
  }
  process.stdout.write(
    `==> ${log.name} (${log.record.status} on ${log.record.host}, attempt ${log.record.attempt})\n`,
  );
  for (const line of log.lines) process.stdout.write(`${line}\n`);
  return ExitCode.ok;
}
