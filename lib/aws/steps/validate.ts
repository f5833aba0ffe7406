import { z } from 'zod';
import { campaignKeys, sourceKey } from '../bucket-layout.js';
import { campaignSpecSchema, issueLines, type CampaignSpec } from '../campaign-spec.js';
import { CampaignCancelledError, CampaignSpecInvalidError, CampaignStateConflictError } from '../errors.js';
import type { WorkflowState, validatedLimitsSchema } from '../workflow-state.js';
import type { ControlPlaneStore } from '../../ports/control-plane-store.js';
import { cancelRequest, isFinal, readStatus, writeStatus } from './campaign-documents.js';

const CANCELLED: CampaignCancelledError['name'] = 'CampaignCancelled';

export interface ValidateDeps {
  readonly store: ControlPlaneStore;
  /** The control plane's region: the only one it provisions clusters in. */
  readonly region: string;
  now(): Date;
}

export type ValidatedLimits = z.infer<typeof validatedLimitsSchema>;

/**
 * Checks the stored spec again (the instance catalog may have changed since it was stored, and a spec
 * dropped into the bucket by hand was never checked), that its source snapshot is uploaded and that
 * nobody cancelled the campaign, then marks it provisioning. Nothing exists yet when this fails, so
 * the campaign's final status is written here: the state machine ends without a teardown.
 *
 * A retried Validate keeps the first `startedAt`, so the lifetime and the cost count from the start.
 * @throws CampaignNotFound if the campaign has no status
 * @throws CampaignSpecInvalid if the spec is missing or invalid, names another region, or its source is not uploaded
 * @throws CampaignCancelled if a cancel request exists
 * @throws CampaignStateConflict if the campaign has ended already
 */
export async function validate(input: WorkflowState, deps: ValidateDeps): Promise<ValidatedLimits> {
  const { campaignId } = input;
  const { store } = deps;
  const status = await readStatus(store, campaignId);
  if (status.state === 'cancelled') throw new CampaignCancelledError(`campaign ${campaignId} was cancelled`);
  if (isFinal(status))
    throw new CampaignStateConflictError(`campaign ${campaignId} has ended already (${status.state})`);

  const cancel = await cancelRequest(store, campaignId);
  if (cancel !== null) {
    await writeStatus(
      store,
      status,
      { state: 'cancelled', failure: { error: CANCELLED, cause: cancel.reason } },
      deps.now(),
    );
    throw new CampaignCancelledError(`campaign ${campaignId} was cancelled: ${cancel.reason}`);
  }

  let spec: CampaignSpec;
  try {
    spec = await checkedSpec(store, campaignId, deps.region);
  } catch (error) {
    if (error instanceof CampaignSpecInvalidError)
      await writeStatus(
        store,
        status,
        {
          state: 'failed',
          failure: { error: error.name, cause: [error.message, ...error.issues].join('\n') },
        },
        deps.now(),
      );
    throw error;
  }

  const startedAt = status.startedAt ?? deps.now().toISOString();
  await writeStatus(store, status, { state: 'provisioning', startedAt }, deps.now());
  return {
    idleGraceSeconds: spec.limits.idleGraceMinutes * 60,
    maxLifetimeSeconds: spec.limits.maxLifetimeMinutes * 60,
    startedAt,
  };
}

async function checkedSpec(
  store: ControlPlaneStore,
  campaignId: string,
  region: string,
): Promise<CampaignSpec> {
  // Read without the schema so that a spec that no longer parses is CampaignSpecInvalid with its issues.
  const raw = await store.getJson(campaignKeys(campaignId).spec, z.unknown());
  if (raw === null || raw === undefined)
    throw new CampaignSpecInvalidError(`campaign ${campaignId} has no spec`);
  const parsed = campaignSpecSchema.safeParse(raw);
  if (!parsed.success)
    throw new CampaignSpecInvalidError(
      `the spec of campaign ${campaignId} is invalid`,
      issueLines(parsed.error),
    );
  const spec = parsed.data;
  const issues = regionIssues(spec, region);
  if (!(await store.exists(sourceKey(spec.source.sha256))))
    issues.push(`source.sha256: no source snapshot ${sourceKey(spec.source.sha256)} in the bucket`);
  if (issues.length > 0)
    throw new CampaignSpecInvalidError(`the spec of campaign ${campaignId} cannot run here`, issues);
  return spec;
}

/**
 * One control plane provisions in its own region: its CloudFormation, SSM and sweeper reach only that
 * one, so a cluster elsewhere could neither be watched nor be torn down.
 */
export function regionIssues(spec: CampaignSpec, region: string): string[] {
  return spec.cluster.region === region
    ? []
    : [
        `cluster.region: this control plane provisions clusters in ${region} only, not ${spec.cluster.region}`,
      ];
}
