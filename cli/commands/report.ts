/** `inet-swarm report [campaign]`: one self-contained HTML file about a campaign, from any backend. */
import { open, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { StateDir } from '../../lib/adapters/local/state-dir.js';
import { CampaignInputError } from '../../lib/core/errors.js';
import { gatherReport, resolveCampaign } from '../../lib/report/gather-report.js';
import { REPORT_GENERATOR, renderReport } from '../../lib/report/render-report.js';
import { ExitCode } from '../exit-codes.js';

export interface ReportCommandOptions {
  readonly directory: string;
  readonly stateDir?: string;
  readonly output?: string;
}

/** A file we may replace: absent, or a report we wrote (its generator tag is near the top). */
async function isOursOrAbsent(file: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw error;
  }
  try {
    const head = Buffer.alloc(1024);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return head.subarray(0, bytesRead).toString('utf8').includes(REPORT_GENERATOR);
  } finally {
    await handle.close();
  }
}

export async function reportCommand(
  campaign: string | undefined,
  options: ReportCommandOptions,
): Promise<number> {
  const workingDir = path.resolve(options.directory);
  const state = new StateDir(path.resolve(options.stateDir ?? path.join(workingDir, '.inet-swarm')));
  const campaignId = await resolveCampaign(state, campaign ?? null);
  const data = await gatherReport(state, campaignId, Date.now());
  // Beside the results by default: that directory is the campaign's output already.
  const output = path.resolve(
    options.output ?? path.join(data.resultDir || workingDir, `inet-swarm-report-${campaignId}.html`),
  );
  if (!(await isOursOrAbsent(output)))
    throw new CampaignInputError(`${output} exists and is not an inet-swarm report; choose another --output`);
  const html = renderReport(data);
  // Written whole, then renamed: a reader (a browser reloading it) never sees half a report.
  const partial = `${output}.partial`;
  await writeFile(partial, html).catch((error: unknown) => {
    throw new CampaignInputError(`cannot write the report to ${output}: ${(error as Error).message}`, {
      cause: error,
    });
  });
  await rename(partial, output);
  const runs = new Set(data.attempts.map((a) => a.runNumber)).size;
  process.stdout.write(
    `report of ${campaignId} (${runs} runs, ${data.attempts.length} attempts, ${data.sessions.length} sessions): ${path.relative(process.cwd(), output) || output}\n`,
  );
  return ExitCode.ok;
}
