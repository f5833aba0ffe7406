/**
 * A real MongoDB-wire-protocol server for tests: FerretDB on SQLite (built by
 * scripts/build-ferretdb.sh), on a free loopback port, in a throw-away directory.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll } from 'vitest';
import { freePort } from './ports.js';
import { repoRoot } from './repo.js';

export interface TestMongo {
  readonly url: string;
  stop(): Promise<void>;
}

export async function startFerretDb(): Promise<TestMongo> {
  const binary = path.join(repoRoot, '.tools/ferretdb-v1.24.0/ferretdb');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ferretdb-'));
  const port = await freePort();
  const server = spawn(
    binary,
    [
      '--handler=sqlite',
      `--sqlite-url=file:${dir}/`,
      `--state-dir=${dir}`,
      `--listen-addr=127.0.0.1:${port}`,
      // No debug HTTP listener: its fixed default port would collide between test files.
      '--debug-addr=-',
      '--telemetry=disable',
      '--log-level=error',
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  server.once('error', () => undefined); // reported below as "did not start"
  const url = `mongodb://127.0.0.1:${port}/`;
  for (let i = 0; ; i++) {
    const client = new MongoClient(url, { serverSelectionTimeoutMS: 200 });
    try {
      await client.db('admin').command({ ping: 1 });
      await client.close();
      break;
    } catch (error) {
      await client.close();
      if (i > 100 || server.exitCode !== null || server.pid === undefined) {
        throw new Error(
          `FerretDB (${binary}) did not start; run scripts/build-ferretdb.sh: ${String(error)}`,
        );
      }
    }
  }
  return {
    url,
    stop: async () => {
      server.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts FerretDB for the calling test file (beforeAll) and stops it afterwards (afterAll); returns a
 * getter for a connected client, valid inside tests.
 */
export function useFerretDb(): () => MongoClient {
  let mongo: TestMongo | undefined;
  let client: MongoClient | undefined;
  beforeAll(async () => {
    mongo = await startFerretDb();
    client = new MongoClient(mongo.url);
    await client.connect();
  });
  afterAll(async () => {
    await client?.close();
    await mongo?.stop();
  });
  return () => {
    if (client === undefined) throw new Error('FerretDB is not running (used outside a test?)');
    return client;
  };
}
