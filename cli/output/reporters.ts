/**
 * How a campaign shows itself: a live progress bar on a terminal, one plain line per finished run
 * otherwise, or NDJSON events with --json. Human output goes to stdout, diagnostics to stderr.
 */
import path from 'node:path';
import type { RunRecord } from '../../lib/core/campaign.js';
import type { CampaignEvent } from '../../lib/core/events.js';
import { describeRun, formatDuration, shellQuote, startLine } from './format.js';
import type { Reporter, ReporterOptions } from './reporter.js';

export async function createReporter(options: ReporterOptions): Promise<Reporter> {
  if (options.json) return new JsonReporter(options.stdout);
  if (options.stdout.isTTY) {
    // Loaded only on a terminal: scripts and CI should not pay for it at start-up.
    const { ProgressBarReporter } = await import('./progress-bar-reporter.js');
    return new ProgressBarReporter(options);
  }
  return new PlainReporter(options);
}

class JsonReporter implements Reporter {
  constructor(private readonly out: NodeJS.WritableStream) {}
  notify(event: CampaignEvent): void {
    this.out.write(`${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`);
  }
  close(): void {}
}

class PlainReporter implements Reporter {
  private finished = 0;
  private total = 0;
  constructor(private readonly options: ReporterOptions) {}

  notify(event: CampaignEvent): void {
    const out = this.options.stdout;
    switch (event.type) {
      case 'campaign-started':
        this.total = event.toRun;
        out.write(startLine(event));
        break;
      case 'process-started':
        if (this.options.verbose) out.write(`  $ ${event.argv.map(shellQuote).join(' ')}\n`);
        break;
      case 'run-finished': {
        this.finished += 1;
        const { record } = event;
        const status = record.status === 'ok' ? 'ok' : record.status.toUpperCase();
        const detail = record.failure ? `: ${record.failure.message}` : '';
        out.write(
          `[${this.finished}/${this.total}] ${status.padEnd(11)} ${describeRun(record)} ${formatDuration(record.durationMs)}${detail}\n`,
        );
        break;
      }
      case 'run-retry':
        out.write(
          `  retrying run ${event.runNumber} (attempt ${event.attempt}) in ${formatDuration(event.delayMs)}: ${event.reason}\n`,
        );
        break;
      case 'campaign-stopping':
        out.write(`stopping: ${event.reason}\n`);
        break;
      case 'notice':
        out.write(`note: ${event.message}\n`);
        break;
      case 'build-log':
        out.write(`  build| ${event.line}\n`);
        break;
      case 'meter': // too frequent for a log; the cost is in the periodic notices
      case 'campaign-finished':
        break;
    }
  }
  close(): void {}
}

/** The closing lines: counts, where the failures are, and the manifest. */
export function summaryText(
  total: number,
  counts: { ok: number; reused: number; failed: number; lost: number; interrupted: number },
  problems: readonly RunRecord[],
  resultDir: string,
  workingDir: string,
): string {
  const notRun = total - counts.ok - counts.reused - counts.failed - counts.lost - counts.interrupted;
  const parts = [`${counts.ok + counts.reused} ok`];
  if (counts.failed > 0) parts.push(`${counts.failed} failed`);
  if (counts.lost > 0) parts.push(`${counts.lost} lost`);
  if (counts.interrupted > 0) parts.push(`${counts.interrupted} interrupted`);
  if (notRun > 0) parts.push(`${notRun} not run`);
  const reused = counts.reused > 0 ? ` (${counts.reused} kept from earlier sessions)` : '';
  const lines = [`${total} runs: ${parts.join(', ')}${reused}`];
  const shown = problems.filter((p) => p.status !== 'interrupted').slice(0, 20);
  for (const record of shown) {
    const out = record.files.find((f) => f.path.endsWith('.out'));
    const where = out ? ` -- see ${out.path}` : '';
    lines.push(`  ${record.status} ${describeRun(record)}: ${record.failure?.message ?? ''}${where}`);
  }
  if (problems.length > shown.length) lines.push(`  ... and ${problems.length - shown.length} more`);
  lines.push(`results: ${path.relative(workingDir, resultDir) || '.'}`);
  return `${lines.join('\n')}\n`;
}
