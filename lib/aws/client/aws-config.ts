/**
 * Which control plane the CLI talks to. The API URL comes from `--api URL`, else INET_SWARM_AWS_API,
 * else the user's aws.json (written by `inet-swarm aws configure`); the region requests are signed for
 * from the URL when it is an execute-api one, else the saved region, else AWS_REGION /
 * AWS_DEFAULT_REGION. The file's location: $INET_SWARM_AWS_CONFIG, else
 * $XDG_CONFIG_HOME/inet-swarm/aws.json, else ~/.config/inet-swarm/aws.json; written with mode 0600
 * and replaced atomically, like the swarm config.
 */
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { AwsConfigError } from './client-errors.js';

type Env = Readonly<Record<string, string | undefined>>;

const apiUrlSchema = z.url({
  protocol: /^https?$/,
  error: 'the API URL must be an http(s) URL such as https://abc123.execute-api.eu-central-1.amazonaws.com',
});
const signingRegionSchema = z
  .string()
  .regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'a region name such as eu-central-1');

export const awsConfigSchema = z.strictObject({
  v: z.literal(1),
  api: apiUrlSchema,
  region: signingRegionSchema.nullable(),
});
export type AwsConfig = z.infer<typeof awsConfigSchema>;

export interface AwsConnection {
  readonly apiUrl: string;
  readonly region: string;
  /** Where the URL came from, for messages. */
  readonly source: '--api' | 'INET_SWARM_AWS_API' | 'config';
}

export function awsConfigFile(env: Env = process.env): string {
  if (env.INET_SWARM_AWS_CONFIG) return env.INET_SWARM_AWS_CONFIG;
  const base = env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return path.join(base, 'inet-swarm', 'aws.json');
}

export async function loadAwsConfig(file: string): Promise<AwsConfig | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new AwsConfigError(`cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AwsConfigError(`${file} is not JSON; run \`inet-swarm aws configure --api URL\` again`);
  }
  const parsed = awsConfigSchema.safeParse(value);
  if (!parsed.success) throw new AwsConfigError(`${file} is damaged: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** Validates and saves the connection (mode 0600: it names an endpoint of the user's account). */
export async function saveAwsConfig(
  file: string,
  input: { api: string; region: string | null },
): Promise<AwsConfig> {
  const parsed = awsConfigSchema.safeParse({ v: 1, ...input });
  if (!parsed.success)
    throw new AwsConfigError(
      `invalid settings:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`,
    );
  const config = { ...parsed.data, api: parsed.data.api.replace(/\/+$/, '') };
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const partial = `${file}.partial`;
  await writeFile(partial, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await chmod(partial, 0o600);
  await rename(partial, file);
  return config;
}

/** `https://abc.execute-api.eu-central-1.amazonaws.com/dev` -> `eu-central-1`; null for other hosts. */
export function regionOfApiUrl(url: string): string | null {
  const host = URL.canParse(url) ? new URL(url).hostname : '';
  return /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(host)?.[1] ?? null;
}

/**
 * The connection to use. @throws AwsConfigError when no API is set anywhere, or its region cannot be
 * told; nothing has been sent at that point.
 */
export async function resolveAwsConnection(
  apiOption: string | undefined,
  env: Env = process.env,
  file: string = awsConfigFile(env),
): Promise<AwsConnection> {
  const config = await loadAwsConfig(file);
  const fromEnv = env.INET_SWARM_AWS_API;
  const [apiUrl, source]: [string | undefined, AwsConnection['source']] =
    apiOption !== undefined && apiOption !== ''
      ? [apiOption, '--api']
      : fromEnv !== undefined && fromEnv !== ''
        ? [fromEnv, 'INET_SWARM_AWS_API']
        : [config?.api, 'config'];
  if (apiUrl === undefined)
    throw new AwsConfigError(
      'no control plane API is configured: pass --api URL, set INET_SWARM_AWS_API, or save one with ' +
        '`inet-swarm aws configure --api URL` (the URL is an output of `sls deploy`: HttpApiUrl)',
    );
  const url = apiUrlSchema.safeParse(apiUrl);
  if (!url.success) throw new AwsConfigError(`${source}: ${url.error.issues[0]?.message ?? 'invalid URL'}`);
  const region =
    regionOfApiUrl(apiUrl) ??
    config?.region ??
    (env.AWS_REGION || undefined) ??
    (env.AWS_DEFAULT_REGION || undefined);
  if (region === undefined)
    throw new AwsConfigError(
      `cannot tell the region of the API at ${apiUrl}: save it with \`inet-swarm aws configure --api URL --region REGION\` or set AWS_REGION`,
    );
  return { apiUrl: apiUrl.replace(/\/+$/, ''), region, source };
}
