/** One contract for every CampaignStore: in memory, and MongoDB on a real FerretDB. */
import { describe, expect, it } from 'vitest';
import { InMemoryCampaignStore } from '../../lib/adapters/in-process/in-memory-campaign-store.js';
import { MongoCampaignStore } from '../../lib/adapters/mongo/mongo-campaign-store.js';
import type { RunRecord } from '../../lib/core/campaign.js';
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
  configName: 'Quick',
  totalRuns: 18,
  submittedAt: '2026-11-24T00:00:00.000Z',
});

function entry(campaignId: string, runNumber: number, attempt = 1): SwarmRunRecord {
  return {
    campaignId,
    record: runRecord(runNumber, { attempt, files: [] }),
    results: [{ name: `C-x=${runNumber}-#0.sca`, blobKey: `result-${runNumber}` }],
  };
}

/** An attempt of a run that ended at `endedAt` (seconds into the day) after `durationMs`. */
function attempt(
  campaignId: string,
  runNumber: number,
  overrides: Partial<RunRecord> & Pick<RunRecord, 'status' | 'endedAt'>,
): SwarmRunRecord {
  return {
    campaignId,
    record: runRecord(runNumber, { files: [], ...overrides }),
    results: [{ name: `C-x=${runNumber}-#0.out`, blobKey: `out-${runNumber}-${overrides.endedAt}` }],
  };
}

const at = (second: number) => `2026-11-24T00:00:${String(second).padStart(2, '0')}.000Z`;

/**
 * Runs whose latest record is not simply the only one. Run numbers are written out of order and
 * cross a digit boundary (2 < 10), so a store that sorted them as text would be caught.
 */
const history: SwarmRunRecord[] = [
  attempt('c1', 10, { status: 'ok', endedAt: at(5), durationMs: 4000 }),
  // lost twice to the infrastructure, then succeeded: ok
  attempt('c1', 2, { status: 'lost', endedAt: at(1), attempt: 1 }),
  attempt('c1', 2, { status: 'ok', endedAt: at(9), attempt: 3, durationMs: 3000 }),
  attempt('c1', 2, { status: 'lost', endedAt: at(4), attempt: 2 }),
  // a simulation error: failed
  attempt('c1', 0, { status: 'failed', endedAt: at(2), durationMs: 500 }),
  // ok in one session, stopped in a resubmission that restarted the attempts at 1: interrupted
  attempt('c1', 3, { status: 'ok', endedAt: at(3), attempt: 2, durationMs: 7000, sessionId: 's1' }),
  attempt('c1', 3, { status: 'interrupted', endedAt: at(8), attempt: 1, sessionId: 's2' }),
  // two attempts that ended in the same millisecond: the later attempt wins, lost
  attempt('c1', 5, { status: 'ok', endedAt: at(6), attempt: 1, durationMs: 100 }),
  attempt('c1', 5, { status: 'lost', endedAt: at(6), attempt: 2 }),
  // another campaign's run 2, which must not leak into c1
  attempt('c2', 2, { status: 'failed', endedAt: at(7) }),
];

describe.each(adapters)('CampaignStore contract: %s', (_name, create) => {
  it('keeps the first definition of a campaign, and takes the newest submission', async () => {
    const store = create();
    expect(await store.getCampaign('c1')).toBeNull();
    await store.putCampaign(campaign('c1'));
    const resubmitted = {
      ...campaign('c1', 'artifact-2'),
      sessionId: 's2',
      totalRuns: 3,
      submittedAt: 'later',
    };
    await store.putCampaign(resubmitted);
    expect(await store.getCampaign('c1')).toEqual({
      ...campaign('c1'),
      sessionId: 's2',
      totalRuns: 3,
      submittedAt: 'later',
    });
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

  it('lists campaigns latest submitted first, counting each run once, by its latest record', async () => {
    const store = create();
    expect(await store.listCampaigns()).toEqual([]);
    await store.putCampaign({ ...campaign('c1'), submittedAt: '2026-11-24T10:00:00.000Z' });
    await store.putCampaign({ ...campaign('c2'), submittedAt: '2026-11-24T12:00:00.000Z' });
    await store.putCampaign({ ...campaign('c3'), submittedAt: '2026-11-24T11:00:00.000Z' });
    for (const record of history) await store.addRecord(record);
    await store.addRecord(history[0] as SwarmRunRecord); // a runner retrying its write

    const summaries = await store.listCampaigns();

    expect(summaries.map((summary) => summary.campaignId)).toEqual(['c2', 'c3', 'c1']);
    const [c2, c3, c1] = summaries;
    expect(c1).toEqual({
      ...campaign('c1'),
      submittedAt: '2026-11-24T10:00:00.000Z',
      runs: { ok: 2, failed: 1, lost: 1, interrupted: 1 },
      okDurationMs: 4000 + 3000,
    });
    expect(c2?.runs).toEqual({ ok: 0, failed: 1, lost: 0, interrupted: 0 });
    expect(c3?.runs).toEqual({ ok: 0, failed: 0, lost: 0, interrupted: 0 });
    expect(c3?.okDurationMs).toBe(0);
  });

  it('pages through the latest record of each run, in run order', async () => {
    const store = create();
    for (const record of history) await store.addRecord(record);
    const latest = [history[4], history[2], history[6], history[8], history[0]];

    expect(await store.runRecords('c1', { offset: 0, limit: 100 })).toEqual(latest);
    expect(await store.runRecords('c1', { offset: 1, limit: 2 })).toEqual(latest.slice(1, 3));
    expect(await store.runRecords('c1', { offset: 4, limit: 2 })).toEqual(latest.slice(4));
    expect(await store.runRecords('c1', { offset: 5, limit: 2 })).toEqual([]);
    expect(await store.runRecords('c1', { offset: 0, limit: 0 })).toEqual([]);
    expect(await store.runRecords('nothing', { offset: 0, limit: 10 })).toEqual([]);
  });

  it("finds one run's latest record", async () => {
    const store = create();
    for (const record of history) await store.addRecord(record);
    expect(await store.latestRecord('c1', 2)).toEqual(history[2]);
    expect(await store.latestRecord('c1', 3)).toEqual(history[6]);
    expect(await store.latestRecord('c1', 5)).toEqual(history[8]);
    expect(await store.latestRecord('c2', 2)).toEqual(history[9]);
    expect(await store.latestRecord('c1', 4)).toBeNull();
    expect(await store.latestRecord('c3', 2)).toBeNull();
  });
});
