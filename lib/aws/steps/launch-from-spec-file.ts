import { z } from 'zod';
import { CampaignSpecInvalidError } from '../errors.js';
import { launchCampaign, type LaunchCampaignDeps, type LaunchedCampaign } from './launch-campaign.js';

/**
 * Launches the campaign a spec file in the bucket describes: `campaigns/<name>.json` (the bucket
 * trigger) or `schedules/<name>.json` (a schedule). Nothing is written back next to the file: a
 * malformed spec is thrown, for the function to log with its key (Lambda's async retries repeat it
 * a couple of times, harmlessly, before dropping the event).
 * @throws CampaignSpecInvalid if there is no spec file, or it is not a valid spec
 * @throws CampaignStateConflict if the spec's source snapshot is not in the bucket
 */
export async function launchFromSpecFile(
  key: string,
  seed: string,
  deps: LaunchCampaignDeps,
): Promise<LaunchedCampaign> {
  const spec = await deps.store.getJson(key, z.unknown());
  if (spec === null || spec === undefined) throw new CampaignSpecInvalidError(`no campaign spec at ${key}`);
  try {
    return await launchCampaign(spec, seed, deps);
  } catch (error) {
    if (error instanceof CampaignSpecInvalidError)
      throw new CampaignSpecInvalidError(`${key}: ${error.message}`, error.issues, { cause: error });
    throw error;
  }
}
