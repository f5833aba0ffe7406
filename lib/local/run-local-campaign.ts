/**
 * The local backend: plans with the program's own queries, resumes from the manifest, and runs the
 * campaign on this machine's cores. This is the composition root that wires the core steps to the
 * local adapters; the swarm and aws backends wire the same steps to theirs.
 */
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CampaignPlan } from '../core/campaign.js';
import { executeCampaign, type CampaignOutcome } from '../core/execute-campaign.js';
import { planCampaign } from '../core/plan.js';
import { decideResume, type ResumeDecision } from '../core/resume.js';
import { RuntimeEstimator } from '../core/runtime-history.js';
import { readInvocation, runArgs } from '../core/simulation-args.js';
import { CampaignInputError } from '../core/errors.js';
import { CampaignLock } from '../adapters/local/campaign-lock.js';
import { FileResultStore } from '../adapters/local/file-result-store.js';
import { JsonlHistoryStore } from '../adapters/local/jsonl-history-store.js';
import { indexingManifest } from '../adapters/local/indexing-manifest-store.js';
import { JsonlManifestStore } from '../adapters/local/jsonl-manifest-store.js';
import {
  checkWorkingDir,
  ensureWritableDir,
  readTextOrUndefined,
  resolveProgram,
} from '../adapters/local/preflight.js';
import { ProcessRegistry } from '../adapters/local/process-registry.js';
import { ProcessRunExecutor } from '../adapters/local/process-run-executor.js';
import { ProcessSimulationProgram } from '../adapters/local/process-simulation-program.js';
import { collectProvenance } from '../adapters/local/provenance.js';
import { SessionLog } from '../adapters/local/session-log.js';
import { StateDir } from '../adapters/local/state-dir.js';
import type { CampaignObserver } from '../ports/campaign-observer.js';

export interface LocalCampaignOptions {
  readonly program: string;
  readonly args: readonly string[];
  readonly workingDir: string;
  readonly stateDir: string | null;
  readonly jobs: number;
  readonly maxBatchSize: number;
  readonly runTimeoutMs: number | null;
  readonly maxRetries: number;
  readonly retryDelayMs: number;
  readonly force: boolean;
  /** Write the plan to this file instead of running. */
  readonly exportFile: string | null;
}

export type LocalCampaignResult =
  | { readonly kind: 'exported'; readonly plan: CampaignPlan; readonly file: string }
  | {
      readonly kind: 'ran';
      readonly plan: CampaignPlan;
      readonly decision: ResumeDecision;
      readonly outcome: CampaignOutcome;
      readonly manifestFile: string;
    };

export async function runLocalCampaign(
  options: LocalCampaignOptions,
  observer: CampaignObserver,
  stop: AbortSignal,
): Promise<LocalCampaignResult> {
  const workingDir = path.resolve(options.workingDir);
  await checkWorkingDir(workingDir);
  const programPath = await resolveProgram(options.program, workingDir);
  const program = new ProcessSimulationProgram(programPath, workingDir);
  const plan = await planCampaign(
    { program: options.program, args: options.args, workingDir },
    {
      program,
      readFile: readTextOrUndefined,
    },
  );

  if (options.exportFile !== null) {
    const file = path.resolve(options.exportFile);
    // 'wx': an existing file is the user's and is never overwritten.
    await writeFile(file, `${JSON.stringify(exportedPlan(plan), null, 2)}\n`, { flag: 'wx' }).catch(
      (error: unknown) => {
        throw new CampaignInputError(`cannot write the plan to ${file}: ${(error as Error).message}`, {
          cause: error,
        });
      },
    );
    return { kind: 'exported', plan, file };
  }

  await ensureWritableDir(plan.resultDir, 'result directory');
  const state = new StateDir(options.stateDir ?? path.join(workingDir, '.inet-swarm'));
  await state.ensure();
  await ensureWritableDir(state.campaignDir(plan.campaignId), 'state directory');
  const lock = await CampaignLock.acquire(state.lockFile(plan.campaignId));
  const manifest = indexingManifest(
    new JsonlManifestStore(state.manifestFile(plan.campaignId)),
    { resultDir: plan.resultDir, workingDir },
    observer,
  );
  const history = new JsonlHistoryStore(state.historyFile());
  const registry = new ProcessRegistry(state.processesDir(plan.campaignId));
  try {
    const orphans = await registry.reapOrphans();
    if (orphans > 0) {
      observer.notify({
        type: 'notice',
        message: `stopped ${orphans} simulation process(es) left running by an earlier session that was killed`,
      });
    }
    const files = new FileResultStore(plan.resultDir, workingDir);
    const [provenance, records, samples] = await Promise.all([
      collectProvenance({
        programPath,
        workingDir,
        iniFiles: readInvocation(plan.args).iniFiles,
        excluded: [plan.resultDir, state.root],
        program,
      }),
      manifest.latestRecords(),
      history.load(plan.campaignId),
    ]);
    const decision = await decideResume(plan.runs, records, provenance.fingerprint, files, options.force);
    const sessionId = randomUUID();
    await new SessionLog(state.sessionsFile(plan.campaignId)).append({
      kind: 'session',
      sessionId,
      backend: 'local',
      startedAt: new Date().toISOString(),
      program: options.program,
      args: [...plan.args],
      workingDir,
      resultDir: plan.resultDir,
      jobs: options.jobs,
      plannedRuns: plan.runs.length,
      provenance,
    });

    const estimator = new RuntimeEstimator(plan.campaignId, plan.configName, samples);
    const outcome = await executeCampaign(
      plan,
      decision.todo,
      decision.reused.length,
      decision.reasons,
      estimator,
      {
        jobs: options.jobs,
        maxBatchSize: options.maxBatchSize,
        runTimeoutMs: options.runTimeoutMs,
        maxRetries: options.maxRetries,
        retryDelayMs: options.retryDelayMs,
        sessionId,
        fingerprint: provenance.fingerprint,
      },
      {
        executor: new ProcessRunExecutor(programPath, workingDir, options.program, registry),
        files,
        manifest,
        history,
        observer,
        now: () => Date.now(),
      },
      stop,
    );
    return { kind: 'ran', plan, decision, outcome, manifestFile: state.manifestFile(plan.campaignId) };
  } finally {
    await manifest.close();
    await history.close();
    await lock.release();
  }
}

/** The plan as `-e/--export` writes it: every run with the argv that would run it on its own. */
function exportedPlan(plan: CampaignPlan) {
  const invocation = readInvocation(plan.args);
  return {
    campaignId: plan.campaignId,
    program: plan.program,
    workingDir: plan.workingDir,
    resultDir: plan.resultDir,
    configName: plan.configName,
    runs: plan.runs.map((run) => ({
      runNumber: run.runNumber,
      description: run.description,
      resultStem: run.resultStem,
      argv: [plan.program, ...runArgs(invocation, [run.runNumber])],
    })),
  };
}
