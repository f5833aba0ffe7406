/**
 * `inet-swarm index [result-dir]`: builds or updates the results index
 * (`<result-dir>/inet-swarm-index.sqlite`) from the `.sca` files below the directory, for results of
 * any origin (a plain `opp_runall` included); campaigns run by inet-swarm keep it current themselves.
 */
import path from 'node:path';
import { z } from 'zod';
import { CampaignInputError } from '../../lib/core/errors.js';
import { indexResultDir, type IndexDirSummary } from '../../lib/results/index-result-dir.js';
import { ExitCode } from '../exit-codes.js';

/** Unreadable files named one per line; beyond this many, a count. */
const MAX_LISTED = 20;

export const indexOptionsSchema = z.object({
  directory: z.string().min(1),
  json: z.boolean(),
});
export type IndexOptions = z.input<typeof indexOptionsSchema>;

/** The index file as the user can type it: relative to where they are, unless that climbs out. */
function shown(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative === '' || relative.startsWith('..') ? file : relative;
}

export function summaryLine(summary: IndexDirSummary): string {
  const files = summary.files === 1 ? 'file' : 'files';
  return (
    `indexed ${summary.runs} run${summary.runs === 1 ? '' : 's'} from ${summary.files} ${files} ` +
    `(${summary.unchanged} unchanged, ${summary.removed} removed) into ${shown(summary.indexFile)}`
  );
}

/**
 * @param resultDir relative to `--directory`; default `results` there
 * @throws CampaignInputError for a missing directory, or once the readable files are indexed, for each
 *   `.sca` that could not be read
 */
export async function indexResultsCommand(resultDir: string | undefined, raw: IndexOptions): Promise<number> {
  const options = indexOptionsSchema.parse(raw);
  const given = resultDir ?? path.join(options.directory, 'results');
  const absolute = path.resolve(options.directory, resultDir ?? 'results');
  const summary = await indexResultDir(absolute, given);
  if (options.json) process.stdout.write(`${JSON.stringify({ type: 'indexed', ...summary })}\n`);
  else process.stdout.write(`${summaryLine(summary)}\n`);
  if (summary.problems.length > 0) {
    const listed = summary.problems.slice(0, MAX_LISTED).map((problem) => `  ${problem}`);
    if (summary.problems.length > MAX_LISTED)
      listed.push(`  ... and ${summary.problems.length - MAX_LISTED} more`);
    throw new CampaignInputError(
      `could not index ${summary.problems.length} result file(s) (the others are indexed):\n${listed.join('\n')}`,
    );
  }
  return ExitCode.ok;
}
