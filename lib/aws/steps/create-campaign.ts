import { PRESIGN_SECONDS, type CreatedCampaign } from '../api-contract.js';
import { campaignKeys, sourceKey } from '../bucket-layout.js';
import { campaignSpecSchema, issueLines } from '../campaign-spec.js';
import { campaignStatusSchema, newCampaignStatus, type CampaignStatus } from '../campaign-status.js';
import { CampaignSpecInvalidError } from '../errors.js';
import type { ControlPlaneStore } from '../../ports/control-plane-store.js';
import { newCampaignId } from './campaign-id.js';
import { regionIssues } from './validate.js';

export interface CreateCampaignDeps {
  readonly store: ControlPlaneStore;
  /** The control plane's region: the only one it provisions clusters in. */
  readonly region: string;
  /** Headers the uploader must send with a presigned PUT (the store's adapter signs them). */
  uploadHeaders(sha256: string, size: number): Record<string, string>;
  now(): Date;
}

export interface CreateCampaignOptions {
  /** Derive the id from this instead of choosing it at random: the same seed gives the same campaign. */
  readonly seed?: string;
}

/** Random ids collide about never; a few tries make "never" certain without a loop that could spin. */
const ID_ATTEMPTS = 3;

/**
 * Stores a new campaign: its spec, validated strictly (an unknown field is an error, not ignored),
 * and a `created` status. Returns where to upload the source snapshot, unless the bucket has it
 * already; the campaign starts with startCampaign once it is there.
 *
 * With a seed, creating again returns the campaign the first call created.
 * @throws CampaignSpecInvalid with `path: message` issues if the spec does not parse or names another region
 */
export async function createCampaign(
  input: unknown,
  deps: CreateCampaignDeps,
  options: CreateCampaignOptions = {},
): Promise<CreatedCampaign> {
  const parsed = campaignSpecSchema.safeParse(input);
  if (!parsed.success)
    throw new CampaignSpecInvalidError('the campaign spec is invalid', issueLines(parsed.error));
  const spec = parsed.data;
  const issues = regionIssues(spec, deps.region);
  if (issues.length > 0) throw new CampaignSpecInvalidError('the campaign spec is invalid', issues);

  const { store } = deps;
  let status: CampaignStatus | null = null;
  for (let attempt = 1; status === null; attempt++) {
    const campaignId = newCampaignId(spec.name, options.seed);
    const keys = campaignKeys(campaignId);
    const created = newCampaignStatus(campaignId, spec.name ?? null, deps.now());
    if (await store.putJsonIfAbsent(keys.spec, spec)) {
      await store.putJson(keys.status, created);
      status = created;
    } else if (options.seed !== undefined) {
      // The same request again: its spec is stored; its status too, unless the first call died between.
      status = await store.getJson(keys.status, campaignStatusSchema);
      if (status === null) {
        await store.putJson(keys.status, created);
        status = created;
      }
    } else if (attempt >= ID_ATTEMPTS) {
      throw new Error(`${ID_ATTEMPTS} random campaign ids were all taken`);
    }
  }

  const source = sourceKey(spec.source.sha256);
  const upload = (await store.exists(source))
    ? null
    : {
        url: await store.presignPut(source, spec.source.sha256, spec.source.size, PRESIGN_SECONDS),
        headers: deps.uploadHeaders(spec.source.sha256, spec.source.size),
      };
  return { campaignId: status.campaignId, upload, status };
}
