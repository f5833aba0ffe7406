/**
 * What a swarm runner does with one unit from the queue: look up its campaign, make sure the built
 * artifact is on this node, run the unit in a private workspace with the same runner as the local
 * backend, store every result file as a blob and the run record in the campaign store. A run lost to
 * the infrastructure makes the unit fail transiently, so the queue retries it (on any node); a
 * simulation error is recorded and final. Runs cut off because this runner is stopping (SIGTERM, a
 * spot interruption notice) are neither: they are handed back to the queue unrecorded, and run again
 * elsewhere as the same attempt.
 */
import os from 'node:os';
import path from 'node:path';
import { FileResultStore } from '../adapters/local/file-result-store.js';
import { resolveProgram } from '../adapters/local/preflight.js';
import { ProcessRunExecutor } from '../adapters/local/process-run-executor.js';
import { UnitFailedPermanentlyError, UnitHandedBackError } from '../core/errors.js';
import { executeUnit } from '../core/run-unit.js';
import { readInvocation } from '../core/simulation-args.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { CampaignStore, StoredResultFile, SwarmCampaign } from '../ports/campaign-store.js';
import type { AbandonedHandler, QueuedUnit, UnitHandler } from '../ports/run-queue.js';
import type { RunRecord, RunSpec } from '../core/campaign.js';
import type { ArtifactCache } from './artifact-cache.js';
import { createTaskWorkspace } from './task-workspace.js';

export interface RunnerWorkerDeps {
  readonly campaigns: CampaignStore;
  readonly blobs: BlobStore;
  readonly artifacts: ArtifactCache;
  /** Where task workspaces are made (node-local disk). */
  readonly scratchDir: string;
  /**
   * Aborted when the runner is told to stop: running simulations are ended and their units handed
   * back, without spending an attempt. The consumer must be closed too, or it takes them again.
   */
  readonly stop: AbortSignal;
}

/** Thrown to make the queue retry a unit: some of its runs were lost to the infrastructure. */
export class UnitLostError extends Error {
  override readonly name = 'UnitLostError';
}

/** The queue every runner consumes. */
export const RUN_QUEUE = 'runs';

/** Campaign definitions a runner keeps: a node works on a handful of campaigns at a time. */
const CACHED_CAMPAIGNS = 16;

export function runnerWorker(deps: RunnerWorkerDeps): UnitHandler {
  // A campaign's definition never changes once stored (a resubmission only moves its session), so
  // each runner reads it once rather than once per unit.
  const definitions = new Map<string, SwarmCampaign>();
  const definitionOf = async (unit: QueuedUnit): Promise<SwarmCampaign> => {
    const cached = definitions.get(unit.campaignId);
    if (cached !== undefined) return cached;
    const campaign = await deps.campaigns.getCampaign(unit.campaignId);
    if (campaign === null)
      throw new UnitFailedPermanentlyError(`unit ${unit.id}: no campaign ${unit.campaignId}`);
    if (definitions.size >= CACHED_CAMPAIGNS) definitions.delete(definitions.keys().next().value as string);
    definitions.set(unit.campaignId, campaign);
    return campaign;
  };

  return async (unit: QueuedUnit, attempt: number) => {
    const campaign = await definitionOf(unit);
    const artifact = await deps.artifacts.ensure(campaign.artifactKey);
    // Taken while the runner was being stopped (a consumer may still fetch while it closes).
    if (deps.stop.aborted) throw handedBack(unit, unit.runs);
    const workspace = await createTaskWorkspace(artifact.dir, deps.scratchDir, campaign.resultDir);
    try {
      const workingDir = path.join(workspace.root, campaign.workingDir);
      const programPath = await resolveProgram(campaign.program, workingDir);
      const execution = await executeUnit(
        {
          runs: unit.runs,
          invocation: readInvocation(campaign.args),
          runTimeoutMs: campaign.runTimeoutMs,
          attemptOf: () => attempt,
          sessionId: campaign.sessionId,
          fingerprint: campaign.fingerprint,
        },
        {
          executor: new ProcessRunExecutor(programPath, workingDir, campaign.program),
          files: new FileResultStore(workspace.resultDir, workingDir),
        },
        deps.stop,
      );
      // A run we cut off has no outcome to record; worse, its record would carry the attempt number
      // the run gets again when handed back, and the store would then drop the real outcome as a
      // duplicate. Its batch-mates that finished before the stop are recorded as usual.
      const stopped = execution.execution.interrupted;
      const settled = (await execution.settle()).filter(
        (record) => !stopped || record.status !== 'interrupted',
      );
      // A resubmission may have joined this unit while it ran (same id, still running): its records
      // then belong to the newest submission, which is the one waiting for them. Read while the
      // result files upload.
      const [current, uploads] = await Promise.all([
        deps.campaigns.getCampaign(unit.campaignId),
        Promise.all(settled.map((record) => uploadResults(record, workingDir, workspace.resultDir))),
      ]);
      const records = settled.map((record) => ({ ...record, sessionId: (current ?? campaign).sessionId }));
      await Promise.all(
        records.map((record, i) =>
          deps.campaigns.addRecord({ campaignId: unit.campaignId, record, results: uploads[i] ?? [] }),
        ),
      );
      const recorded = new Set(records.map((record) => record.runNumber));
      const unfinished = unit.runs.filter((run) => !recorded.has(run.runNumber));
      const lost = records.filter((r) => r.status === 'lost');
      // A lost run's record holds this attempt's number, so it can only run again as the next attempt:
      // then the unit is retried as usual, spending the attempt.
      if (stopped && lost.length === 0 && unfinished.length > 0) throw handedBack(unit, unfinished);
      if (lost.length > 0 || execution.skipped.length > 0) {
        const which = [...lost.map((r) => r.runNumber), ...execution.skipped.map((r) => r.runNumber)];
        throw new UnitLostError(
          `unit ${unit.id} on ${os.hostname()}: runs ${which.join(', ')} did not finish`,
        );
      }
    } finally {
      await workspace.dispose();
    }
  };

  /** Stores a run's result files side by side; in the order of record.files, which the client relies on. */
  function uploadResults(
    record: RunRecord,
    workingDir: string,
    resultDir: string,
  ): Promise<StoredResultFile[]> {
    return Promise.all(
      record.files.map(async (file) => {
        // Content-addressed: a retried upload, or the same bytes from another run, is stored once.
        const blobKey = `result-${file.sha256}`;
        await deps.blobs.putFile(blobKey, path.join(workingDir, file.path));
        return { name: path.relative(resultDir, path.join(workingDir, file.path)), blobKey };
      }),
    );
  }
}

/** A runner that is stopping gives back what it did not finish; it is not the unit's fault. */
function handedBack(unit: QueuedUnit, runs: readonly RunSpec[]): UnitHandedBackError {
  const numbers = runs.map((run) => run.runNumber);
  return new UnitHandedBackError(
    `unit ${unit.id} on ${os.hostname()}: the runner is stopping; runs ${numbers.join(', ')} handed back`,
    numbers,
  );
}

/**
 * The record of runs the queue gave up on because the workers running them kept vanishing: there is
 * no process outcome to classify, only the queue's reason. Marked as the unit's final attempt, so the
 * client stops waiting for them.
 */
export function abandonedRunsRecorder(campaigns: CampaignStore): AbandonedHandler {
  return async (unit, reason, finalAttempt) => {
    const campaign = await campaigns.getCampaign(unit.campaignId);
    if (campaign === null) return;
    const now = new Date().toISOString();
    for (const run of unit.runs) {
      const record: RunRecord = {
        v: 1,
        runNumber: run.runNumber,
        configName: run.configName,
        description: run.description,
        status: 'lost',
        attempt: finalAttempt,
        failure: { kind: 'worker-lost', message: `the swarm lost the run: ${reason}` },
        exitCode: null,
        signal: null,
        startedAt: now,
        endedAt: now,
        durationMs: 0,
        events: null,
        simTime: null,
        termination: null,
        peakRssKb: null,
        host: os.hostname(),
        argv: [],
        batchSize: unit.runs.length,
        sessionId: campaign.sessionId,
        fingerprint: campaign.fingerprint,
        files: [],
      };
      await campaigns.addRecord({ campaignId: unit.campaignId, record, results: [] });
    }
  };
}
