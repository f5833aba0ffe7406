import { describe, expect, it } from 'vitest';
import { campaignIdSchema } from '../../../../lib/aws/bucket-layout.js';
import { newCampaignId } from '../../../../lib/aws/steps/campaign-id.js';

describe('newCampaignId', () => {
  it.each([
    ['Demo study', /^demo-study-[0-9a-z]{8}$/],
    [undefined, /^campaign-[0-9a-z]{8}$/],
    ['!!!', /^campaign-[0-9a-z]{8}$/],
    ['Über WLAN: 802.11p / 5.9 GHz', /^uber-wlan-802-11p-5-9-ghz-[0-9a-z]{8}$/],
    ['x'.repeat(200), new RegExp(`^${'x'.repeat(54)}-[0-9a-z]{8}$`)],
  ])('makes a valid id of %j', (name, pattern) => {
    const id = newCampaignId(name);
    expect(id).toMatch(pattern);
    expect(campaignIdSchema.safeParse(id).success).toBe(true);
  });

  it('derives the same id from the same seed, and different ones from others', () => {
    expect(newCampaignId('a b', 'seed-1')).toBe(newCampaignId('a b', 'seed-1'));
    expect(newCampaignId('a b', 'seed-1')).not.toBe(newCampaignId('a b', 'seed-2'));
  });
});
