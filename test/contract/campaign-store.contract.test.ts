/** One contract for every CampaignStore: in memory, and MongoDB on a real FerretDB. */
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemoryCampaignStore } from '../../lib/adapters/in-process/in-memory-campaign-store.js';
import { MongoCampaignStore } from '../../lib/adapters/mongo/mongo-campaign-store.js';
import type { RunRecord } from '../../lib/core/campaign.js';
import {
  recordKey,
  type CampaignStore,
  type SwarmCampaign,
  type SwarmRunRecord,
} from '../../lib/ports/campaign-store.js';
import { startFerretDb, type TestMongo } from '../support/ferretdb-server.js';

let mongo: TestMongo | undefined;
let client: MongoClient | undefined;
let databases = 0;

beforeAll(async () => {
  mongo = await startFerretDb();
  client = new MongoClient(mongo.url);
  await client.connect();
});
afterAll(async () => {
  await client?.close();
  await mongo?.stop();
});

const adapters: [string, () => CampaignStore][] = [
  ['InMemoryCampaignStore', () => new InMemoryCampaignStore()],
  ['MongoCampaignStore', () => new MongoCampaignStore((client as MongoClient).db(`campaigns${databases++}`))],
];

const campaign = (campaignId: string, artifactKey = 'artifact-1'): SwarmCampaign => ({
  campaignId,
  artifactKey,
  program: './demo',
  args: ['-c', 'Quick'],
  workingDir: 'sims',
  resultDir: 'sims/results',
  runTimeoutMs: null,
  sessionId: 's1',
  fingerprint: 'f1',
});

function entry(campaignId: string, runNumber: number, attempt = 1): SwarmRunRecord {
  const record: RunRecord = {
    v: 1,
    runNumber,
    configName: 'Quick',
    description: `$x=${runNumber}, $repetition=0`,
    status: 'ok',
    attempt,
    failure: null,
    exitCode: 0,
    signal: null,
    startedAt: '2026-11-24T00:00:00.000Z',
    endedAt: '2026-11-24T00:00:01.000Z',
    durationMs: 1000,
    events: 10,
    simTime: '5',
    termination: '<!> Simulation time limit reached -- at t=5s, event #10',
    peakRssKb: 1000,
    host: 'node-1',
    argv: ['./demo', '-r', String(runNumber)],
    batchSize: 1,
    sessionId: 's1',
    fingerprint: 'f1',
    files: [],
  };
  return {
    campaignId,
    record,
    results: [{ name: `Quick-x=${runNumber}-#0.sca`, blobKey: `result-${runNumber}` }],
  };
}

describe.each(adapters)('CampaignStore contract: %s', (_name, create) => {
  it('keeps the first definition of a campaign', async () => {
    const store = create();
    expect(await store.getCampaign('c1')).toBeNull();
    await store.putCampaign(campaign('c1'));
    await store.putCampaign(campaign('c1', 'artifact-2'));
    expect(await store.getCampaign('c1')).toEqual(campaign('c1'));
  });

  it('hands out each record until the client marks it fetched, once however often it was written', async () => {
    const store = create();
    await store.addRecord(entry('c1', 0));
    await store.addRecord(entry('c1', 1));
    await store.addRecord(entry('c1', 1)); // a runner retrying its write
    await store.addRecord(entry('c2', 0));
    const first = await store.unfetchedRecords('c1', 10);
    expect(first.map((r) => r.record.runNumber).sort()).toEqual([0, 1]);
    expect(first.find((r) => r.record.runNumber === 1)).toEqual(entry('c1', 1));

    await store.markFetched('c1', [recordKey(entry('c1', 0))]);
    expect((await store.unfetchedRecords('c1', 10)).map((r) => r.record.runNumber)).toEqual([1]);
    await store.addRecord(entry('c1', 1, 2)); // a later attempt is a new record
    expect((await store.unfetchedRecords('c1', 10)).map((r) => r.record.attempt).sort()).toEqual([1, 2]);
    expect(await store.unfetchedRecords('c1', 1)).toHaveLength(1);
    expect((await store.unfetchedRecords('c2', 10)).map((r) => r.campaignId)).toEqual(['c2']);
  });
});
