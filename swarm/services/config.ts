/**
 * How every in-swarm service finds the stack's Redis and MongoDB and reads its secrets. Settings come
 * from the environment the stack file sets; passwords come from Docker secrets (files under
 * /run/secrets), never from environment variables, so `docker inspect` does not show them.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { Redis } from 'ioredis';
import { MongoClient, type Db } from 'mongodb';
import type { ExtractLimits } from '../../lib/adapters/local/safe-extract.js';

export interface ServiceConfig {
  readonly redis: { readonly host: string; readonly port: number; readonly password: string };
  readonly mongo: {
    readonly url: string;
    readonly username: string | null;
    readonly password: string | null;
    readonly database: string;
  };
  /** Node-local disk for artifact caches and task workspaces. */
  readonly scratchDir: string;
  /** Largest unpacked artifact or source a service accepts (an INET build is a few GiB). */
  readonly extractLimits: ExtractLimits;
}

export class ServiceConfigError extends Error {
  override readonly name = 'ServiceConfigError';
}

type Env = Readonly<Record<string, string | undefined>>;

/** A secret from `<NAME>_FILE` (a Docker secret), or null when neither it nor `<NAME>` is set. */
export function readSecret(env: Env, name: string): string | null {
  const file = env[`${name}_FILE`];
  if (file !== undefined && file !== '') {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch (error) {
      throw new ServiceConfigError(`cannot read ${name}_FILE ${file}: ${(error as Error).message}`);
    }
  }
  const value = env[name];
  return value === undefined || value === '' ? null : value;
}

export function readServiceConfig(env: Env = process.env): ServiceConfig {
  const redisPassword = readSecret(env, 'REDIS_PASSWORD');
  if (redisPassword === null) {
    throw new ServiceConfigError(
      'REDIS_PASSWORD_FILE is not set: the stack never runs Redis without a password',
    );
  }
  return {
    redis: {
      host: env.REDIS_HOST ?? 'redis',
      port: Number(env.REDIS_PORT ?? 6379),
      password: redisPassword,
    },
    mongo: {
      url: env.MONGO_URL ?? 'mongodb://mongo:27017',
      username: env.MONGO_USERNAME ?? null,
      password: readSecret(env, 'MONGO_PASSWORD'),
      database: env.MONGO_DATABASE ?? 'inet_swarm',
    },
    scratchDir: env.SCRATCH_DIR ?? os.tmpdir(),
    extractLimits: {
      maxBytes: Number(env.EXTRACT_MAX_BYTES ?? 16 * 2 ** 30),
      maxEntries: Number(env.EXTRACT_MAX_ENTRIES ?? 500_000),
    },
  };
}

/**
 * A Redis client as BullMQ workers need it: no per-request retry limit and endless reconnects, so a
 * restarted Redis is waited out instead of failing the service.
 */
export function connectRedis(config: ServiceConfig): Redis {
  return new Redis({
    host: config.redis.host,
    port: config.redis.port,
    password: config.redis.password,
    maxRetriesPerRequest: null,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
}

export async function connectMongo(config: ServiceConfig): Promise<{ client: MongoClient; db: Db }> {
  const { mongo } = config;
  const client = new MongoClient(mongo.url, {
    ...(mongo.username !== null && mongo.password !== null
      ? { auth: { username: mongo.username, password: mongo.password } }
      : {}),
    serverSelectionTimeoutMS: 60_000,
  });
  await client.connect();
  return { client, db: client.db(mongo.database) };
}

/** The token the gateway and the dashboard require; they refuse to start without one. */
export function readGatewayToken(env: Env, service: string): string {
  const token = readSecret(env, 'GATEWAY_TOKEN');
  if (token === null)
    throw new ServiceConfigError(`GATEWAY_TOKEN_FILE is not set: the ${service} never runs open`);
  return token;
}

/** The TCP port a service listens on (PORT), or `fallback`. */
export function readPort(env: Env, fallback: number): number {
  const port = Number(env.PORT ?? fallback);
  if (!Number.isInteger(port) || port <= 0 || port > 65535)
    throw new ServiceConfigError(`PORT ${String(env.PORT)} is not a TCP port`);
  return port;
}
