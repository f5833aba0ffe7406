/**
 * Everything a campaign report shows, gathered from the state directory (the manifest every backend
 * writes, the sessions and submissions with their provenance, builds and cost). The renderer turns it
 * into one self-contained HTML file; gathering and rendering are separate so each is tested alone.
 */
import type { FailureKind, RunStatus } from '../core/campaign.js';

export type Backend = 'local' | 'swarm' | 'aws';

/** One attempt of one run: a manifest line, with the fields the plots need. */
export interface ReportAttempt {
  readonly runNumber: number;
  readonly configName: string;
  /** `$numHosts=10, $iaMean=1, $repetition=0`. */
  readonly description: string;
  readonly status: RunStatus;
  readonly attempt: number;
  readonly failureKind: FailureKind | null;
  readonly failureMessage: string | null;
  /** Epoch ms. */
  readonly startedAt: number;
  readonly endedAt: number;
  readonly durationMs: number;
  /** The machine (local), swarm node or cluster instance that ran it. */
  readonly host: string;
  readonly sessionId: string;
  readonly events: number | null;
  readonly peakRssKb: number | null;
}

/** Where a session's results came from. */
export interface ReportProvenance {
  readonly programVersion: string | null;
  readonly gitCommit: string | null;
  readonly gitDirty: boolean | null;
  readonly sourceHash: string | null;
  readonly fingerprint: string | null;
  /** The machine that submitted the session. */
  readonly host: string | null;
  readonly nodeVersion: string | null;
}

/** One invocation of run/submit on the campaign. */
export interface ReportSession {
  readonly sessionId: string;
  readonly backend: Backend;
  /** Epoch ms. */
  readonly startedAt: number;
  /** Runs at a time on this machine (local); null on a swarm or cluster. */
  readonly jobs: number | null;
  readonly provenance: ReportProvenance;
}

/** A build of the source in the swarm or cluster (swarm, aws); local campaigns have none. */
export interface ReportBuild {
  readonly sessionId: string;
  readonly backend: Backend;
  readonly command: string | null;
  /** Epoch ms, or null when only the duration is known. */
  readonly startedAt: number | null;
  readonly durationMs: number;
  /** True when an identical earlier build was reused instead of building. */
  readonly cached: boolean;
  readonly ok: boolean;
}

/** What a session cost (aws); local and swarm sessions run on hardware the user already has. */
export interface ReportCost {
  readonly sessionId: string;
  readonly backend: Backend;
  /** Cluster price in USD per hour, managers and workers. */
  readonly usdPerHour: number;
  /** Spent so far, or in all once the cluster is gone. */
  readonly spentUsd: number;
  /** Hours the cluster existed (or has existed so far). */
  readonly clusterHours: number;
  readonly budgetUsd: number | null;
  /** e.g. `1 x t3.medium manager(s), 2 x c6i.xlarge (0 on demand, the rest spot) in eu-west-1`. */
  readonly cluster: string;
}

export interface ReportData {
  readonly campaignId: string;
  readonly configName: string;
  readonly program: string;
  readonly args: readonly string[];
  readonly workingDir: string;
  readonly resultDir: string;
  /** Runs the plan selects (the campaign's size), when known. */
  readonly plannedRuns: number | null;
  /** Epoch ms. */
  readonly generatedAt: number;
  readonly sessions: readonly ReportSession[];
  /** Every attempt, in manifest order. */
  readonly attempts: readonly ReportAttempt[];
  readonly builds: readonly ReportBuild[];
  readonly costs: readonly ReportCost[];
}
