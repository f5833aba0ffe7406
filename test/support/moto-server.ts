/**
 * A real HTTP AWS endpoint for tests: moto's server (`moto_server`, installed by
 * scripts/ensure-aws-tools.sh) on a free loopback port, stopped after the tests. SDK clients reach it
 * through `endpoint` (or AWS_ENDPOINT_URL) with any static credentials; S3 needs path-style URLs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './ports.js';

export interface TestMoto {
  readonly endpoint: string;
  readonly region: string;
  /** Options for any AWS SDK v3 client. */
  readonly clientConfig: {
    endpoint: string;
    region: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
    forcePathStyle: boolean;
  };
  /** Forgets every resource (moto's reset API), for tests that assert what is left behind. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * @param host the address to listen on: loopback unless something outside this network namespace (a
 *   container of a test swarm) must reach it too
 */
export async function startMoto(region = 'eu-central-1', host = '127.0.0.1'): Promise<TestMoto> {
  const port = await freePort();
  const server: ChildProcess = spawn('moto_server', ['-H', host, '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  server.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  const endpoint = `http://${host}:${port}`;
  // Wait for the server by asking it, not by sleeping a fixed time.
  for (let i = 0; ; i++) {
    try {
      const response = await fetch(`${endpoint}/moto-api/data.json`);
      if (response.ok) break;
    } catch {
      // refused while it starts: expected
    }
    if (i > 600 || server.exitCode !== null) throw new Error(`moto_server did not start:\n${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    endpoint,
    region,
    clientConfig: {
      endpoint,
      region,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      forcePathStyle: true,
    },
    reset: async () => {
      const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!response.ok) throw new Error(`moto reset failed: ${response.status}`);
    },
    stop: async () => {
      server.kill('SIGTERM');
      await exited;
    },
  };
}
