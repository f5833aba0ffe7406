/**
 * A real MongoDB-wire-protocol server for tests: FerretDB on SQLite (built by
 * scripts/build-ferretdb.sh), on a free loopback port, in a throw-away directory.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
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
