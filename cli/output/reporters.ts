/**
 * How a campaign shows itself: a live progress bar on a terminal, one plain line per finished run
 * otherwise, or NDJSON events with --json. Human output goes to stdout, diagnostics to stderr.
 */
import path from 'node:path';
import cliProgress from 'cli-progress';
import type { RunRecord } from '../../lib/core/campaign.js';
import type { CampaignEvent } from '../../lib/core/events.js';
import type { CampaignObserver } from '../../lib/ports/campaign-observer.js';
import { formatDuration, useColour } from './format.js';

export interface ReporterOptions {
  readonly json: boolean;
  readonly verbose: boolean;
  readonly workingDir: string;
  readonly stdout: NodeJS.WriteStream;
}

export type Reporter = CampaignObserver & { close(): void };

export function createReporter(options: ReporterOptions): Reporter {
  if (options.json) return new JsonReporter(options.stdout);
  if (options.stdout.isTTY) return new ProgressBarReporter(options);
  return new PlainReporter(options);
}

class JsonReporter implements Reporter {
  constructor(private readonly out: NodeJS.WritableStream) {}
  notify(event: CampaignEvent): void {
    this.out.write(`${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`);
  }
  close(): void {}
}

function describeRun(record: RunRecord): string {
  return `run ${record.runNumber} (${record.description})`;
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
      case 'campaign-finished':
        break;
    }
  }
  close(): void {}
}

class ProgressBarReporter implements Reporter {
  // MultiBar rather than SingleBar: only it can print log lines above a live bar.
  private readonly bars: cliProgress.MultiBar;
  private bar: cliProgress.SingleBar | null = null;

  constructor(private readonly options: ReporterOptions) {
    this.bars = new cliProgress.MultiBar(
      {
        stream: options.stdout,
        format: '{bar} {value}/{total} runs | ok {ok} failed {failed} running {running} | ETA {eta_text}',
        hideCursor: true,
        clearOnComplete: false,
        etaBuffer: 1,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  notify(event: CampaignEvent): void {
    switch (event.type) {
      case 'campaign-started':
        this.options.stdout.write(startLine(event));
        this.bar = this.bars.create(event.toRun, 0, { ok: 0, failed: 0, running: 0, eta_text: '?' });
        break;
      case 'process-started':
        if (this.options.verbose) this.bars.log(`  $ ${event.argv.map(shellQuote).join(' ')}\n`);
        break;
      case 'run-finished': {
        const { record, counts } = event;
        if (record.status !== 'ok') {
          const colour = useColour(this.options.stdout);
          const label = colour
            ? `\u001b[31m${record.status.toUpperCase()}\u001b[0m`
            : record.status.toUpperCase();
          this.bars.log(`${label} ${describeRun(record)}: ${record.failure?.message ?? ''}\n`);
        }
        this.bar?.increment(1, {
          ok: counts.ok,
          failed: counts.failed + counts.lost,
          running: counts.running,
          eta_text: event.etaMs === null ? '?' : formatDuration(event.etaMs),
        });
        break;
      }
      case 'run-retry':
        this.bars.log(`retrying run ${event.runNumber} (attempt ${event.attempt}): ${event.reason}\n`);
        break;
      case 'campaign-stopping':
        this.bars.log(`stopping: ${event.reason}\n`);
        break;
      case 'notice':
        if (this.bar === null) this.options.stdout.write(`note: ${event.message}\n`);
        else this.bars.log(`note: ${event.message}\n`);
        break;
      case 'campaign-finished':
        this.close();
        break;
    }
  }

  close(): void {
    if (this.bar !== null) this.bars.stop();
    this.bar = null;
  }
}

function startLine(event: Extract<CampaignEvent, { type: 'campaign-started' }>): string {
  const reused = event.total - event.toRun;
  const why = Object.entries(event.reasons)
    .map(([reason, count]) => `${count} ${reason}`)
    .join(', ');
  const resume = reused > 0 ? `; ${reused} already done, kept` : '';
  return `${event.configName}: ${event.total} runs selected${resume}; running ${event.toRun}${why ? ` (${why})` : ''} on ${event.jobs} jobs\n`;
}

function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./=:,+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
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
