/**
 * Errors of the AWS control plane. Each `name` is a string literal because it is the contract with the
 * state machine's `ErrorEquals` (statemachines/campaign.asl.yaml) and with the HTTP API's status codes:
 * renaming one is a breaking change to the ASL.
 */

/** The campaign spec or something it names is invalid; nothing was provisioned. HTTP 400. */
export class CampaignSpecInvalidError extends Error {
  override readonly name = 'CampaignSpecInvalid';
  constructor(
    message: string,
    /** `path: message` lines, one per problem. */
    readonly issues: readonly string[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** No campaign with that id in the bucket. HTTP 404. */
export class CampaignNotFoundError extends Error {
  override readonly name = 'CampaignNotFound';
}

/** The request conflicts with the campaign's state (starting one twice, results before a start). HTTP 409. */
export class CampaignStateConflictError extends Error {
  override readonly name = 'CampaignStateConflict';
}

/** The cluster stack exists but the swarm on it is not formed yet: the ASL retries WaitForSwarm. */
export class ClusterNotReadyError extends Error {
  override readonly name = 'ClusterNotReady';
}

/** CloudFormation could not create the cluster (rolled back, failed). Leads to Teardown. */
export class ClusterProvisionFailedError extends Error {
  override readonly name = 'ClusterProvisionFailed';
}

/** The cluster stack is still being deleted: the ASL retries the teardown check. */
export class TeardownPendingError extends Error {
  override readonly name = 'TeardownPending';
}

/** The stack could not be deleted (DELETE_FAILED): a person must look; the sweeper keeps trying. */
export class TeardownFailedError extends Error {
  override readonly name = 'TeardownFailed';
}

/** The project's build failed in the cluster (sent by the agent through SendTaskFailure). */
export class CampaignBuildFailedError extends Error {
  override readonly name = 'BuildFailed';
}

/** Enumerating the runs failed in the cluster: unknown config, bad filter (sent by the agent). */
export class CampaignPlanFailedError extends Error {
  override readonly name = 'PlanFailed';
}

/** Actual or projected cost passed the campaign's budget. Leads to Teardown. */
export class BudgetExceededError extends Error {
  override readonly name = 'BudgetExceeded';
}

/** The campaign outlived its maximum lifetime. Leads to Teardown. */
export class LifetimeExceededError extends Error {
  override readonly name = 'LifetimeExceeded';
}

/** The user cancelled the campaign. Leads to Teardown. */
export class CampaignCancelledError extends Error {
  override readonly name = 'CampaignCancelled';
}

/** The agent lost the swarm it drives (gateway unreachable for too long, every runner gone). */
export class SwarmLostError extends Error {
  override readonly name = 'SwarmLost';
}
