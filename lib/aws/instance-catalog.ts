/**
 * Instance types the cluster template can run, with their vCPUs and on-demand Linux list price, for
 * validation (a typo is a 400, not a CloudFormation rollback after minutes) and for cost estimates
 * before anything is provisioned. Prices are us-east-1 list prices (USD per hour, as published in
 * 2026); other regions apply the factor below. They are estimates: the bill is what AWS charges, and
 * spot capacity usually costs a fraction of on-demand (SPOT_PRICE_FACTOR is the planning assumption,
 * not a quote).
 */
import { z } from 'zod';

interface InstanceInfo {
  readonly vcpus: number;
  readonly usdPerHour: number;
}

/** Size suffix -> (vCPUs, price relative to .large) for the regular compute and general families. */
const SIZES: Readonly<Record<string, number>> = {
  large: 1,
  xlarge: 2,
  '2xlarge': 4,
  '4xlarge': 8,
  '8xlarge': 16,
  '12xlarge': 24,
  '16xlarge': 32,
  '24xlarge': 48,
};

/** Price of the family's .large (2 vCPUs). */
const FAMILY_LARGE_PRICE: Readonly<Record<string, number>> = {
  c5: 0.085,
  c5a: 0.077,
  c6i: 0.085,
  c6a: 0.0765,
  c7i: 0.08925,
  c7a: 0.10264,
  m5: 0.096,
  m6i: 0.096,
  m6a: 0.0864,
  m7i: 0.1008,
};

const BURSTABLE: Readonly<Record<string, InstanceInfo>> = {
  't3.small': { vcpus: 2, usdPerHour: 0.0208 },
  't3.medium': { vcpus: 2, usdPerHour: 0.0416 },
  't3.large': { vcpus: 2, usdPerHour: 0.0832 },
  't3.xlarge': { vcpus: 4, usdPerHour: 0.1664 },
  't3.2xlarge': { vcpus: 8, usdPerHour: 0.3328 },
};

/** Regional price relative to us-east-1 (approximate, from the published price lists). */
const REGION_FACTOR: Readonly<Record<string, number>> = {
  'us-east-1': 1,
  'us-east-2': 1,
  'us-west-2': 1,
  'us-west-1': 1.17,
  'ca-central-1': 1.1,
  'eu-west-1': 1.13,
  'eu-west-2': 1.18,
  'eu-west-3': 1.18,
  'eu-central-1': 1.14,
  'eu-north-1': 1.06,
  'ap-southeast-1': 1.18,
  'ap-southeast-2': 1.25,
  'ap-northeast-1': 1.26,
  'ap-south-1': 1.0,
  'sa-east-1': 1.55,
};

/** Planning assumption for spot capacity, as a fraction of the on-demand price. */
export const SPOT_PRICE_FACTOR = 0.4;

export function instanceInfo(instanceType: string): InstanceInfo | null {
  const burstable = BURSTABLE[instanceType];
  if (burstable !== undefined) return burstable;
  const [family, size] = instanceType.split('.');
  const large = FAMILY_LARGE_PRICE[family ?? ''];
  const multiple = SIZES[size ?? ''];
  if (large === undefined || multiple === undefined) return null;
  return { vcpus: 2 * multiple, usdPerHour: Number((large * multiple).toFixed(5)) };
}

/** On-demand price of one instance per hour in a region, or null if either is unknown. */
export function onDemandPrice(instanceType: string, region: string): number | null {
  const info = instanceInfo(instanceType);
  const factor = REGION_FACTOR[region];
  return info === null || factor === undefined ? null : info.usdPerHour * factor;
}

export const KNOWN_REGIONS: readonly string[] = Object.keys(REGION_FACTOR);

export const regionSchema = z.string().refine((r) => REGION_FACTOR[r] !== undefined, {
  message: `unknown or unsupported region (supported: ${Object.keys(REGION_FACTOR).join(', ')})`,
});

export const instanceTypeSchema = z.string().refine((t) => instanceInfo(t) !== null, {
  message:
    'unknown or unsupported instance type (c5/c5a/c6i/c6a/c7i/c7a/m5/m6i/m6a/m7i .large-.24xlarge, t3.small-t3.2xlarge)',
});
