/**
 * `attach`, `status`, `results`, `cancel` and `logs` with --aws: the same commands as for a swarm,
 * about campaigns of the AWS control plane. Loaded only when --aws is given.
 */
import type { CampaignStatus } from '../../lib/aws/campaign-status.js';
import { costLine } from '../../lib/aws/client/collect-aws-results.js';
import { formatUsd } from '../../lib/aws/client/cost-estimate.js';
import { attachAwsCampaign, downloadAwsResults } from '../../lib/aws/client/run-aws-campaign.js';
import { CampaignInputError } from '../../lib/core/errors.js';
import { ExitCode } from '../exit-codes.js';
import { formatDuration } from '../output/format.js';
import { createReporter } from '../output/reporters.js';
import { awsPollMs } from './aws-options.js';
import { connectControlPlane } from './aws-connection.js';
import { finishAwsCampaign } from './aws-run.js';
import { withStopSignal } from './run.js';

export interface AwsCampaignCommandOptions {
  readonly api?: string;
  readonly directory: string;
  readonly stateDir?: string;
  readonly json: boolean;
  readonly verbose: boolean;
}

/** The control plane and the progress display, for the commands that follow a campaign's runs. */
async function followingCampaign(options: AwsCampaignCommandOptions) {
  const client = await connectControlPlane(options.api);
  const reporter = await createReporter({
    json: options.json,
    verbose: options.verbose,
    workingDir: options.directory,
    stdout: process.stdout,
  });
  return { client, reporter };
}

export async function attachAwsCommand(
  campaign: string | undefined,
  options: AwsCampaignCommandOptions,
): Promise<number> {
  const { client, reporter } = await followingCampaign(options);
  return withStopSignal(reporter, 'detaching; the campaign keeps running on AWS', async (stop) => {
    const { submission, outcome } = await attachAwsCampaign(
      {
        workingDir: options.directory,
        stateDir: options.stateDir ?? null,
        campaign: campaign ?? null,
        pollMs: awsPollMs(),
      },
      client,
      reporter,
      stop,
    );
    reporter.close();
    return finishAwsCampaign(client, outcome, submission, options.json, stop.aborted);
  });
}

/** `results --aws <id>`: downloads what is not here yet (or is damaged here), into the same manifest. */
export async function resultsAwsCommand(
  campaign: string | undefined,
  options: AwsCampaignCommandOptions,
): Promise<number> {
  const { client, reporter } = await followingCampaign(options);
  return withStopSignal(reporter, 'stopping the downloads', async (stop) => {
    const fetched = await downloadAwsResults(
      { workingDir: options.directory, stateDir: options.stateDir ?? null, campaign: campaign ?? null },
      client,
      reporter,
      stop,
    );
    reporter.close();
    const id = fetched.submission.awsCampaignId;
    if (options.json)
      process.stdout.write(
        `${JSON.stringify({ time: new Date().toISOString(), type: 'aws-results', campaignId: id, records: fetched.records, files: fetched.files, repaired: fetched.repaired })}\n`,
      );
    else
      process.stdout.write(
        `${id}: stored ${fetched.records} new run record(s) with ${fetched.files} file(s)` +
          `${fetched.repaired > 0 ? `; downloaded ${fetched.repaired} missing or changed file(s) again` : ''}\n`,
      );
    return stop.aborted ? ExitCode.interrupted : ExitCode.ok;
  });
}

export async function cancelAwsCommand(campaign: string, options: { api?: string }): Promise<number> {
  const client = await connectControlPlane(options.api);
  const status = await client.cancel(campaign);
  process.stdout.write(
    `cancelling ${campaign} (${status.state}): its cluster is torn down; runs already finished stay in the ` +
      `bucket (inet-swarm results --aws ${campaign})\n`,
  );
  return ExitCode.ok;
}

export async function logsAwsCommand(
  campaign: string,
  run: string | undefined,
  options: { api?: string },
): Promise<number> {
  const runNumber = run === undefined ? null : Number(run);
  if (runNumber !== null && (!Number.isInteger(runNumber) || runNumber < 0))
    throw new CampaignInputError(`'${run}' is not a run number`);
  const client = await connectControlPlane(options.api);
  const log = await client.logs(campaign, runNumber);
  for (const line of log.lines) process.stdout.write(`${line}\n`);
  if (log.lines.length === 0)
    process.stdout.write(
      runNumber === null ? `(no build log for ${campaign} yet)\n` : `(run ${runNumber} left no output yet)\n`,
    );
  return ExitCode.ok;
}

function runsText(status: CampaignStatus): string {
  return status.runs === null ? '-' : `${status.runs.finished}/${status.runs.total}`;
}

/** `status --aws [id]`: every campaign of the control plane as a table, or one in detail. */
export async function statusAwsCommand(
  campaign: string | undefined,
  options: { api?: string; json: boolean },
): Promise<number> {
  const client = await connectControlPlane(options.api);
  if (campaign !== undefined) {
    const status = await client.campaign(campaign);
    process.stdout.write(options.json ? `${JSON.stringify(status, null, 2)}\n` : detail(status));
    return ExitCode.ok;
  }
  const all: CampaignStatus[] = [];
  let next: string | null = null;
  do {
    const page = await client.listCampaigns(next);
    all.push(...page.campaigns);
    next = page.next;
  } while (next !== null);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(all, null, 2)}\n`);
    return ExitCode.ok;
  }
  if (all.length === 0) {
    process.stdout.write('no campaigns in this control plane yet\n');
    return ExitCode.ok;
  }
  const rows = [
    ['CAMPAIGN', 'NAME', 'STATE', 'RUNS', 'COST', 'CREATED'],
    ...all.map((s) => [
      s.campaignId,
      s.name ?? '-',
      s.state,
      runsText(s),
      s.cost === null ? '-' : formatUsd(s.cost.soFarUsd),
      s.createdAt,
    ]),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length))) ?? [];
  for (const row of rows)
    process.stdout.write(
      `${row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd()}\n`,
    );
  return ExitCode.ok;
}

function detail(status: CampaignStatus): string {
  const lines: [string, string][] = [
    ['campaign', status.campaignId],
    ['name', status.name ?? '-'],
    ['state', status.state],
    ['created', status.createdAt],
    ['started', status.startedAt ?? '-'],
    ['updated', status.updatedAt],
  ];
  if (status.runs !== null) {
    const { total, ok, failed, finished, remainingSeconds } = status.runs;
    const remaining =
      remainingSeconds === null
        ? ''
        : `; about ${formatDuration(remainingSeconds * 1000)} of simulation left`;
    lines.push(['runs', `${finished}/${total} finished: ${ok} ok, ${failed} failed${remaining}`]);
  }
  const cost = costLine(status);
  if (cost !== null) lines.push(['cost', cost]);
  if (status.failure !== null) lines.push(['failure', `${status.failure.error}: ${status.failure.cause}`]);
  if (status.stackName !== null) lines.push(['stack', status.stackName]);
  if (status.cluster !== null)
    lines.push([
      'cluster',
      `manager ${status.cluster.managerAddress ?? '(not up yet)'}, dashboard port ${status.cluster.dashboardPort}` +
        (status.cluster.managerAddress === null ? '' : ` (inet-swarm aws connect ${status.campaignId})`),
    ]);
  if (status.executionArn !== null) lines.push(['execution', status.executionArn]);
  return lines.map(([key, value]) => `${key.padEnd(10)} ${value}\n`).join('');
}
