/** Campaign documents for the control plane's unit tests, and seeding them into a store. */
import { campaignKeys, sourceKey } from '../../../../lib/aws/bucket-layout.js';
import {
  campaignSpecSchema,
  type CampaignSpec,
  type CampaignSpecInput,
} from '../../../../lib/aws/campaign-spec.js';
import { newCampaignStatus, type CampaignStatus } from '../../../../lib/aws/campaign-status.js';
import type { ControlPlaneStore } from '../../../../lib/ports/control-plane-store.js';

export const REGION = 'eu-central-1';
export const STAGE = 'test';
export const BUCKET = 'control-bucket';
export const CAMPAIGN_ID = 'demo-0a1b2c3d';
export const SOURCE_SHA = 'ab'.repeat(32);

export function specInput(overrides: Partial<CampaignSpecInput> = {}): CampaignSpecInput {
  return {
    name: 'Demo study',
    program: 'opp_run',
    args: ['-f', 'omnetpp.ini', '-c', 'General'],
    source: { sha256: SOURCE_SHA, size: 1024 },
    cluster: { region: REGION, clusterSize: 2, instanceType: 'c5.large' },
    ...overrides,
  };
}

export const spec = (overrides: Partial<CampaignSpecInput> = {}): CampaignSpec =>
  campaignSpecSchema.parse(specInput(overrides));

export const status = (overrides: Partial<CampaignStatus> = {}): CampaignStatus => ({
  ...newCampaignStatus(CAMPAIGN_ID, 'Demo study', new Date('2026-03-01T10:00:00.000Z')),
  ...overrides,
});

export interface SeedOptions {
  readonly campaignId?: string;
  /** The stored spec as is (may be invalid on purpose); default: a valid one. */
  readonly spec?: unknown;
  /** null: no status document. */
  readonly status?: Partial<CampaignStatus> | null;
  /** Whether the source snapshot is in the bucket (default true). */
  readonly source?: boolean;
}

export async function seedCampaign(store: ControlPlaneStore, options: SeedOptions = {}): Promise<void> {
  const campaignId = options.campaignId ?? CAMPAIGN_ID;
  const keys = campaignKeys(campaignId);
  const stored = options.spec ?? spec();
  await store.putJson(keys.spec, stored);
  if (options.status !== null) await store.putJson(keys.status, status({ campaignId, ...options.status }));
  if (options.source ?? true) await store.putJson(sourceKey(SOURCE_SHA), 'snapshot bytes');
}

/** Stores raw text (a log, a result file) the way the agent's uploads end up in the bucket. */
export function putText(
  store: { objects: Map<string, { body: Buffer; sha256: string | null; lastModified: Date }> },
  key: string,
  text: string,
): void {
  store.objects.set(key, { body: Buffer.from(text), sha256: null, lastModified: new Date() });
}
