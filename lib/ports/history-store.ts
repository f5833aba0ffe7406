import type { RuntimeSample } from '../core/runtime-history.js';

/** Run durations of earlier campaigns, used to schedule the longest runs first. */
export interface HistoryStore {
  /** The samples of one campaign (the store holds every campaign of the project). */
  load(campaignId: string): Promise<RuntimeSample[]>;
  append(samples: readonly RuntimeSample[]): Promise<void>;
}
