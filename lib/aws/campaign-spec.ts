/**
 * An AWS campaign as the user submits it (HTTP API body, `campaigns/*.json` trigger, schedule): what
 * to build and run, on what cluster, within which limits. Strict: an unknown field is an error, not
 * silently ignored, because a misspelt `budgetUsd` must not become an unlimited budget.
 */
import { z } from 'zod';
import { instanceTypeSchema, regionSchema } from './instance-catalog.js';

const relativePath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), 'must be a path inside the project');

/**
 * A Docker image reference (registry, port, path, tag, digest), as the cluster template's
 * `AllowedPattern` for its image parameters has it: a reference it would refuse must be refused here,
 * before a cluster is asked for. It also keeps the value safe in the user data's single quotes.
 */
export const IMAGE_REFERENCE_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9._/:@-]*$/;

/** An image of the cluster's stack; null keeps the template's default. */
const imageReference = z
  .string()
  .max(255)
  .regex(IMAGE_REFERENCE_PATTERN, 'a Docker image reference such as registry.example.org/lab/inet-worker:4.5')
  .nullable()
  .default(null);

export const clusterOptionsSchema = z.strictObject({
  region: regionSchema,
  /** Worker instances (the Docker-for-AWS "ClusterSize"). */
  clusterSize: z.number().int().min(1).max(500),
  /** Swarm managers: 1, 3 or 5 (raft quorum). */
  managerSize: z.union([z.literal(1), z.literal(3), z.literal(5)]).default(1),
  instanceType: instanceTypeSchema,
  managerInstanceType: instanceTypeSchema.default('t3.medium'),
  /** Workers on spot capacity above this many on-demand ones. */
  spot: z.boolean().default(true),
  onDemandBase: z.number().int().min(0).default(0),
  keyName: z.string().min(1).max(255).nullable().default(null),
  /** Who may SSH to the managers; null keeps port 22 closed (the default). */
  sshCidr: z
    .string()
    .regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, 'an IPv4 CIDR such as 203.0.113.7/32')
    .nullable()
    .default(null),
  /** Use an existing VPC instead of creating one: its id and at least one subnet. */
  existingVpc: z
    .strictObject({
      vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/),
      subnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/)).min(1),
    })
    .nullable()
    .default(null),
  /**
   * The image of the gateway, dashboard and runners (the template's `WorkerImage`), e.g. one with the
   * user's own OMNeT++/INET; it must be pullable without credentials (no private registries yet).
   */
  workerImage: imageReference,
  /** The image of the builder and distcc (`BuilderImage`); the same requirements. */
  builderImage: imageReference,
});

export const campaignLimitsSchema = z.strictObject({
  /** The cluster is torn down when this much time has passed since the campaign started. */
  maxLifetimeMinutes: z
    .number()
    .int()
    .min(10)
    .max(7 * 24 * 60)
    .default(24 * 60),
  /** Actual or projected cost above this tears the cluster down; null: no budget. */
  budgetUsd: z.number().positive().nullable().default(null),
  /** How long the cluster stays up after the last run (for `aws connect`, a quick resubmission). */
  idleGraceMinutes: z.number().int().min(0).max(60).default(5),
  runTimeoutMs: z.number().int().positive().nullable().default(null),
  maxRetries: z.number().int().min(0).max(10).default(2),
});

export const campaignSpecSchema = z.strictObject({
  /** A label for people; the id is assigned by the control plane. */
  name: z.string().min(1).max(100).optional(),
  /** The simulation program and its arguments, exactly as for `opp_runall` / `inet-swarm run`. */
  program: z.string().min(1),
  args: z.array(z.string()).max(200),
  /** The simulation's working directory inside the source snapshot. */
  workingDir: z.union([z.literal('.'), relativePath]).default('.'),
  /** The uploaded snapshot (sources/<sha256>.tar.gz). */
  source: z.strictObject({
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    size: z
      .number()
      .int()
      .positive()
      .max(2 * 2 ** 30),
  }),
  /** Shell command that builds the project in the cluster; null: nothing to build. */
  buildCommand: z.string().min(1).nullable().default(null),
  cluster: clusterOptionsSchema,
  limits: campaignLimitsSchema.default(campaignLimitsSchema.parse({})),
});

export type CampaignSpec = z.infer<typeof campaignSpecSchema>;
export type CampaignSpecInput = z.input<typeof campaignSpecSchema>;
export type ClusterOptions = z.infer<typeof clusterOptionsSchema>;

/** `path: message` lines for a failed parse, for error bodies and CLI output. */
export function issueLines(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`);
}
