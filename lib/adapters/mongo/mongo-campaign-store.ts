/**
 * The CampaignStore in MongoDB: `campaigns` by id, and `runRecords` keyed by recordKey (unique), so a
 * runner retrying its write cannot duplicate a record, with a `fetched` flag the client clears.
 */
import { MongoServerError, type Collection, type Db } from 'mongodb';
import {
  recordKey,
  type CampaignStore,
  type SwarmCampaign,
  type SwarmRunRecord,
} from '../../ports/campaign-store.js';

interface CampaignDocument extends SwarmCampaign {
  _id: string;
}

interface RecordDocument extends SwarmRunRecord {
  _id: string;
  fetched: boolean;
}

const DUPLICATE_KEY = 11000;

export class MongoCampaignStore implements CampaignStore {
  private readonly campaigns: Collection<CampaignDocument>;
  private readonly records: Collection<RecordDocument>;
  private indexes: Promise<unknown> | null = null;

  constructor(db: Db) {
    this.campaigns = db.collection<CampaignDocument>('campaigns');
    this.records = db.collection<RecordDocument>('runRecords');
  }

  private ensureIndexes(): Promise<unknown> {
    this.indexes ??= this.records.createIndex({ campaignId: 1, fetched: 1 });
    return this.indexes;
  }

  async putCampaign(campaign: SwarmCampaign): Promise<void> {
    // An insert that may fail as a duplicate rather than an upsert with $setOnInsert, which FerretDB
    // stores without its null fields: the first definition must be kept whole.
    await this.insertOnce(this.campaigns, { _id: campaign.campaignId, ...campaign });
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
    await this.insertOnce(this.records, { _id: recordKey(entry), fetched: false, ...entry });
  }

  /** Inserts a document unless one with its id exists (a duplicate is not an error: writes are retried). */
  private async insertOnce<T extends { _id: string }>(collection: Collection<T>, document: T): Promise<void> {
    try {
      await collection.insertOne(document as Parameters<Collection<T>['insertOne']>[0]);
    } catch (error) {
      if (error instanceof MongoServerError && error.code === DUPLICATE_KEY) return;
      throw error;
    }
  }

  async unfetchedRecords(campaignId: string, limit: number): Promise<SwarmRunRecord[]> {
    await this.ensureIndexes();
    const documents = await this.records.find({ campaignId, fetched: false }).limit(limit).toArray();
    return documents.map(({ campaignId: id, record, results }) => ({ campaignId: id, record, results }));
  }

  async markFetched(campaignId: string, keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.records.updateMany({ campaignId, _id: { $in: [...keys] } }, { $set: { fetched: true } });
  }
}
