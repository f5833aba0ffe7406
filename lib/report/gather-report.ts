/**
 * Gathers a campaign's report from its state directory: the manifest (every attempt, written alike by
 * every backend) and the session log (sessions with provenance, builds, cluster cost). Read-only.
 */
import { readdir, stat } from 'node:fs/promises';
import { JsonlManifestStore } from '../adapters/local/jsonl-manifest-store.js';
import { SessionLog, type SessionEntry } from '../adapters/local/session-log.js';
import type { StateDir } from '../adapters/local/state-dir.js';
import type { RunRecord } from '../core/campaign.js';
import { CampaignInputError } from '../core/errors.js';
import { readInvocation } from '../core/simulation-args.js';
import type { ReportAttempt, ReportBuild, ReportCost, ReportData, ReportSession } from './report-data.js';

/** The campaigns of a state directory, newest manifest first. */
export async function listCampaigns(state: StateDir): Promise<{ campaignId: string; modifiedMs: number }[]> {
  let ids: string[];
  try {
    ids = await readdir(state.campaignsDir());
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const campaigns = await Promise.all(
    ids.map(async (campaignId) => {
      const info = await stat(state.manifestFile(campaignId)).catch(() => null);
      return info === null ? null : { campaignId, modifiedMs: info.mtimeMs };
    }),
  );
  return campaigns.filter((c) => c !== null).sort((a, b) => b.modifiedMs - a.modifiedMs);
}

/**
 * The campaign the user means: an exact id, a unique id prefix, or a config name with one campaign;
 * none given: the campaign that ran last.
 */
export async function resolveCampaign(state: StateDir, wanted: string | null): Promise<string> {
  const campaigns = await listCampaigns(state);
  if (campaigns.length === 0)
    throw new CampaignInputError(`no campaign has run with the state directory ${state.root} yet`);
  if (wanted === null) return campaigns[0]!.campaignId;
  const exact = campaigns.find((c) => c.campaignId === wanted);
  if (exact !== undefined) return exact.campaignId;
  const matches = campaigns.filter(
    (c) => c.campaignId.startsWith(wanted) || c.campaignId.replace(/-[0-9a-f]{12}$/, '') === wanted,
  );
  if (matches.length === 1) return matches[0]!.campaignId;
  const known = campaigns.map((c) => c.campaignId).join(', ');
  throw new CampaignInputError(
    matches.length === 0
      ? `no campaign '${wanted}' in ${state.root} (campaigns: ${known})`
      : `'${wanted}' matches several campaigns: ${matches.map((c) => c.campaignId).join(', ')}`,
  );
}

function attemptOf(record: RunRecord): ReportAttempt {
  return {
    runNumber: record.runNumber,
    configName: record.configName,
    description: record.description,
    status: record.status,
    attempt: record.attempt,
    failureKind: record.failure?.kind ?? null,
    failureMessage: record.failure?.message ?? null,
    startedAt: Date.parse(record.startedAt),
    endedAt: Date.parse(record.endedAt),
    durationMs: record.durationMs,
    host: record.host,
    sessionId: record.sessionId,
    events: record.events,
    peakRssKb: record.peakRssKb,
  };
}

function sessionOf(entry: SessionEntry): ReportSession {
  const p = entry.provenance;
  return {
    sessionId: entry.sessionId,
    backend: entry.backend,
    startedAt: Date.parse(entry.startedAt),
    jobs: entry.jobs,
    provenance: {
      programVersion: p.programVersion ?? null,
      gitCommit: p.gitCommit ?? null,
      gitDirty: p.gitDirty ?? null,
      sourceHash: p.sourceHash ?? null,
      fingerprint: p.fingerprint ?? null,
      host: p.host ?? null,
      nodeVersion: p.nodeVersion ?? null,
    },
  };
}

export async function gatherReport(state: StateDir, campaignId: string, now: number): Promise<ReportData> {
  const attempts: ReportAttempt[] = [];
  const manifest = new JsonlManifestStore(state.manifestFile(campaignId));
  try {
    await manifest.forEachRecord((record) => attempts.push(attemptOf(record)));
  } finally {
    await manifest.close();
  }
  const entries = await new SessionLog(state.sessionsFile(campaignId)).readAll();
  const sessions: SessionEntry[] = [];
  const builds: ReportBuild[] = [];
  // The latest cost reading of each session is its figure.
  const costs = new Map<string, ReportCost>();
  for (const entry of entries) {
    if (entry.kind === 'session') sessions.push(entry);
    else if (entry.kind === 'build')
      builds.push({
        sessionId: entry.sessionId,
        backend: entry.backend,
        command: entry.command,
        startedAt: entry.startedAt === null ? null : Date.parse(entry.startedAt),
        durationMs: entry.durationMs,
        cached: entry.cached,
        ok: entry.ok,
      });
    else
      costs.set(entry.sessionId, {
        sessionId: entry.sessionId,
        backend: entry.backend,
        usdPerHour: entry.usdPerHour,
        spentUsd: entry.spentUsd,
        clusterHours: entry.clusterHours,
        budgetUsd: entry.budgetUsd,
        cluster: entry.cluster,
      });
  }
  const latest = sessions.at(-1);
  return {
    campaignId,
    configName:
      latest !== undefined ? readInvocation(latest.args).configName : (attempts.at(-1)?.configName ?? ''),
    program: latest?.program ?? '',
    args: latest?.args ?? [],
    workingDir: latest?.workingDir ?? '',
    resultDir: latest?.resultDir ?? '',
    plannedRuns: latest?.plannedRuns ?? null,
    generatedAt: now,
    sessions: sessions.map(sessionOf),
    attempts,
    builds,
    costs: [...costs.values()],
  };
}
