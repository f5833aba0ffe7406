import type { ControlPlaneStore } from '../../ports/control-plane-store.js';
import type { WorkflowEngine } from '../../ports/workflow-engine.js';
import { createCampaign } from './create-campaign.js';
import { startCampaign } from './start-campaign.js';

export interface LaunchCampaignDeps {
  readonly store: ControlPlaneStore;
  readonly workflow: WorkflowEngine;
  readonly region: string;
  uploadHeaders(sha256: string, size: number): Record<string, string>;
  now(): Date;
}

export interface LaunchedCampaign {
  readonly campaignId: string;
  readonly executionArn: string;
  /** False when an earlier attempt of the same launch had started it already. */
  readonly started: boolean;
}

/**
 * Creates and starts a campaign in one go, for the bucket trigger and the schedule (whose source
 * snapshot must be in the bucket already). `seed` identifies the request (the Lambda request id,
 * which stays the same when Lambda retries the invocation), so a retry after a failure part way
 * continues the campaign the first attempt created instead of creating another.
 * @throws CampaignSpecInvalid if the spec is invalid
 * @throws CampaignStateConflict if the spec's source snapshot is not in the bucket
 */
export async function launchCampaign(
  spec: unknown,
  seed: string,
  deps: LaunchCampaignDeps,
): Promise<LaunchedCampaign> {
  const created = await createCampaign(spec, deps, { seed });
  const { campaignId, status } = created;
  if (status.executionArn !== null) return { campaignId, executionArn: status.executionArn, started: false };
  const { executionArn } = await startCampaign(campaignId, deps);
  return { campaignId, executionArn, started: true };
}
