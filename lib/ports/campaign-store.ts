/**
 * What the swarm knows about its campaigns: how to run them (program, arguments, artifact), and the
 * record of every finished run attempt with where its result files are stored. Runners write records;
 * the client takes the ones it has not fetched yet, stores them in `results/` and its manifest, then
 * marks them fetched. (A cursor over insertion order would lose records: ids made by different runners
 * are not ordered by when they were written.)
 */
import type { RunRecord } from '../core/campaign.js';

export interface SwarmCampaign {
  readonly campaignId: string;
  /** Blob key of the built artifact the runs execute in. */
  readonly artifactKey: string;
  /** The program and its arguments, as the user gave them. */
  readonly program: string;
  readonly args: readonly string[];
  /** The simulation's working directory, relative to the artifact root. */
  readonly workingDir: string;
  /** The result directory, relative to the artifact root. */
  readonly resultDir: string;
  readonly runTimeoutMs: number | null;
  readonly sessionId: string;
  readonly fingerprint: string;
}

/** A result file of a run, stored as a blob. */
export interface StoredResultFile {
  /** Path relative to the result directory. */
  readonly name: string;
  readonly blobKey: string;
}

export interface SwarmRunRecord {
  readonly campaignId: string;
  readonly record: RunRecord;
  readonly results: readonly StoredResultFile[];
}

export interface CampaignStore {
  /** Saves a campaign; saving the same id again keeps the first definition. */
  putCampaign(campaign: SwarmCampaign): Promise<void>;
  getCampaign(campaignId: string): Promise<SwarmCampaign | null>;
  /** Adds a run record; the same (run, attempt, session) twice is stored once. */
  addRecord(entry: SwarmRunRecord): Promise<void>;
  /** Up to `limit` records of the campaign not yet marked fetched. */
  unfetchedRecords(campaignId: string, limit: number): Promise<SwarmRunRecord[]>;
  /** Marks records (by recordKey) as safely stored by the client. */
  markFetched(campaignId: string, keys: readonly string[]): Promise<void>;
}

/** Identity of a record: a runner that retries its write must not add it twice. */
export function recordKey(entry: SwarmRunRecord): string {
  const { record } = entry;
  return `${entry.campaignId}/${record.runNumber}/${record.attempt}/${record.sessionId}`;
}
