import type { RuntimeSample } from '../core/runtime-history.js';

/** Run durations of earlier campaigns, used to schedule the longest runs first. */
export interface HistoryStore {
  load(): Promise<RuntimeSample[]>;
  append(samples: readonly RuntimeSample[]): Promise<void>;
}
