import type { RecordedRun, RunRecord } from '../core/campaign.js';

/** The campaign manifest: an append-only record of every finished run attempt. */
export interface ManifestStore {
  /**
   * What resume needs of the newest record of every run (not whole records: a manifest of 100,000
   * runs must not be held in memory); a record torn by a crash is dropped, never half-read.
   */
  latestRecords(): Promise<RecordedRun[]>;
  /** Appends a record durably (it survives a crash once the promise resolves). */
  append(record: RunRecord): Promise<void>;
  close(): Promise<void>;
}
