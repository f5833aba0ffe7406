import type { CampaignEvent } from '../core/events.js';

/** Receives the campaign's progress events (progress bar, plain lines, NDJSON, dashboards). */
export interface CampaignObserver {
  notify(event: CampaignEvent): void;
}
