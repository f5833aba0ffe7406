/** One contract for every CampaignStore: in memory, and MongoDB on a real FerretDB. */
import { describe, expect, it } from 'vitest';
import { InMemoryCampaignStore } from '../../lib/adapters/in-process/in-memory-campaign-store.js';
import { MongoCampaignStore } from '../../lib/adapters/mongo/mongo-campaign-store.js';
import {
  recordKey,
  type CampaignStore,
  type SwarmCampaign,
  type SwarmRunRecord,
} from '../../lib/ports/campaign-store.js';
import { useFerretDb } from '../support/ferretdb-server.js';
import { runRecord } from '../support/run-record.js';

const mongoClient = useFerretDb();
let databases = 0;

const adapters: [string, () => CampaignStore][] = [
  ['InMemoryCampaignStore', () => new InMemoryCampaignStore()],
  ['MongoCampaignStore', () => new MongoCampaignStore(mongoClient().db(`campaigns${databases++}`))],
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
  return {
    campaignId,
    record: runRecord(runNumber, { attempt, files: [] }),
    results: [{ name: `C-x=${runNumber}-#0.sca`, blobKey: `result-${runNumber}` }],
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
