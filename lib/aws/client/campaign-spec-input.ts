/**
 * The body of POST /campaigns made from the CLI's choices, validated here with the contract's own
 * schema before anything is sent: a typo in an instance type is a usage error on this machine, not a
 * 400 after the source upload. Problems are reported as `path (flag): message` lines.
 */
import {
  campaignSpecSchema,
  issueLines,
  type CampaignSpec,
  type CampaignSpecInput,
} from '../campaign-spec.js';
import { CampaignSpecInvalidError } from '../errors.js';

/** The CLI's defaults where the contract has none. */
export const DEFAULT_INSTANCE_TYPE = 'c6i.xlarge';
export const DEFAULT_CLUSTER_SIZE = 2;

/** What the user chose on the command line; unset choices take the contract's defaults. */
export interface AwsCampaignChoices {
  readonly name?: string;
  readonly program: string;
  readonly args: readonly string[];
  /** The working directory inside the snapshot (`.` or a relative path). */
  readonly workingDir: string;
  readonly buildCommand: string | null;
  readonly region: string;
  readonly instanceType?: string;
  readonly managerInstanceType?: string;
  readonly clusterSize?: number;
  readonly managerSize?: number;
  readonly spot?: boolean;
  readonly onDemandBase?: number;
  readonly keyName?: string;
  readonly sshCidr?: string;
  readonly workerImage?: string;
  readonly builderImage?: string;
  readonly budgetUsd?: number;
  readonly maxLifetimeMinutes?: number;
  readonly idleGraceMinutes?: number;
  readonly runTimeoutMs: number | null;
  readonly maxRetries: number;
}

/** The flag behind each field of the spec, so that a problem names what the user typed. */
const FLAGS: Readonly<Record<string, string>> = {
  name: '--name',
  program: 'program',
  args: 'simulation arguments',
  workingDir: '-C/--directory',
  buildCommand: '--build',
  'cluster.region': '--region',
  'cluster.instanceType': '--instance-type',
  'cluster.managerInstanceType': '--manager-instance-type',
  'cluster.clusterSize': '--cluster-size',
  'cluster.managerSize': '--manager-size',
  'cluster.spot': '--spot/--no-spot',
  'cluster.onDemandBase': '--on-demand-base',
  'cluster.keyName': '--key-name',
  'cluster.sshCidr': '--ssh-cidr',
  'cluster.workerImage': '--worker-image',
  'cluster.builderImage': '--builder-image',
  'limits.budgetUsd': '--budget',
  'limits.maxLifetimeMinutes': '--max-lifetime',
  'limits.idleGraceMinutes': '--idle-grace',
  'limits.runTimeoutMs': '--run-timeout',
  'limits.maxRetries': '--retries',
};

/** Stands in for the snapshot when the choices are checked before it is made. */
const PLACEHOLDER_SOURCE = { sha256: '0'.repeat(64), size: 1 } as const;

function defined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function campaignSpecInput(
  choices: AwsCampaignChoices,
  source: { sha256: string; size: number } = PLACEHOLDER_SOURCE,
): CampaignSpecInput {
  return {
    ...defined({ name: choices.name }),
    program: choices.program,
    args: [...choices.args],
    workingDir: choices.workingDir,
    source: { sha256: source.sha256, size: source.size },
    buildCommand: choices.buildCommand,
    cluster: {
      region: choices.region,
      instanceType: choices.instanceType ?? DEFAULT_INSTANCE_TYPE,
      clusterSize: choices.clusterSize ?? DEFAULT_CLUSTER_SIZE,
      ...defined({
        managerInstanceType: choices.managerInstanceType,
        managerSize: choices.managerSize as 1 | 3 | 5 | undefined,
        spot: choices.spot,
        onDemandBase: choices.onDemandBase,
        keyName: choices.keyName,
        sshCidr: choices.sshCidr,
        workerImage: choices.workerImage,
        builderImage: choices.builderImage,
      }),
    },
    limits: {
      ...defined({
        budgetUsd: choices.budgetUsd,
        maxLifetimeMinutes: choices.maxLifetimeMinutes,
        idleGraceMinutes: choices.idleGraceMinutes,
      }),
      runTimeoutMs: choices.runTimeoutMs,
      maxRetries: choices.maxRetries,
    },
  };
}

/**
 * The validated spec. Without `source` the choices alone are checked (before the snapshot exists).
 * @throws CampaignSpecInvalidError with one `path (flag): message` line per problem
 */
export function validateCampaignSpec(
  choices: AwsCampaignChoices,
  source?: { sha256: string; size: number },
): CampaignSpec {
  const parsed = campaignSpecSchema.safeParse(campaignSpecInput(choices, source));
  if (parsed.success) return parsed.data;
  const lines = issueLines(parsed.error).map((line) => {
    const path = line.slice(0, line.indexOf(':'));
    const parts = path.split('.');
    const flag = FLAGS[path] ?? FLAGS[parts.slice(0, 2).join('.')] ?? FLAGS[parts[0] ?? ''];
    return flag === undefined ? line : `${path} (${flag})${line.slice(path.length)}`;
  });
  throw new CampaignSpecInvalidError('invalid campaign options; nothing was sent', lines);
}
