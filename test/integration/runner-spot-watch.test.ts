/**
 * The runner service (swarm/services/runner.ts, the real runRunner) on spot capacity: with
 * INET_SWARM_SPOT_WATCH=1 it watches a fake instance metadata service (IMDSv2: a session token, then
 * spot/instance-action). On a notice it takes no more units and ends the running one as SIGTERM does:
 * its unit goes back to the queue without spending an attempt and without a record of the cut-off
 * run, and a runner on another node then runs it to the end as the same attempt. Real Redis (BullMQ)
 * and FerretDB; the demo simulation.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { MongoClient } from 'mongodb';
import { create } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BullMqRunQueue } from '../../lib/adapters/bullmq/bullmq-run-queue.js';
import { ProcessSimulationProgram } from '../../lib/adapters/local/process-simulation-program.js';
import { GridFsBlobStore } from '../../lib/adapters/mongo/grid-fs-blob-store.js';
import { MongoCampaignStore } from '../../lib/adapters/mongo/mongo-campaign-store.js';
import { planCampaign } from '../../lib/core/plan.js';
import type { SwarmRunRecord } from '../../lib/ports/campaign-store.js';
import { RUN_QUEUE } from '../../lib/swarm/runner-worker.js';
import type { ServiceConfig } from '../../swarm/services/config.js';
import { runRunner } from '../../swarm/services/runner.js';
import { startFerretDb, type TestMongo } from '../support/ferretdb-server.js';
import { startRedis, type TestRedis } from '../support/redis-server.js';
import { repoRoot } from '../support/repo.js';

const tmp = (label: string) => mkdtempSync(path.join(os.tmpdir(), `spot-watch-${label}-`));

/** Two runs of a few seconds each: long enough to be cut off by the notice. */
const LONG_INI = `[General]
network = Net
Net.numStations = 4
Net.source.interArrivalTime = exponential(0.1s)
Net.queue[*].serviceTime = exponential(0.08s)
**.samplingPeriod = 14400s
**.vector-recording = false

[Config Long]
repeat = 2
sim-time-limit = 300000s
`;

/** IMDSv2 as the SpotInterruptionWatcher uses it; `notice` switches the interruption notice on. */
class FakeImds {
  notice = false;
  requests = 0;
  private readonly server: Server = createServer((request, response) => {
    this.requests += 1;
    if (request.method === 'PUT' && request.url === '/latest/api/token') {
      response.end('imds-session-token');
    } else if (
      request.url === '/latest/meta-data/spot/instance-action' &&
      request.headers['x-aws-ec2-metadata-token'] === 'imds-session-token' &&
      this.notice
    ) {
      response.setHeader('Content-Type', 'application/json');
      response.end(JSON.stringify({ action: 'terminate', time: '2026-01-01T00:02:00Z' }));
    } else {
      response.statusCode = 404;
      response.end();
    }
  });

  async start(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    return `http://127.0.0.1:${address.port}`;
  }

  stop(): void {
    this.server.closeAllConnections();
    this.server.close();
  }
}

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | null | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

let redis: TestRedis;
let mongo: TestMongo;
let client: MongoClient;
const imds = new FakeImds();
let imdsUrl: string;

beforeAll(async () => {
  [redis, mongo, imdsUrl] = await Promise.all([startRedis(), startFerretDb(), imds.start()]);
  client = new MongoClient(mongo.url);
  await client.connect();
});
afterAll(async () => {
  imds.stop();
  await client?.close();
  await Promise.all([redis?.stop(), mongo?.stop()]);
});

describe('a runner watching for spot interruptions', () => {
  it('stops taking units on a notice and hands back the running one, which another runner finishes', async () => {
    const db = client.db('spot');
    const campaigns = new MongoCampaignStore(db);
    const project = tmp('project');
    mkdirSync(path.join(project, 'sims'));
    copyFileSync(path.join(repoRoot, 'examples/demo/demo'), path.join(project, 'sims', 'demo'));
    writeFileSync(path.join(project, 'sims', 'omnetpp.ini'), LONG_INI);
    const archive = path.join(tmp('archive'), 'artifact.tar.gz');
    await create({ file: archive, cwd: project, gzip: true, portable: true }, ['sims']);
    await new GridFsBlobStore(db).putFile('artifact-spot', archive);
    const plan = await planCampaign(
      { program: './demo', args: ['-c', 'Long'], workingDir: path.join(project, 'sims') },
      {
        program: new ProcessSimulationProgram(path.join(project, 'sims', 'demo'), path.join(project, 'sims')),
        readFile: (file) => readFileSync(file, 'utf8'),
      },
    );
    const id = plan.campaignId;
    await campaigns.putCampaign({
      campaignId: id,
      artifactKey: 'artifact-spot',
      program: './demo',
      args: ['-c', 'Long'],
      workingDir: 'sims',
      resultDir: 'sims/results',
      runTimeoutMs: null,
      sessionId: 'session-1',
      fingerprint: 'fingerprint-1',
      configName: 'Long',
      totalRuns: 2,
      submittedAt: new Date().toISOString(),
    });

    const config = (label: string): ServiceConfig => ({
      redis: { host: '127.0.0.1', port: redis.port, password: redis.password },
      mongo: { url: mongo.url, username: null, password: null, database: 'spot' },
      scratchDir: tmp(label),
      extractLimits: { maxBytes: 2 ** 30, maxEntries: 10_000 },
    });
    const runnerEnv = (spotWatch: string) => ({
      RUNNER_CONCURRENCY: '1',
      INET_SWARM_SPOT_WATCH: spotWatch,
      AWS_EC2_METADATA_SERVICE_ENDPOINT: imdsUrl,
    });
    const connection = redis.client();
    const runQueue = new BullMqRunQueue(connection, RUN_QUEUE);
    const queue = new Queue(RUN_QUEUE, { connection });
    const records = async (): Promise<SwarmRunRecord[]> => campaigns.unfetchedRecords(id, 100);

    // The spot runner, on its own.
    const spotStop = new AbortController();
    let spotEnded = false;
    const spot = runRunner(config('spot'), spotStop.signal, runnerEnv('1'), {
      spotWatchIntervalMs: 50,
    }).finally(() => (spotEnded = true));
    const otherStop = new AbortController();
    let other: Promise<void> | null = null;
    try {
      await waitFor('the spot runner to poll the metadata service', () =>
        Promise.resolve(imds.requests >= 2),
      );
      await waitFor('the spot runner to consume', async () => (await queue.getWorkersCount()) === 1);
      await runQueue.enqueue(
        plan.runs.map((run, i) => ({
          id: `${id}-${run.runNumber}`,
          campaignId: id,
          runs: [run],
          priority: i + 1,
        })),
        // maxRetries 0: a notice that spent the attempt would leave the run lost for good.
        { attempts: 1, backoffMs: 100 },
      );
      await waitFor('the first unit to run', async () => (await queue.getJobState(`${id}-0`)) === 'active');

      imds.notice = true;
      // The runner no longer consumes, yet stays up (exiting would make Docker restart it on this node).
      await waitFor('the spot runner to stop consuming', async () => (await queue.getWorkersCount()) === 0);
      // Handed back: queued again, the attempt not spent and the cut-off run not recorded.
      await waitFor('the unit to be back in the queue', async () =>
        ['delayed', 'waiting', 'prioritized'].includes(await queue.getJobState(`${id}-0`)),
      );
      expect((await queue.getJob(`${id}-0`))?.attemptsMade).toBe(0);
      expect(await records()).toEqual([]);
      expect(['waiting', 'prioritized']).toContain(await queue.getJobState(`${id}-1`));
      expect(spotEnded).toBe(false);
      const requestsAfterNotice = imds.requests;

      // A runner on another node (no spot watch) takes both units and runs them to the end.
      other = runRunner(config('other'), otherStop.signal, runnerEnv('0'));
      const finished = await waitFor('both runs to finish', async () => {
        const ok = (await records()).filter((entry) => entry.record.status === 'ok');
        return ok.length === 2 ? ok : null;
      });
      expect(finished.map((entry) => [entry.record.runNumber, entry.record.attempt]).sort()).toEqual([
        [0, 1],
        [1, 1],
      ]);
      // One record per run, the other runner's: nothing of the cut-off run 0 was kept.
      expect(await records()).toHaveLength(2);
      // The watcher stopped with the notice, and the other runner never asked.
      expect(imds.requests).toBe(requestsAfterNotice);
      expect(spotEnded).toBe(false);
    } finally {
      spotStop.abort();
      otherStop.abort();
      await Promise.all([spot, other]);
      await Promise.all([queue.close(), runQueue.close()]);
      connection.disconnect();
    }
  }, 120_000);
});
