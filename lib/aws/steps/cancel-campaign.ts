import type { CancelRequest } from '../agent-protocol.js';
import { campaignKeys } from '../bucket-layout.js';
import type { CampaignStatus } from '../campaign-status.js';
import { CampaignStateConflictError, type CampaignCancelledError } from '../errors.js';
import type { ControlPlaneStore } from '../../ports/control-plane-store.js';
import { isFinal, readStatus, writeStatus } from './campaign-documents.js';

export interface CancelCampaignDeps {
  readonly store: ControlPlaneStore;
  now(): Date;
}

const CANCELLED: CampaignCancelledError['name'] = 'CampaignCancelled';

/**
 * Asks a campaign to stop by writing its cancel request, which the workflow (Validate, WaitForSwarm,
 * CheckBudget) and the agent (whichever task token it holds) turn into CampaignCancelled and a
 * teardown. The status changes only for a campaign that was never started: no workflow will see the
 * request, so it is cancelled here and now. A second request keeps the first one's time and reason.
 * @throws CampaignNotFound if there is no such campaign
 * @throws CampaignStateConflict if the campaign has ended already
 */
export async function cancelCampaign(
  campaignId: string,
  reason: string,
  deps: CancelCampaignDeps,
): Promise<CampaignStatus> {
  const status = await readStatus(deps.store, campaignId);
  if (isFinal(status))
    throw new CampaignStateConflictError(`campaign ${campaignId} has ended already (${status.state})`);
  const now = deps.now();
  const request: CancelRequest = { requestedAt: now.toISOString(), reason };
  await deps.store.putJsonIfAbsent(campaignKeys(campaignId).control('cancel'), request);
  if (status.state !== 'created' || status.executionArn !== null) return status;
  return writeStatus(
    deps.store,
    status,
    { state: 'cancelled', failure: { error: CANCELLED, cause: reason } },
    now,
  );
}
