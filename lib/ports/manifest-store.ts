import type { RunRecord } from '../core/campaign.js';

/** The campaign manifest: an append-only record of every finished run attempt. */
export interface ManifestStore {
  /** Every record in write order; a record torn by a crash is dropped, never half-read. */
  load(): Promise<RunRecord[]>;
  /** Appends a record durably (it survives a crash once the promise resolves). */
  append(record: RunRecord): Promise<void>;
  close(): Promise<void>;
}
