import {
  latestFirst,
  recordKey,
  type CampaignStore,
  type CampaignSummary,
  type RunPage,
  type SwarmCampaign,
  type SwarmRunRecord,
} from '../../ports/campaign-store.js';

/** The CampaignStore in memory: the reference of the contract tests and a store for one process. */
export class InMemoryCampaignStore implements CampaignStore {
  private readonly campaigns = new Map<string, SwarmCampaign>();
  private readonly records = new Map<string, { entry: SwarmRunRecord; fetched: boolean }>();

  putCampaign(campaign: SwarmCampaign): Promise<void> {
    const first = this.campaigns.get(campaign.campaignId) ?? campaign;
    const { sessionId, totalRuns, submittedAt } = campaign;
    this.campaigns.set(campaign.campaignId, { ...first, sessionId, totalRuns, submittedAt });
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

  listCampaigns(): Promise<CampaignSummary[]> {
    const summaries = [...this.campaigns.values()]
      .sort((a, b) => (a.submittedAt === b.submittedAt ? 0 : a.submittedAt > b.submittedAt ? -1 : 1))
      .map((campaign): CampaignSummary => {
        const runs = { ok: 0, failed: 0, lost: 0, interrupted: 0 };
        let okDurationMs = 0;
        for (const { record } of this.latestRecords(campaign.campaignId)) {
          runs[record.status] += 1;
          if (record.status === 'ok') okDurationMs += record.durationMs;
        }
        return { ...campaign, runs, okDurationMs };
      });
    return Promise.resolve(summaries);
  }

  runRecords(campaignId: string, page: RunPage): Promise<SwarmRunRecord[]> {
    return Promise.resolve(this.latestRecords(campaignId).slice(page.offset, page.offset + page.limit));
  }

  latestRecord(campaignId: string, runNumber: number): Promise<SwarmRunRecord | null> {
    const latest = this.latestRecords(campaignId).find((entry) => entry.record.runNumber === runNumber);
    return Promise.resolve(latest ?? null);
  }

  /** Each run's latest record, by run number. */
  private latestRecords(campaignId: string): SwarmRunRecord[] {
    const sorted = [...this.records.values()]
      .map(({ entry }) => entry)
      .filter((entry) => entry.campaignId === campaignId)
      .sort((a, b) => latestFirst(a.record, b.record));
    return sorted.filter((entry, i) => entry.record.runNumber !== sorted[i - 1]?.record.runNumber);
  }
}
