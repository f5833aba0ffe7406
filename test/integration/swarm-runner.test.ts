/**
 * The swarm runner end to end without Docker: units through BullMQ on a real Redis, the artifact and
 * result files in GridFS and the run records in MongoDB on a real FerretDB, the demo simulation run by
 * the same runner code as the local backend. Results must equal running each run by hand.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { create } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BullMqRunQueue } from '../../lib/adapters/bullmq/bullmq-run-queue.js';
import { ProcessSimulationProgram } from '../../lib/adapters/local/process-simulation-program.js';
import { GridFsBlobStore } from '../../lib/adapters/mongo/grid-fs-blob-store.js';
import { MongoCampaignStore } from '../../lib/adapters/mongo/mongo-campaign-store.js';
import { planCampaign } from '../../lib/core/plan.js';
import type { SwarmRunRecord } from '../../lib/ports/campaign-store.js';
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
});
