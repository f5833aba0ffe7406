/** SpotInterruptionWatcher against a local HTTP server that behaves like IMDSv2. */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  SpotInterruptionWatcher,
  type SpotInterruptionNotice,
} from '../../../../lib/adapters/aws/imds-spot-interruption.js';
import { freePort } from '../../../support/ports.js';

const NOTICE = { action: 'terminate', time: '2026-03-01T10:02:00Z' };
const ACTION_PATH = '/latest/meta-data/spot/instance-action';

type Answer = 'not-found' | 'notice' | 'drop' | 'hang' | 'expire-token';

/**
 * IMDSv2: a token from PUT /latest/api/token (TTL header required), then GETs carrying it (401
 * without a valid one). Instance-action GETs with a valid token get the scripted answers in turn; the
 * last one repeats.
 */
class FakeImds {
  readonly requests: { method: string; url: string; token: string | undefined }[] = [];
  private readonly server: http.Server;
  private tokens = 0;
  private validToken: string | null = null;
  private answered = 0;

  constructor(private readonly answers: Answer[]) {
    this.server = http.createServer((request, response) => this.handle(request, response));
  }

  async listen(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  get actionRequests() {
    return this.requests.filter((r) => r.url === ACTION_PATH);
  }

  private handle(request: http.IncomingMessage, response: http.ServerResponse): void {
    const token = request.headers['x-aws-ec2-metadata-token'] as string | undefined;
    this.requests.push({ method: request.method ?? '', url: request.url ?? '', token });
    if (request.method === 'PUT' && request.url === '/latest/api/token') {
      if (request.headers['x-aws-ec2-metadata-token-ttl-seconds'] === undefined) {
        response.writeHead(400).end();
        return;
      }
      this.validToken = `token-${++this.tokens}`;
      response.writeHead(200, { 'content-type': 'text/plain' }).end(this.validToken);
      return;
    }
    if (request.method !== 'GET' || request.url !== ACTION_PATH) {
      response.writeHead(404).end();
      return;
    }
    if (token === undefined || token !== this.validToken) {
      response.writeHead(401).end();
      return;
    }
    const answer = this.answers[Math.min(this.answered++, this.answers.length - 1)];
    switch (answer) {
      case 'notice':
        response.writeHead(200, { 'content-type': 'text/plain' }).end(JSON.stringify(NOTICE));
        return;
      case 'drop':
        request.socket.destroy();
        return;
      case 'hang':
        return; // never answered: the watcher's timeout must end it
      case 'expire-token':
        this.validToken = null;
        response.writeHead(401).end();
        return;
      default:
        response.writeHead(404).end();
    }
  }
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  vi.restoreAllMocks();
});

async function watch(answers: Answer[]) {
  const imds = new FakeImds(answers);
  const baseUrl = await imds.listen();
  const watcher = new SpotInterruptionWatcher({ baseUrl, intervalMs: 5, requestTimeoutMs: 200 });
  cleanups.push(
    () => imds.close(),
    () => watcher.stop(),
  );
  const notice = new Promise<SpotInterruptionNotice>((resolve) => watcher.onNotice(resolve));
  return { imds, watcher, notice };
}

describe('SpotInterruptionWatcher', () => {
  it('asks with an IMDSv2 token, ignores 404s and fires once with the notice', async () => {
    const { imds, watcher, notice } = await watch(['not-found', 'not-found', 'notice']);
    const callback = vi.fn();
    watcher.onNotice(callback);
    watcher.start();
    expect(await notice).toEqual(NOTICE);
    await vi.waitFor(() => expect(callback).toHaveBeenCalledTimes(1));
    expect(callback).toHaveBeenCalledWith(NOTICE);
    expect(imds.actionRequests.map((r) => r.token)).toEqual(['token-1', 'token-1', 'token-1']);
    // One token for all of them: it is reused until it nears expiry.
    expect(imds.requests.filter((r) => r.method === 'PUT')).toHaveLength(1);
  });

  it('calls a callback registered after the notice, at once', async () => {
    const { watcher, notice } = await watch(['notice']);
    watcher.start();
    await notice;
    const late = await new Promise<SpotInterruptionNotice>((resolve) => watcher.onNotice(resolve));
    expect(late).toEqual(NOTICE);
  });

  it('gets a new token when IMDS no longer accepts the one it has', async () => {
    const { imds, watcher, notice } = await watch(['not-found', 'expire-token', 'notice']);
    watcher.start();
    expect(await notice).toEqual(NOTICE);
    expect(imds.actionRequests.map((r) => r.token)).toEqual(['token-1', 'token-1', 'token-2']);
  });

  it('keeps watching through dropped connections and requests that never answer', async () => {
    const { imds, watcher, notice } = await watch(['drop', 'hang', 'not-found', 'notice']);
    watcher.start();
    expect(await notice).toEqual(NOTICE);
    expect(imds.actionRequests).toHaveLength(4);
  });

  it('stays quiet where there is no metadata service', async () => {
    const fetchSpy = vi.spyOn(globalThis, 'fetch');
    const watcher = new SpotInterruptionWatcher({
      baseUrl: `http://127.0.0.1:${await freePort()}`,
      intervalMs: 5,
      requestTimeoutMs: 200,
    });
    cleanups.push(() => watcher.stop());
    const callback = vi.fn();
    watcher.onNotice(callback);
    watcher.start();
    // Several refused attempts, each one caught: an unhandled rejection would fail the test run.
    await vi.waitFor(() => expect(fetchSpy.mock.calls.length).toBeGreaterThanOrEqual(5));
    const urls = fetchSpy.mock.calls.map(([url]) => (url instanceof Request ? url.url : url.toString()));
    expect(urls.every((url) => url.endsWith('/latest/api/token'))).toBe(true);
    expect(callback).not.toHaveBeenCalled();
  });
});
