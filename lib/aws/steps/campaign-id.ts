import { createHash, randomBytes } from 'node:crypto';

const SUFFIX_LENGTH = 8;
const SUFFIX_SPACE = 36n ** BigInt(SUFFIX_LENGTH);
/** campaignIdSchema allows 63 characters: the slug, a dash and the suffix. */
const MAX_SLUG_LENGTH = 63 - 1 - SUFFIX_LENGTH;

/**
 * A new campaign id, `<slug of the name, or 'campaign'>-<8 base36 characters>`, matching
 * campaignIdSchema. The suffix is random, or derived from `seed` so that a retried request (a Lambda
 * retry of the same invocation) arrives at the same campaign instead of creating a second one.
 */
export function newCampaignId(name: string | undefined, seed?: string): string {
  const bytes =
    seed === undefined ? randomBytes(8) : createHash('sha256').update(seed).digest().subarray(0, 8);
  const suffix = (BigInt(`0x${bytes.toString('hex')}`) % SUFFIX_SPACE)
    .toString(36)
    .padStart(SUFFIX_LENGTH, '0');
  return `${slug(name)}-${suffix}`;
}

function slug(name: string | undefined): string {
  const words = (name ?? '')
    // Ü becomes U and a combining diaeresis, which goes: accented names keep their base letters.
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, MAX_SLUG_LENGTH)
    .replace(/^-+|-+$/g, '');
  return words === '' ? 'campaign' : words;
}
