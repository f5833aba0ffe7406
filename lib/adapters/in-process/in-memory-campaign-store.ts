import {
  recordKey,
  type CampaignStore,
  type SwarmCampaign,
  type SwarmRunRecord,
} from '../../ports/campaign-store.js';

/** The CampaignStore in memory: the reference of the contract tests and a store for one process. */
export class InMemoryCampaignStore implements CampaignStore {
  private readonly campaigns = new Map<string, SwarmCampaign>();
  private readonly records = new Map<string, { entry: SwarmRunRecord; fetched: boolean }>();

  putCampaign(campaign: SwarmCampaign): Promise<void> {
    if (!this.campaigns.has(campaign.campaignId)) this.campaigns.set(campaign.campaignId, campaign);
    return Promise.resolve();
  }

  getCampaign(campaignId: string): Promise<SwarmCampaign | null> {
    return Promise.resolve(this.campaigns.get(campaignId) ?? null);
  }

  addRecord(entry: SwarmRunRecord): Promise<void> {
    const key = recordKey(entry);
    if (!this.records.has(key)) this.records.set(key, { entry, fetched: false });
    return Promise.resolve();
  }

  unfetchedRecords(campaignId: string, limit: number): Promise<SwarmRunRecord[]> {
    const page = [...this.records.values()]
      .filter(({ entry, fetched }) => !fetched && entry.campaignId === campaignId)
      .slice(0, limit)
      .map(({ entry }) => entry);
    return Promise.resolve(page);
  }

  markFetched(campaignId: string, keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      const stored = this.records.get(key);
      if (stored?.entry.campaignId === campaignId) stored.fetched = true;
    }
    return Promise.resolve();
  }
}
