/**
 * The swarm runner end to end without Docker: units through BullMQ on a real Redis, the artifact and
 * result files in GridFS and the run records in MongoDB on a real FerretDB, the demo simulation run by
 * the same runner code as the local backend. Results must equal running each run by hand. A runner
 * that is stopped hands its unit back without spending an attempt; a run that dies on its own spends
 * one.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { MongoClient, type Db } from 'mongodb';
import { create } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BullMqRunQueue } from '../../lib/adapters/bullmq/bullmq-run-queue.js';
import { ProcessSimulationProgram } from '../../lib/adapters/local/process-simulation-program.js';
import { GridFsBlobStore } from '../../lib/adapters/mongo/grid-fs-blob-store.js';
import { MongoCampaignStore } from '../../lib/adapters/mongo/mongo-campaign-store.js';
import type { CampaignPlan, RunSpec } from '../../lib/core/campaign.js';
import { planCampaign } from '../../lib/core/plan.js';
import type { SwarmRunRecord } from '../../lib/ports/campaign-store.js';
import type { QueuedUnit, RunQueue } from '../../lib/ports/run-queue.js';
import { ArtifactCache } from '../../lib/swarm/artifact-cache.js';
import { runnerWorker } from '../../lib/swarm/runner-worker.js';
import { normalisedResult } from '../e2e/helpers.js';
import { startFerretDb, type TestMongo } from '../support/ferretdb-server.js';
import { startRedis, type TestRedis } from '../support/redis-server.js';
import { repoRoot } from '../support/repo.js';

const tmp = (label: string) => mkdtempSync(path.join(os.tmpdir(), `swarm-runner-${label}-`));

/** A project laid out as users have it: the simulation in `sims/`, results in `sims/results`. */
function project(): string {
  const dir = tmp('project');
  mkdirSync(path.join(dir, 'sims'));
  copyFileSync(path.join(repoRoot, 'examples/demo/demo'), path.join(dir, 'sims', 'demo'));
  copyFileSync(path.join(repoRoot, 'examples/demo/omnetpp.ini'), path.join(dir, 'sims', 'omnetpp.ini'));
  return dir;
}

/** Two runs batched in one process: run 0 ends at once, run 1 takes seconds (long enough to be cut off). */
const BATCH_INI = `[General]
network = Net
Net.numStations = 4
Net.source.interArrivalTime = exponential(0.1s)
Net.queue[*].serviceTime = exponential(0.08s)
**.samplingPeriod = 14400s
**.vector-recording = false

[Config Batch]
sim-time-limit = \${simTime=14400, 600000}s
`;

/** A "simulation" that dies of a signal nobody sent it (as a segfault or the OOM killer would). */
const CRASHING_PROGRAM = '#!/bin/sh\nkill -KILL $$\n';

/**
 * The demo with BATCH_INI (and the crashing program beside it) in `sims/`, built into an artifact and
 * stored as a campaign of config `Batch` that runs `program`; planned with the demo either way.
 */
async function batchCampaign(db: Db, program: './demo' | './crash'): Promise<CampaignPlan> {
  const source = tmp('project');
  mkdirSync(path.join(source, 'sims'));
  copyFileSync(path.join(repoRoot, 'examples/demo/demo'), path.join(source, 'sims', 'demo'));
  writeFileSync(path.join(source, 'sims', 'omnetpp.ini'), BATCH_INI);
  writeFileSync(path.join(source, 'sims', 'crash'), CRASHING_PROGRAM, { mode: 0o755 });
  const archive = path.join(tmp('archive'), 'artifact.tar.gz');
  await create({ file: archive, cwd: source, gzip: true, portable: true }, ['sims']);
  await new GridFsBlobStore(db).putFile('artifact-batch', archive);
  const plan = await planCampaign(
    { program: './demo', args: ['-c', 'Batch'], workingDir: path.join(source, 'sims') },
    {
      program: new ProcessSimulationProgram(path.join(source, 'sims', 'demo'), path.join(source, 'sims')),
      readFile: (file) => readFileSync(file, 'utf8'),
    },
  );
  await new MongoCampaignStore(db).putCampaign({
    campaignId: plan.campaignId,
    artifactKey: 'artifact-batch',
    program,
    args: ['-c', 'Batch'],
    workingDir: 'sims',
    resultDir: 'sims/results',
    runTimeoutMs: null,
    sessionId: 'session-1',
    fingerprint: 'fingerprint-1',
    configName: 'Batch',
    totalRuns: plan.runs.length,
    submittedAt: new Date().toISOString(),
  });
  return plan;
}

interface TestRunner {
  /** Aborted as the runner service aborts it on SIGTERM. */
  readonly stop: AbortController;
  readonly close: () => Promise<void>;
  /** Where its task workspaces are made. */
  readonly scratchDir: string;
}

/** A runner of its own (own scratch and artifact cache, as on another node), one run at a time. */
function startRunner(queue: RunQueue, db: Db, label: string): TestRunner {
  const stop = new AbortController();
  const scratchDir = tmp(`${label}-scratch`);
  const blobs = new GridFsBlobStore(db);
  const artifacts = new ArtifactCache(blobs, {
    dir: tmp(`${label}-cache`),
    limits: { maxBytes: 1 << 30, maxEntries: 10_000 },
  });
  const consumer = queue.consume(
    runnerWorker({ campaigns: new MongoCampaignStore(db), blobs, artifacts, scratchDir, stop: stop.signal }),
    1,
  );
  return { stop, close: () => consumer.close(), scratchDir };
}

/** Whether a runner's workspace holds the run's Cmdenv output: the program has started the run. */
function runStarted(scratchDir: string, run: RunSpec): boolean {
  const out = `${path.basename(run.resultStem)}.out`;
  return readdirSync(scratchDir, { recursive: true, encoding: 'utf8' }).some(
    (entry) => path.basename(entry) === out,
  );
}

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** [run, status, attempt] of each record, in run then attempt order. */
function outcomes(records: readonly SwarmRunRecord[]): [number, string, number][] {
  return records
    .map(({ record }): [number, string, number] => [record.runNumber, record.status, record.attempt])
    .sort((a, b) => a[0] - b[0] || a[2] - b[2]);
}

let redis: TestRedis | undefined;
let mongo: TestMongo | undefined;
let client: MongoClient | undefined;

beforeAll(async () => {
  [redis, mongo] = await Promise.all([startRedis(), startFerretDb()]);
  client = new MongoClient(mongo.url);
  await client.connect();
});
afterAll(async () => {
  await client?.close();
  await Promise.all([redis?.stop(), mongo?.stop()]);
});

describe('the swarm runner', () => {
  it('runs a campaign from the queue and stores results identical to running by hand', async () => {
    const db = (client as MongoClient).db('swarm');
    const blobs = new GridFsBlobStore(db);
    const campaigns = new MongoCampaignStore(db);
    const connection = (redis as TestRedis).client();
    const queue = new BullMqRunQueue(connection, 'runs-swarm-test');

    // The "build": the project's tree as an artifact in GridFS.
    const source = project();
    const archive = path.join(tmp('archive'), 'artifact.tar.gz');
    await create({ file: archive, cwd: source, gzip: true, portable: true }, ['sims']);
    await blobs.putFile('artifact-demo', archive);

    const plan = await planCampaign(
      { program: './demo', args: ['-c', 'Failing'], workingDir: path.join(source, 'sims') },
      {
        program: new ProcessSimulationProgram(path.join(source, 'sims', 'demo'), path.join(source, 'sims')),
        readFile: (file) => readFileSync(file, 'utf8'),
      },
    );
    await campaigns.putCampaign({
      campaignId: plan.campaignId,
      artifactKey: 'artifact-demo',
      program: './demo',
      args: ['-c', 'Failing'],
      workingDir: 'sims',
      resultDir: 'sims/results',
      runTimeoutMs: 60_000,
      sessionId: 'session-1',
      fingerprint: 'fingerprint-1',
      configName: 'Failing',
      totalRuns: plan.runs.length,
      submittedAt: new Date().toISOString(),
    });
    await queue.enqueue(
      plan.runs.map((run, i) => ({
        id: `${plan.campaignId}-${run.runNumber}`,
        campaignId: plan.campaignId,
        runs: [run],
        priority: i + 1,
      })),
      { attempts: 3, backoffMs: 100 },
    );

    const stop = new AbortController();
    const artifacts = new ArtifactCache(blobs, {
      dir: tmp('cache'),
      limits: { maxBytes: 1 << 30, maxEntries: 10_000 },
    });
    const consumer = queue.consume(
      runnerWorker({ campaigns, blobs, artifacts, scratchDir: tmp('scratch'), stop: stop.signal }),
      2,
    );
    let records: SwarmRunRecord[] = [];
    for (let i = 0; i < 600 && records.length < plan.runs.length; i++) {
      records = await campaigns.unfetchedRecords(plan.campaignId, 1000);
      if (records.length < plan.runs.length) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await consumer.close();
    const pending = await queue.pending(plan.campaignId);
    await queue.close();
    await connection.quit();

    expect(records).toHaveLength(plan.runs.length);
    const failed = records.filter((r) => r.record.status === 'failed');
    expect(failed.map((r) => r.record.runNumber).sort()).toEqual([6, 7, 8]);
    expect(failed.every((r) => r.record.failure?.message.startsWith('<!> Error: Queue overflow'))).toBe(true);
    expect(records.filter((r) => r.record.status === 'ok')).toHaveLength(plan.runs.length - 3);
    expect(pending).toBe(0);

    // Each run by hand in a local copy of the project, with opp_runall's switches.
    const byHand = project();
    const out = tmp('fetched');
    for (const { record, results } of records.filter((r) => r.record.status === 'ok')) {
      execFileSync(
        './demo',
        [
          '-c',
          'Failing',
          '-s',
          '-u',
          'Cmdenv',
          '--cmdenv-redirect-output=true',
          '-r',
          String(record.runNumber),
        ],
        {
          cwd: path.join(byHand, 'sims'),
        },
      );
      expect(results.map((r) => path.extname(r.name)).sort()).toEqual(['.out', '.sca', '.vci', '.vec']);
      for (const result of results.filter((r) => !r.name.endsWith('.out'))) {
        const fetched = path.join(out, `${record.runNumber}-${path.basename(result.name)}`);
        await blobs.getFile(result.blobKey, fetched);
        expect(normalisedResult(fetched), result.name).toBe(
          normalisedResult(path.join(byHand, 'sims', 'results', result.name)),
        );
      }
    }
  });

  it('hands a unit cut off by a stop back without spending its only attempt; another runner finishes it', async () => {
    const db = (client as MongoClient).db('hand-back');
    const campaigns = new MongoCampaignStore(db);
    const plan = await batchCampaign(db, './demo');
    const [, long] = plan.runs as [RunSpec, RunSpec];
    const connection = (redis as TestRedis).client();
    const queue = new BullMqRunQueue(connection, 'runs-hand-back');
    const jobs = new Queue<QueuedUnit>('runs-hand-back', { connection });
    const unitId = `${plan.campaignId}-0`;
    // maxRetries 0: a stop that spent the attempt would leave the run lost for good.
    await queue.enqueue([{ id: unitId, campaignId: plan.campaignId, runs: plan.runs, priority: 1 }], {
      attempts: 1,
      backoffMs: 100,
    });

    const first = startRunner(queue, db, 'first');
    // Run 1 has started, so its batch-mate run 0 has finished: the stop cuts off run 1 only.
    await waitFor('run 1 to start', () => Promise.resolve(runStarted(first.scratchDir, long)));
    // As the runner service on SIGTERM: end the simulations, then stop consuming.
    first.stop.abort();
    await first.close();

    const handedBack = await jobs.getJob(unitId);
    expect(['delayed', 'waiting', 'prioritized']).toContain(await jobs.getJobState(unitId));
    expect(handedBack?.attemptsMade).toBe(0);
    // Run 0 is recorded and not run again; run 1, cut off, has no record under the attempt it runs again as.
    expect(handedBack?.data.runs.map((run) => run.runNumber)).toEqual([1]);
    expect(outcomes(await campaigns.unfetchedRecords(plan.campaignId, 100))).toEqual([[0, 'ok', 1]]);

    const second = startRunner(queue, db, 'second');
    await waitFor('the unit to complete', async () => (await jobs.getJobState(unitId)) === 'completed');
    await second.close();
    await Promise.all([jobs.close(), queue.close()]);
    await connection.quit();

    const records = await campaigns.unfetchedRecords(plan.campaignId, 100);
    expect(outcomes(records)).toEqual([
      [0, 'ok', 1],
      [1, 'ok', 1],
    ]);
    expect(records.find((entry) => entry.record.runNumber === 1)?.record.batchSize).toBe(1);
  });

  it('spends an attempt on each run killed by a signal the runner did not send', async () => {
    const db = (client as MongoClient).db('crash');
    const campaigns = new MongoCampaignStore(db);
    const plan = await batchCampaign(db, './crash');
    const connection = (redis as TestRedis).client();
    const queue = new BullMqRunQueue(connection, 'runs-crash');
    const jobs = new Queue<QueuedUnit>('runs-crash', { connection });
    const unitId = `${plan.campaignId}-0`;
    const [run] = plan.runs as [RunSpec];
    await queue.enqueue([{ id: unitId, campaignId: plan.campaignId, runs: [run], priority: 1 }], {
      attempts: 2,
      backoffMs: 100,
    });

    const runner = startRunner(queue, db, 'crash');
    await waitFor('the unit to fail', async () => (await jobs.getJobState(unitId)) === 'failed');
    await runner.close();
    const job = await jobs.getJob(unitId);
    await Promise.all([jobs.close(), queue.close()]);
    await connection.quit();

    expect(job?.attemptsMade).toBe(2);
    const records = await campaigns.unfetchedRecords(plan.campaignId, 100);
    expect(outcomes(records)).toEqual([
      [0, 'lost', 1],
      [0, 'lost', 2],
    ]);
    expect(records.every((entry) => entry.record.failure?.kind === 'signal')).toBe(true);
  });
});
