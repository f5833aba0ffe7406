/**
 * Reads swarm/docker-stack.yml the way `docker stack deploy` does, so that one file serves both that
 * command and `inet-swarm swarm up`: `${VAR}` / `${VAR:-default}` interpolation, `$$` for a literal `$`,
 * YAML merge keys, then one Docker Engine API ServiceSpec per service (named `<stack>_<service>`, with
 * the service name as its DNS alias on every network, as the docker CLI does).
 *
 * Only the compose keys the stack uses are understood; any other key is refused by name rather than
 * silently ignored, so an edit to the stack file cannot deploy differently here than with the CLI.
 */
import { parse } from 'yaml';
import { z } from 'zod';

const durationSchema = z.string().regex(/^\d+(ms|s|m)$/, 'a duration like 5s');

const serviceSchema = z
  .object({
    image: z.string().min(1),
    command: z.array(z.string()).optional(),
    entrypoint: z.array(z.string()).optional(),
    environment: z.record(z.string(), z.union([z.string(), z.number(), z.null()])).optional(),
    secrets: z.array(z.string()).optional(),
    volumes: z.array(z.string()).optional(),
    networks: z.array(z.string()).optional(),
    hostname: z.string().optional(),
    init: z.boolean().optional(),
    stop_grace_period: durationSchema.optional(),
    ports: z
      .array(
        z
          .object({
            target: z.number().int(),
            published: z.union([z.number().int(), z.string()]),
            protocol: z.enum(['tcp', 'udp']).default('tcp'),
            mode: z.literal('host'),
          })
          .strict(),
      )
      .optional(),
    healthcheck: z
      .object({
        test: z.array(z.string()).min(1),
        interval: durationSchema.optional(),
        timeout: durationSchema.optional(),
        retries: z.number().int().optional(),
      })
      .strict()
      .optional(),
    deploy: z
      .object({
        mode: z.enum(['global', 'replicated']).optional(),
        replicas: z.number().int().nonnegative().optional(),
        endpoint_mode: z.literal('dnsrr'),
        placement: z
          .object({ constraints: z.array(z.string()) })
          .strict()
          .optional(),
      })
      .strict(),
  })
  .strict();

const stackSchema = z
  .object({
    version: z.string().optional(),
    services: z.record(z.string(), serviceSchema),
    networks: z.record(z.string(), z.object({ driver: z.literal('overlay') }).strict()).optional(),
    volumes: z.record(z.string(), z.null()).optional(),
    secrets: z.record(z.string(), z.object({ external: z.literal(true) }).strict()).optional(),
  })
  .catchall(z.unknown()); // `x-` extension fields hold the YAML anchors

export type StackFile = z.infer<typeof stackSchema>;
type ServiceDefinition = z.infer<typeof serviceSchema>;

export class StackFileError extends Error {
  override readonly name = 'StackFileError';
}

/** `${VAR}`, `${VAR:-default}`, `$$` -> `$`, as compose does. */
export function interpolate(text: string, env: Readonly<Record<string, string | undefined>>): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}/g, (match, name, _d, fallback) => {
    if (match === '$$') return '$';
    const value = env[name as string];
    if (value !== undefined && value !== '') return value;
    return (fallback as string | undefined) ?? '';
  });
}

export function readStackFile(text: string, env: Readonly<Record<string, string | undefined>>): StackFile {
  let document: unknown;
  try {
    document = parse(interpolate(text, env), { merge: true });
  } catch (error) {
    throw new StackFileError(`the stack file is not valid YAML: ${(error as Error).message}`);
  }
  const result = stackSchema.safeParse(document);
  if (!result.success) throw new StackFileError(`unsupported stack file: ${z.prettifyError(result.error)}`);
  for (const [key] of Object.entries(result.data)) {
    if (!['version', 'services', 'networks', 'volumes', 'secrets'].includes(key) && !key.startsWith('x-'))
      throw new StackFileError(`unsupported top-level key '${key}' in the stack file`);
  }
  return result.data;
}

function nanoseconds(duration: string | undefined): number | undefined {
  if (duration === undefined) return undefined;
  const match = /^(\d+)(ms|s|m)$/.exec(duration);
  if (match === null) return undefined;
  const unit = { ms: 1e6, s: 1e9, m: 60e9 }[match[2] as 'ms' | 's' | 'm'];
  return Number(match[1]) * unit;
}

/** What the deployer needs to turn names into ids. */
export interface StackResolution {
  readonly stack: string;
  /** Secret name -> id. */
  readonly secretIds: Readonly<Record<string, string>>;
}

export const STACK_LABEL = 'com.docker.stack.namespace';

export function scopedName(stack: string, name: string): string {
  return `${stack}_${name}`;
}

function mountOf(volume: string, stack: string, declared: ReadonlySet<string>) {
  const [source = '', target = '', mode] = volume.split(':');
  const readOnly = mode === 'ro';
  if (source.startsWith('/')) return { Type: 'bind', Source: source, Target: target, ReadOnly: readOnly };
  if (!declared.has(source)) throw new StackFileError(`volume '${source}' is used but not declared`);
  return {
    Type: 'volume',
    Source: scopedName(stack, source),
    Target: target,
    ReadOnly: readOnly,
    VolumeOptions: { Labels: { [STACK_LABEL]: stack } },
  };
}

/** The Docker Engine API spec of one service (POST /services/create, or /update with a version). */
export function serviceSpec(
  name: string,
  service: ServiceDefinition,
  file: StackFile,
  resolution: StackResolution,
) {
  const { stack } = resolution;
  const declaredVolumes = new Set(Object.keys(file.volumes ?? {}));
  const labels = { [STACK_LABEL]: stack };
  const secrets = (service.secrets ?? []).map((secret) => {
    const id = resolution.secretIds[secret];
    if (id === undefined) throw new StackFileError(`secret '${secret}' does not exist in the swarm`);
    return { SecretID: id, SecretName: secret, File: { Name: secret, UID: '0', GID: '0', Mode: 0o400 } };
  });
  const health = service.healthcheck;
  return {
    Name: scopedName(stack, name),
    Labels: labels,
    TaskTemplate: {
      ContainerSpec: {
        Image: service.image,
        Labels: labels,
        ...(service.entrypoint !== undefined ? { Command: service.entrypoint } : {}),
        ...(service.command !== undefined ? { Args: service.command } : {}),
        // A key without a value (`KEY:`) is passed empty, as compose does.
        Env: Object.entries(service.environment ?? {}).map(
          ([key, value]) => `${key}=${value === null ? '' : String(value)}`,
        ),
        ...(service.hostname !== undefined ? { Hostname: service.hostname } : {}),
        Init: service.init ?? false,
        Mounts: (service.volumes ?? []).map((volume) => mountOf(volume, stack, declaredVolumes)),
        Secrets: secrets,
        ...(service.stop_grace_period !== undefined
          ? { StopGracePeriod: nanoseconds(service.stop_grace_period) }
          : {}),
        ...(health !== undefined
          ? {
              Healthcheck: {
                Test: health.test,
                Interval: nanoseconds(health.interval),
                Timeout: nanoseconds(health.timeout),
                Retries: health.retries,
              },
            }
          : {}),
      },
      Placement: { Constraints: service.deploy.placement?.constraints ?? [] },
      RestartPolicy: { Condition: 'any', Delay: 2e9 },
      Networks: (service.networks ?? []).map((network) => ({
        Target: scopedName(stack, network),
        Aliases: [name],
      })),
    },
    Mode:
      service.deploy.mode === 'global'
        ? { Global: {} }
        : { Replicated: { Replicas: service.deploy.replicas ?? 1 } },
    EndpointSpec: {
      Mode: 'dnsrr',
      Ports: (service.ports ?? []).map((port) => ({
        Protocol: port.protocol,
        TargetPort: port.target,
        PublishedPort: Number(port.published),
        PublishMode: 'host',
      })),
    },
  };
}

export type ServiceSpec = ReturnType<typeof serviceSpec>;
