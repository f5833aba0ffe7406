/**
 * What the swarm knows about its campaigns: how to run them (program, arguments, artifact), and the
 * record of every finished run attempt with where its result files are stored. Runners write records;
 * the client takes the ones it has not fetched yet, stores them in `results/` and its manifest, then
 * marks them fetched. (A cursor over insertion order would lose records: ids made by different runners
 * are not ordered by when they were written.) People watching (the dashboard) read each run's latest
 * record: a run can have several, such as lost attempts before the one that succeeded.
 */
import type { RunRecord, RunStatus } from '../core/campaign.js';

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
  /** For people watching (dashboard, status): the config, how many runs were submitted, and when. */
  readonly configName: string;
  readonly totalRuns: number;
  readonly submittedAt: string;
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

/** Runs counted by the status of their latest record. */
export type RunCounts = Readonly<Record<RunStatus, number>>;

/** A campaign as people watching it see it: its definition and how far its runs have got. */
export interface CampaignSummary extends SwarmCampaign {
  /** Distinct runs by the status of their latest record; runs with no record yet are not counted. */
  readonly runs: RunCounts;
  /** Sum of `durationMs` over the runs counted as ok: with `runs.ok`, the mean an ETA is based on. */
  readonly okDurationMs: number;
}

/** A page of a campaign's runs: `offset` runs skipped, at most `limit` returned. */
export interface RunPage {
  readonly offset: number;
  readonly limit: number;
}

export interface CampaignStore {
  /**
   * Saves a campaign. Saving the same id again keeps the first definition (what runs and how) but takes
   * the new submission's session, run count and time: records made from then on belong to it.
   */
  putCampaign(campaign: SwarmCampaign): Promise<void>;
  getCampaign(campaignId: string): Promise<SwarmCampaign | null>;
  /** Adds a run record; the same (run, attempt, session) twice is stored once. */
  addRecord(entry: SwarmRunRecord): Promise<void>;
  /** Up to `limit` records of the campaign not yet marked fetched. */
  unfetchedRecords(campaignId: string, limit: number): Promise<SwarmRunRecord[]>;
  /** Marks records (by recordKey) as safely stored by the client. */
  markFetched(campaignId: string, keys: readonly string[]): Promise<void>;
  /** Every campaign, the latest submitted first, with its runs counted (see latestFirst). */
  listCampaigns(): Promise<CampaignSummary[]>;
  /** The latest record of each run of the campaign that has one, by run number, paged over runs. */
  runRecords(campaignId: string, page: RunPage): Promise<SwarmRunRecord[]>;
  /** The latest record of one run, or null if the run has none. */
  latestRecord(campaignId: string, runNumber: number): Promise<SwarmRunRecord | null>;
}

/** Identity of a record: a runner that retries its write must not add it twice. */
export function recordKey(entry: SwarmRunRecord): string {
  const { record } = entry;
  return `${entry.campaignId}/${record.runNumber}/${record.attempt}/${record.sessionId}`;
}

/**
 * The order of a campaign's records in which each run's latest record comes first: by run number, then
 * the attempt that ended last (retries, and resubmissions in later sessions, restart attempt numbers
 * at 1), then the higher attempt for records that ended in the same millisecond. `endedAt` is an ISO
 * string, compared as a string as MongoDB sorts it.
 */
export function latestFirst(a: RunRecord, b: RunRecord): number {
  if (a.runNumber !== b.runNumber) return a.runNumber - b.runNumber;
  if (a.endedAt !== b.endedAt) return a.endedAt > b.endedAt ? -1 : 1;
  return b.attempt - a.attempt;
}
