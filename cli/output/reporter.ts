/** What every reporter is: a campaign observer that can be closed. */
import type { CampaignObserver } from '../../lib/ports/campaign-observer.js';

export interface ReporterOptions {
  readonly json: boolean;
  readonly verbose: boolean;
  readonly workingDir: string;
  readonly stdout: NodeJS.WriteStream;
}

export type Reporter = CampaignObserver & { close(): void };
