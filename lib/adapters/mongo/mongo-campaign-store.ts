/**
 * The CampaignStore in MongoDB: `campaigns` by id, and `runRecords` keyed by recordKey (unique), so a
 * runner retrying its write cannot duplicate a record. Records the client has not fetched yet are also
 * in `runRecordsOutbox`, which the client drains: polling it reads only what is new, however many runs
 * the campaign has, and every write to it is by `_id` (FerretDB, the tests' server, uses no secondary
 * index). A record may be delivered twice (a runner that died between its two writes writes both
 * again); the client stores an attempt once.
 *
 * The dashboard's queries need each run's latest record. MongoDB would pick it with `$sort` + `$group`
 * + `$first`, but FerretDB 1.24 (the MongoDB-compatible server the tests run on) has no `$first`, and
 * its `$sum` of a nested field yields 0; so the records are read in `latestFirst` order and the first
 * of each run is taken here. On MongoDB an index covers that scan: counting a 100,000-run campaign
 * reads index keys, never a record.
 */
import { MongoServerError, type Collection, type Db } from 'mongodb';
import type { RunRecord } from '../../core/campaign.js';
import {
  recordKey,
  type CampaignStore,
  type CampaignSummary,
  type RunPage,
  type SwarmCampaign,
  type SwarmRunRecord,
} from '../../ports/campaign-store.js';

interface CampaignDocument extends SwarmCampaign {
  _id: string;
}

interface RecordDocument extends SwarmRunRecord {
  _id: string;
}

const DUPLICATE_KEY = 11000;

/** `latestFirst` (lib/ports/campaign-store.ts) as a MongoDB sort, after an equality on campaignId. */
const LATEST_FIRST = { 'record.runNumber': 1, 'record.endedAt': -1, 'record.attempt': -1 } as const;
/** The fields counting needs, all in LATEST_INDEX, so the count reads the index alone (a covered query). */
const COUNTED = { _id: 0, 'record.runNumber': 1, 'record.status': 1, 'record.durationMs': 1 } as const;
const LATEST_INDEX = { campaignId: 1, ...LATEST_FIRST, 'record.status': 1, 'record.durationMs': 1 } as const;

type CountedRecord = { record: Pick<RunRecord, 'runNumber' | 'status' | 'durationMs'> };

export class MongoCampaignStore implements CampaignStore {
  private readonly campaigns: Collection<CampaignDocument>;
  private readonly records: Collection<RecordDocument>;
  private readonly outbox: Collection<RecordDocument>;
  private indexes: Promise<unknown> | null = null;

  constructor(db: Db) {
    this.campaigns = db.collection<CampaignDocument>('campaigns');
    this.records = db.collection<RecordDocument>('runRecords');
    this.outbox = db.collection<RecordDocument>('runRecordsOutbox');
  }

  private ensureIndexes(): Promise<unknown> {
    this.indexes ??= Promise.all([
      this.outbox.createIndex({ campaignId: 1 }),
      this.records.createIndex(LATEST_INDEX),
    ]);
    return this.indexes;
  }

  async putCampaign(campaign: SwarmCampaign): Promise<void> {
    // An insert that may fail as a duplicate rather than an upsert with $setOnInsert, which FerretDB
    // stores without its null fields: the first definition must be kept whole.
    const inserted = await this.insertOnce(this.campaigns, { _id: campaign.campaignId, ...campaign });
    if (!inserted) {
      const { sessionId, totalRuns, submittedAt } = campaign;
      await this.campaigns.updateOne(
        { _id: campaign.campaignId },
        { $set: { sessionId, totalRuns, submittedAt } },
      );
    }
  }

  async getCampaign(campaignId: string): Promise<SwarmCampaign | null> {
    const document = await this.campaigns.findOne({ _id: campaignId });
    if (document === null) return null;
    const { _id, ...campaign } = document;
    return campaign;
  }

  async addRecord(entry: SwarmRunRecord): Promise<void> {
    await this.ensureIndexes();
    // The record key is the document id: uniqueness needs no extra index.
    const document = { _id: recordKey(entry), ...entry };
    // Side by side: the outbox entry carries the whole record, so the client never needs the other
    // copy first, and a retried write of either is a harmless duplicate.
    await Promise.all([this.insertOnce(this.records, document), this.insertOnce(this.outbox, document)]);
  }

  /** Inserts a document unless one with its id exists (a duplicate is not an error: writes are retried). */
  /** Whether it inserted: false if a document with that id was there already. */
  private async insertOnce<T extends { _id: string }>(
    collection: Collection<T>,
    document: T,
  ): Promise<boolean> {
    try {
      await collection.insertOne(document as Parameters<Collection<T>['insertOne']>[0]);
      return true;
    } catch (error) {
      if (error instanceof MongoServerError && error.code === DUPLICATE_KEY) return false;
      throw error;
    }
  }

  async unfetchedRecords(campaignId: string, limit: number): Promise<SwarmRunRecord[]> {
    await this.ensureIndexes();
    const documents = await this.outbox.find({ campaignId }).limit(limit).toArray();
    return documents.map(toEntry);
  }

  async markFetched(_campaignId: string, keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.outbox.bulkWrite(
      keys.map((key) => ({ deleteOne: { filter: { _id: key } } })),
      { ordered: false },
    );
  }

  async listCampaigns(): Promise<CampaignSummary[]> {
    await this.ensureIndexes();
    const campaigns = await this.campaigns.find().sort({ submittedAt: -1 }).toArray();
    return Promise.all(
      campaigns.map(async ({ _id, ...campaign }) => ({ ...campaign, ...(await this.countRuns(_id)) })),
    );
  }

  private async countRuns(campaignId: string): Promise<Pick<CampaignSummary, 'runs' | 'okDurationMs'>> {
    const runs = { ok: 0, failed: 0, lost: 0, interrupted: 0 };
    let okDurationMs = 0;
    let previous: number | null = null;
    const scan = this.records.find({ campaignId }).sort(LATEST_FIRST).project<CountedRecord>(COUNTED);
    for await (const { record } of scan) {
      if (record.runNumber === previous) continue; // an earlier attempt of a run already counted
      previous = record.runNumber;
      runs[record.status] += 1;
      if (record.status === 'ok') okDurationMs += record.durationMs;
    }
    return { runs, okDurationMs };
  }

  async runRecords(campaignId: string, page: RunPage): Promise<SwarmRunRecord[]> {
    if (page.limit <= 0) return []; // MongoDB refuses $limit: 0
    await this.ensureIndexes();
    // The page is counted in runs, not records: the server picks the page's run numbers...
    const pageOfRuns = [
      { $match: { campaignId } },
      { $group: { _id: '$record.runNumber' } },
      { $sort: { _id: 1 } },
      { $skip: page.offset },
      { $limit: page.limit },
    ];
    const runNumbers = await this.records.aggregate<{ _id: number }>(pageOfRuns).toArray();
    if (runNumbers.length === 0) return [];
    // ...and their few records each come back latest first.
    const documents = await this.records
      .find({ campaignId, 'record.runNumber': { $in: runNumbers.map(({ _id }) => _id) } })
      .sort(LATEST_FIRST)
      .toArray();
    return documents
      .filter((document, i) => document.record.runNumber !== documents[i - 1]?.record.runNumber)
      .map(toEntry);
  }

  async latestRecord(campaignId: string, runNumber: number): Promise<SwarmRunRecord | null> {
    await this.ensureIndexes();
    const document = await this.records.findOne(
      { campaignId, 'record.runNumber': runNumber },
      { sort: LATEST_FIRST },
    );
    return document === null ? null : toEntry(document);
  }
}

function toEntry({ campaignId, record, results }: RecordDocument): SwarmRunRecord {
  return { campaignId, record, results };
}
