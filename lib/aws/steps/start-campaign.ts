import type { StartedCampaign } from '../api-contract.js';
import { sourceKey } from '../bucket-layout.js';
import { CampaignStateConflictError } from '../errors.js';
import type { ControlPlaneStore } from '../../ports/control-plane-store.js';
import type { WorkflowEngine } from '../../ports/workflow-engine.js';
import { readSpec, readStatus, writeStatus } from './campaign-documents.js';

export interface StartCampaignDeps {
  readonly store: ControlPlaneStore;
  readonly workflow: WorkflowEngine;
  now(): Date;
}

/**
 * Starts the workflow of a created campaign whose source snapshot is uploaded, and records its
 * execution in the status.
 *
 * The status is read again after the start and changed only where it still says `created`: the
 * workflow's Validate writes the status too, and the few milliseconds between this read and write are
 * far shorter than the time Step Functions takes to invoke Validate. The execution ARN is derived from
 * the campaign id as well, so nothing depends on this write (the sweeper does not).
 * @throws CampaignNotFound if there is no such campaign
 * @throws CampaignStateConflict if it was started already, or its source is not uploaded yet
 */
export async function startCampaign(campaignId: string, deps: StartCampaignDeps): Promise<StartedCampaign> {
  const { store } = deps;
  const status = await readStatus(store, campaignId);
  const spec = await readSpec(store, campaignId);
  if (status.state !== 'created' || status.executionArn !== null)
    throw new CampaignStateConflictError(`campaign ${campaignId} was started already (${status.state})`);
  const source = sourceKey(spec.source.sha256);
  if (!(await store.exists(source)))
    throw new CampaignStateConflictError(
      `the source snapshot of campaign ${campaignId} is not uploaded yet (${source})`,
    );

  const { executionArn } = await deps.workflow.start(campaignId);
  const current = await readStatus(store, campaignId);
  await writeStatus(
    store,
    current,
    { executionArn, state: current.state === 'created' ? 'validating' : current.state },
    deps.now(),
  );
  return { campaignId, executionArn };
}
