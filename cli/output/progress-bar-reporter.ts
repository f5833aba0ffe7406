/** The live progress bar shown on a terminal. */
import cliProgress from 'cli-progress';
import type { CampaignEvent } from '../../lib/core/events.js';
import { costText, describeRun, formatDuration, shellQuote, startLine, useColour } from './format.js';
import type { Reporter, ReporterOptions } from './reporter.js';

export class ProgressBarReporter implements Reporter {
  // MultiBar rather than SingleBar: only it can print log lines above a live bar.
  private readonly bars: cliProgress.MultiBar;
  private bar: cliProgress.SingleBar | null = null;

  constructor(private readonly options: ReporterOptions) {
    this.bars = new cliProgress.MultiBar(
      {
        stream: options.stdout,
        format:
          '{bar} {value}/{total} runs | ok {ok} failed {failed} running {running} | ETA {eta_text}{cost_text}',
        hideCursor: true,
        clearOnComplete: false,
        etaBuffer: 1,
        // Short enough that bar and counts fit an 80-column terminal; cli-progress cuts longer lines.
        barsize: 24,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  notify(event: CampaignEvent): void {
    switch (event.type) {
      case 'campaign-started':
        this.options.stdout.write(startLine(event));
        this.bar = this.bars.create(event.toRun, 0, {
          ok: 0,
          failed: 0,
          running: 0,
          eta_text: '?',
          cost_text: '',
        });
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
      case 'meter':
        this.bar?.update({
          eta_text: event.etaMs === null ? '?' : formatDuration(event.etaMs),
          cost_text: event.cost === null ? '' : ` | ${costText(event.cost)}`,
        });
        break;
      case 'run-retry':
        this.bars.log(`retrying run ${event.runNumber} (attempt ${event.attempt}): ${event.reason}\n`);
        break;
      case 'campaign-stopping':
        this.bars.log(`stopping: ${event.reason}\n`);
        break;
      case 'build-log':
        // The build happens before the bar exists.
        this.options.stdout.write(`  build| ${event.line}\n`);
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
