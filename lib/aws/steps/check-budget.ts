import { costReading } from '../cost.js';
import { BudgetExceededError, CampaignCancelledError, LifetimeExceededError } from '../errors.js';
import type { WorkflowState } from '../workflow-state.js';
import type { ControlPlaneStore } from '../../ports/control-plane-store.js';
import { cancelRequest, fromEarlierState, readSpec, readStatus, writeStatus } from './campaign-documents.js';

export interface CheckBudgetDeps {
  readonly store: ControlPlaneStore;
  now(): Date;
}

export interface MeterReading {
  readonly allFinal: boolean;
  readonly soFarUsd: number;
  readonly projectedUsd: number;
}

const usd = (amount: number): string => `$${amount.toFixed(2)}`;

/**
 * The meter, after every progress report: records the run counts and the cost (so far, and projected
 * from the work the agent expects to remain) in the status, then enforces the campaign's limits. The
 * status is written first, so that whoever looks sees the reading that ended the campaign.
 *
 * The cost counts from Validate's `startedAt` rather than from the stack's creation: a few minutes
 * early, which errs on the side of the budget.
 * @throws CampaignCancelled if a cancel request exists
 * @throws LifetimeExceeded if the campaign has run longer than its maximum lifetime
 * @throws BudgetExceeded if the cost so far or the projected cost is above the budget
 */
export async function checkBudget(input: WorkflowState, deps: CheckBudgetDeps): Promise<MeterReading> {
  const { campaignId } = input;
  const limits = fromEarlierState(input.limits, 'limits');
  const { allFinal, ...runs } = fromEarlierState(input.progress, 'progress');
  const spec = await readSpec(deps.store, campaignId);
  const now = deps.now();
  const startedAt = new Date(limits.startedAt);
  const { soFarUsd, projectedUsd } = costReading(spec.cluster, startedAt, now, runs.remainingSeconds);
  const budgetUsd = spec.limits.budgetUsd;

  const status = await readStatus(deps.store, campaignId);
  await writeStatus(
    deps.store,
    status,
    { state: allFinal ? 'idle' : 'running', runs, cost: { soFarUsd, projectedUsd, budgetUsd } },
    now,
  );

  const cancel = await cancelRequest(deps.store, campaignId);
  if (cancel !== null)
    throw new CampaignCancelledError(`campaign ${campaignId} was cancelled: ${cancel.reason}`);
  const ageSeconds = (now.getTime() - startedAt.getTime()) / 1000;
  if (ageSeconds > limits.maxLifetimeSeconds)
    throw new LifetimeExceededError(
      `campaign ${campaignId} has run for ${Math.floor(ageSeconds / 60)} min, longer than its maximum lifetime of ${limits.maxLifetimeSeconds / 60} min`,
    );
  if (budgetUsd !== null && (soFarUsd > budgetUsd || projectedUsd > budgetUsd))
    throw new BudgetExceededError(
      `campaign ${campaignId} costs ${usd(soFarUsd)} so far and ${usd(projectedUsd)} projected, above its budget of ${usd(budgetUsd)}`,
    );
  return { allFinal, soFarUsd, projectedUsd };
}
