/**
 * The user's record of the swarms they deployed: gateway address, token, dashboard, Docker address.
 * `swarm up` writes it; every other command reads it. It holds a secret, so it is written with mode
 * 0600 and replaced atomically. Location: $INET_SWARM_CONFIG, else $XDG_CONFIG_HOME/inet-swarm/swarms.json,
 * else ~/.config/inet-swarm/swarms.json.
 */
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

export const swarmEntrySchema = z.object({
  gateway: z.string().url(),
  dashboard: z.string().url().nullable(),
  token: z.string().min(16),
  docker: z.string().nullable(),
  stack: z.string(),
});
export type SwarmEntry = z.infer<typeof swarmEntrySchema>;

const configSchema = z.object({
  v: z.literal(1),
  current: z.string().nullable(),
  swarms: z.record(z.string(), swarmEntrySchema),
});
type SwarmConfig = z.infer<typeof configSchema>;

export class SwarmConfigError extends Error {
  override readonly name = 'SwarmConfigError';
}

export function swarmConfigFile(env: Readonly<Record<string, string | undefined>> = process.env): string {
  if (env.INET_SWARM_CONFIG) return env.INET_SWARM_CONFIG;
  const base = env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return path.join(base, 'inet-swarm', 'swarms.json');
}

async function load(file: string): Promise<SwarmConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return { v: 1, current: null, swarms: {} };
  }
  const parsed = configSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new SwarmConfigError(`${file} is damaged: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

export async function saveSwarm(name: string, entry: SwarmEntry, file = swarmConfigFile()): Promise<void> {
  const config = await load(file);
  config.swarms[name] = entry;
  config.current = name;
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const partial = `${file}.partial`;
  await writeFile(partial, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await chmod(partial, 0o600);
  await rename(partial, file);
}

export async function forgetSwarm(name: string, file = swarmConfigFile()): Promise<void> {
  const config = await load(file);
  if (!(name in config.swarms)) return;
  delete config.swarms[name];
  if (config.current === name) config.current = null;
  const partial = `${file}.partial`;
  await writeFile(partial, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await rename(partial, file);
}

/** The named swarm, or the one deployed last. */
export async function findSwarm(
  name: string | null,
  file = swarmConfigFile(),
): Promise<SwarmEntry & { name: string }> {
  const config = await load(file);
  const wanted = name ?? config.current;
  if (wanted === null)
    throw new SwarmConfigError(`no swarm is known yet (${file}): deploy one with \`inet-swarm swarm up\``);
  const entry = config.swarms[wanted];
  if (entry === undefined)
    throw new SwarmConfigError(
      `no swarm named '${wanted}' in ${file}; known: ${Object.keys(config.swarms).join(', ') || 'none'}`,
    );
  return { ...entry, name: wanted };
}
