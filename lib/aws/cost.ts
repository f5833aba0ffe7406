/**
 * What a campaign's cluster costs: per hour, so far, and projected, from the instance catalog. One
 * implementation for the CLI's estimate before provisioning, the meter's budget guard, and status.
 */
import type { ClusterOptions } from './campaign-spec.js';
import { instanceInfo, onDemandPrice, SPOT_PRICE_FACTOR } from './instance-catalog.js';

export interface ClusterRate {
  /** USD per hour for the whole cluster (managers on demand; workers on demand up to the base, then spot). */
  readonly usdPerHour: number;
  /** vCPUs of the workers: how many runs the cluster executes at once. */
  readonly workerVcpus: number;
}

export function clusterRate(options: ClusterOptions): ClusterRate {
  const manager = onDemandPrice(options.managerInstanceType, options.region);
  const worker = onDemandPrice(options.instanceType, options.region);
  const info = instanceInfo(options.instanceType);
  if (manager === null || worker === null || info === null)
    throw new Error(
      `no price for ${options.instanceType}/${options.managerInstanceType} in ${options.region}`,
    );
  const onDemandWorkers = options.spot
    ? Math.min(options.onDemandBase, options.clusterSize)
    : options.clusterSize;
  const spotWorkers = options.clusterSize - onDemandWorkers;
  return {
    usdPerHour:
      options.managerSize * manager + onDemandWorkers * worker + spotWorkers * worker * SPOT_PRICE_FACTOR,
    workerVcpus: options.clusterSize * info.vcpus,
  };
}

/** Hours the cluster needs for `workSeconds` of single-core simulation time (perfect packing, no overhead). */
export function expectedHours(options: ClusterOptions, workSeconds: number): number {
  return workSeconds / clusterRate(options).workerVcpus / 3600;
}

export interface CostReading {
  readonly soFarUsd: number;
  readonly projectedUsd: number;
}

/**
 * Cost so far (the cluster's hourly rate since it started) and projected (plus the remaining work
 * spread over the workers' cores). `remainingWorkSeconds` null: unknown, projected = so far.
 */
export function costReading(
  options: ClusterOptions,
  startedAt: Date,
  now: Date,
  remainingWorkSeconds: number | null,
): CostReading {
  const rate = clusterRate(options);
  const soFarUsd = (rate.usdPerHour * Math.max(0, now.getTime() - startedAt.getTime())) / 3_600_000;
  const remainingHours = remainingWorkSeconds === null ? 0 : remainingWorkSeconds / rate.workerVcpus / 3600;
  return { soFarUsd, projectedUsd: soFarUsd + remainingHours * rate.usdPerHour };
}
