/**
 * The options `run` and `submit` take for the aws backend, parsed with the other run options. Kept
 * apart (and free of AWS libraries) so that the local backend's start-up does not load the aws one.
 */
import { z } from 'zod';
import { CampaignInputError } from '../../lib/core/errors.js';

const number = (flag: string) => z.coerce.number({ error: `${flag} must be a number` }).optional();

export const awsRunOptionsShape = {
  /** `--aws`: run on a per-campaign AWS cluster. */
  aws: z.boolean().optional(),
  api: z.string().min(1).optional(),
  region: z.string().min(1).optional(),
  instanceType: z.string().min(1).optional(),
  managerInstanceType: z.string().min(1).optional(),
  clusterSize: number('--cluster-size'),
  managerSize: number('--manager-size').refine((n) => n === undefined || [1, 3, 5].includes(n), {
    message: '--manager-size must be 1, 3 or 5 (a raft quorum)',
  }),
  /** `--spot` / `--no-spot`; unset: the contract's default (spot). */
  spot: z.boolean().optional(),
  onDemandBase: number('--on-demand-base'),
  keyName: z.string().min(1).optional(),
  sshCidr: z.string().min(1).optional(),
  workerImage: z.string().min(1).optional(),
  builderImage: z.string().min(1).optional(),
  budget: number('--budget'),
  maxLifetime: number('--max-lifetime'),
  idleGrace: number('--idle-grace'),
  name: z.string().min(1).optional(),
  yes: z.boolean().optional(),
};

const AWS_ONLY: Readonly<Record<string, string>> = {
  api: '--api',
  region: '--region',
  instanceType: '--instance-type',
  managerInstanceType: '--manager-instance-type',
  clusterSize: '--cluster-size',
  managerSize: '--manager-size',
  spot: '--spot/--no-spot',
  onDemandBase: '--on-demand-base',
  keyName: '--key-name',
  sshCidr: '--ssh-cidr',
  workerImage: '--worker-image',
  builderImage: '--builder-image',
  budget: '--budget',
  maxLifetime: '--max-lifetime',
  idleGrace: '--idle-grace',
  name: '--name',
  yes: '--yes',
};

/** Refuses aws options without --aws (they would be silently ignored) and two backends at once. */
export function checkBackendOptions(options: Readonly<Record<string, unknown>>): void {
  if (options.aws === true && options.swarm !== undefined)
    throw new CampaignInputError('--aws and --swarm choose different backends; pass one of them');
  if (options.aws === true) return;
  const given = Object.keys(AWS_ONLY).filter((key) => options[key] !== undefined);
  if (given.length > 0)
    throw new CampaignInputError(`${given.map((key) => AWS_ONLY[key]).join(', ')} only apply with --aws`);
}

/** Pause between status polls of an AWS campaign; INET_SWARM_AWS_POLL_MS shortens it for tests. */
export function awsPollMs(env: Readonly<Record<string, string | undefined>> = process.env): number {
  return z.coerce
    .number()
    .int()
    .positive()
    .default(5000)
    .parse(env.INET_SWARM_AWS_POLL_MS === '' ? undefined : env.INET_SWARM_AWS_POLL_MS);
}
