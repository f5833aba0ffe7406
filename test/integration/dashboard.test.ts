/**
 * The dashboard end to end: the app on a loopback port over a real Redis (BullMQ queues, one unit
 * held active by a worker) and a real FerretDB (campaigns, run records, a `.out` file in GridFS), the
 * swarm from a fake inspector; the JSON read over HTTP and the page driven in headless Chromium.
 * One app has a cluster price (as on AWS), another none (a swarm of one's own machines); both run on a
 * fixed clock, one second after the runner took the unit it holds. Needs /usr/bin/chromium
 * (scripts/bootstrap.sh installs it).
 */
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GridFsBlobStore } from '../../lib/adapters/mongo/grid-fs-blob-store.js';
import { MongoCampaignStore } from '../../lib/adapters/mongo/mongo-campaign-store.js';
import type { RunRecord } from '../../lib/core/campaign.js';
import type { SwarmCampaign, SwarmRunRecord } from '../../lib/ports/campaign-store.js';
import type { QueuedUnit } from '../../lib/ports/run-queue.js';
import { BUILD_QUEUE, PLAN_QUEUE } from '../../lib/swarm/build-jobs.js';
import { clusterPriceFromEnv } from '../../lib/swarm/dashboard/cluster-cost.js';
import { createDashboardApp } from '../../lib/swarm/dashboard/dashboard-app.js';
import {
  DockerSwarmInspector,
  type DockerSwarmApi,
} from '../../lib/swarm/dashboard/docker-swarm-inspector.js';
import { InMemorySwarmInspector } from '../../lib/swarm/dashboard/in-memory-swarm-inspector.js';
import type { SwarmTask } from '../../lib/swarm/dashboard/swarm-inspector.js';
import { RUN_QUEUE } from '../../lib/swarm/runner-worker.js';
import { startFerretDb, type TestMongo } from '../support/ferretdb-server.js';
import { startRedis, type TestRedis } from '../support/redis-server.js';
import { repoRoot } from '../support/repo.js';
import { runRecord } from '../support/run-record.js';
import { runSpec } from '../support/run-spec.js';

const TOKEN = 'dashboard-test-token-0123456789';
const XSS_NAME = '<script>window.__xss = true</script><img src=x onerror="window.__xss = true">';

const campaign = (campaignId: string, overrides: Partial<SwarmCampaign> = {}): SwarmCampaign => ({
  campaignId,
  artifactKey: 'artifact-1',
  program: './demo',
  args: ['-c', 'Uniform'],
  workingDir: 'sims',
  resultDir: 'sims/results',
  runTimeoutMs: null,
  sessionId: 's1',
  fingerprint: 'f1',
  configName: 'Uniform',
  totalRuns: 12,
  submittedAt: '2026-11-24T10:00:00.000Z',
  ...overrides,
});

function record(runNumber: number, overrides: Partial<RunRecord>, outKey?: string): SwarmRunRecord {
  const stem = `Uniform-x=${runNumber}-#0`;
  return {
    campaignId: 'c-demo',
    record: runRecord(runNumber, {
      configName: 'Uniform',
      host: `node-${(runNumber % 2) + 1}`,
      ...overrides,
    }),
    results: [
      { name: `${stem}.sca`, blobKey: `result-sca-${runNumber}` },
      ...(outKey === undefined ? [] : [{ name: `${stem}.out`, blobKey: outKey }]),
    ],
  };
}

const OVERFLOW = '<!> Error: Queue overflow -- in module (Sink) Net.sink (id=4), at t=3.2s, event #812';
/** Runs 0-7 ok, 8 failed (with its .out), 9 lost then ok, 10 lost; 11 is running, none recorded. */
const records: SwarmRunRecord[] = [
  ...[0, 1, 2, 3, 4, 5, 6, 7].map((n) => record(n, { durationMs: 1000 * (n + 1) })),
  record(
    8,
    {
      status: 'failed',
      exitCode: 1,
      signal: null,
      failure: { kind: 'simulation-error', message: OVERFLOW },
      termination: OVERFLOW,
    },
    'result-out-8',
  ),
  record(9, { status: 'lost', attempt: 1, endedAt: '2026-11-24T00:00:01.000Z' }),
  record(9, { status: 'ok', attempt: 2, endedAt: '2026-11-24T00:00:05.000Z', durationMs: 6000 }),
  record(10, { status: 'lost', attempt: 3, signal: 'SIGKILL', exitCode: null }),
];
const OK_DURATION_MS = [1, 2, 3, 4, 5, 6, 7, 8].reduce((sum, n) => sum + 1000 * n, 0) + 6000;
/** Run 11 has run 1 s of its expected mean duration (the app's clock is fixed there): the ETA. */
const ETA_MS = Math.round(OK_DURATION_MS / 9 - 1000);
/** The cluster costs $36/h (a cent a second) and has run for 42 min: $25.20 so far. */
const USD_PER_HOUR = 36;
const RUNNING_FOR_MS = 42 * 60_000;
const SPENT_USD = 25.2;
const PROJECTED_USD = SPENT_USD + (USD_PER_HOUR * ETA_MS) / 3_600_000;
/** The `.out` file of run 8: 250 lines of events, then the error. */
const OUT_LINES = [...Array.from({ length: 250 }, (_, i) => `** Event #${i + 1}   t=${i / 100}`), OVERFLOW];

const task = (
  id: string,
  serviceId: string,
  nodeId: string,
  overrides: Partial<SwarmTask> = {},
): SwarmTask => ({
  id,
  serviceId,
  nodeId,
  slot: null,
  state: 'running',
  desiredState: 'running',
  message: 'started',
  error: null,
  exitCode: null,
  updatedAt: '2026-11-24T09:00:00.000Z',
  ...overrides,
});

const swarm = new InMemorySwarmInspector({
  nodes: [
    {
      id: 'n2',
      hostname: 'node-2',
      role: 'worker',
      availability: 'active',
      state: 'ready',
      leader: false,
      address: '10.0.0.2',
      cpus: 8,
      memoryBytes: 16 * 2 ** 30,
      engineVersion: '27.3.1',
    },
    {
      id: 'n1',
      hostname: 'node-1',
      role: 'manager',
      availability: 'active',
      state: 'ready',
      leader: true,
      address: '10.0.0.1',
      cpus: 4,
      memoryBytes: 8 * 2 ** 30,
      engineVersion: '27.3.1',
    },
  ],
  services: [
    {
      id: 's-run',
      name: 'inet-swarm_runner',
      image: 'inet-swarm/worker:dev',
      mode: 'global',
      desiredTasks: 2,
      runningTasks: 2,
    },
    {
      id: 's-dash',
      name: 'inet-swarm_dashboard',
      image: 'inet-swarm/worker:dev',
      mode: 'replicated',
      desiredTasks: 1,
      runningTasks: 1,
    },
  ],
  tasks: [
    task('t-old', 's-run', 'n2', {
      state: 'failed',
      desiredState: 'shutdown',
      error: 'task: non-zero exit (137)',
      exitCode: 137,
      updatedAt: '2026-11-24T08:00:00.000Z',
    }),
    task('t-run-2', 's-run', 'n2'),
    task('t-run-1', 's-run', 'n1'),
    task('t-dash', 's-dash', 'n1', { slot: 1 }),
  ],
});

let redis: TestRedis | undefined;
let mongo: TestMongo | undefined;
let client: MongoClient | undefined;
let server: Server | undefined;
let worker: Worker | undefined;
let queues: Queue[] = [];
let connections: Redis[] = [];
let base = '';
/** The same data through an app without a cluster price. */
let unpricedBase = '';
let unpricedServer: Server | undefined;
/** The apps' clock: one second after the runner took run 11. */
let nowMs = 0;
/** Ends the unit the worker holds active. */
let releaseActive = () => {};

beforeAll(async () => {
  [redis, mongo] = await Promise.all([startRedis(), startFerretDb()]);
  client = new MongoClient(mongo.url);
  await client.connect();
  const db = client.db('dashboard');
  const campaigns = new MongoCampaignStore(db);
  const blobs = new GridFsBlobStore(db);

  await campaigns.putCampaign(campaign('c-demo'));
  await campaigns.putCampaign(
    campaign('c-xss', { configName: XSS_NAME, submittedAt: '2026-11-24T11:00:00.000Z' }),
  );
  const outFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'dashboard-test-')), 'run-8.out');
  writeFileSync(outFile, `${OUT_LINES.join('\n')}\n`);
  await blobs.putFile('result-out-8', outFile);
  for (const entry of records) await campaigns.addRecord(entry);

  const connection = redis.client();
  const workerConnection = redis.client();
  connections = [connection, workerConnection];
  queues = [RUN_QUEUE, BUILD_QUEUE, PLAN_QUEUE].map((name) => new Queue(name, { connection }));
  const [runs, builds] = queues as [Queue, Queue];
  const unit = (campaignId: string, runNumber: number, priority: number): QueuedUnit => ({
    id: `${campaignId}-${runNumber}`,
    campaignId,
    runs: [runSpec(runNumber)],
    priority,
  });
  // One worker slot: run 11 of c-demo is taken and held active, the c-xss unit waits behind it.
  const held = new Promise<void>((resolve) => (releaseActive = resolve));
  worker = new Worker(RUN_QUEUE, () => held, { connection: workerConnection, concurrency: 1 });
  const started = once(worker, 'active');
  await runs.add('c-demo', unit('c-demo', 11, 1), { jobId: 'c-demo-11', priority: 1 });
  await started;
  await runs.add('c-xss', unit('c-xss', 0, 2), { jobId: 'c-xss-0', priority: 2 });
  await builds.add('build-1', { sourceKey: 'source-1' }, { jobId: 'build-1' });

  const processedOn = (await runs.getJob('c-demo-11'))?.processedOn;
  if (processedOn === undefined) throw new Error('the held unit has no start time');
  nowMs = processedOn + 1000;
  const now = () => new Date(nowMs);
  // As the stack file hands them to the dashboard service.
  const warnings: string[] = [];
  const clusterPrice = clusterPriceFromEnv(
    {
      INET_SWARM_USD_PER_HOUR: String(USD_PER_HOUR),
      INET_SWARM_CLUSTER_SINCE: new Date(nowMs - RUNNING_FOR_MS).toISOString(),
    },
    (message) => warnings.push(message),
  );
  expect(warnings).toEqual([]);

  const deps = { token: TOKEN, campaigns, blobs, queues, docker: swarm, now };
  const listen = async (app: ReturnType<typeof createDashboardApp>) => {
    const listening = app.listen(0, '127.0.0.1');
    await once(listening, 'listening');
    return { listening, url: `http://127.0.0.1:${(listening.address() as AddressInfo).port}` };
  };
  ({ listening: server, url: base } = await listen(createDashboardApp({ ...deps, clusterPrice })));
  ({ listening: unpricedServer, url: unpricedBase } = await listen(
    createDashboardApp({ ...deps, clusterPrice: null }),
  ));
});

afterAll(async () => {
  releaseActive();
  for (const listening of [server, unpricedServer]) {
    listening?.closeAllConnections();
    listening?.close();
  }
  await worker?.close();
  await Promise.all(queues.map((queue) => queue.close()));
  for (const connection of connections) connection.disconnect();
  await client?.close();
  await Promise.all([redis?.stop(), mongo?.stop()]);
});

const get = (route: string, headers: Record<string, string> = {}) =>
  fetch(`${base}${route}`, { headers, redirect: 'manual' });
const authorized = { authorization: `Bearer ${TOKEN}` };

async function json(route: string): Promise<unknown> {
  const response = await get(route, authorized);
  expect(response.status, route).toBe(200);
  return response.json();
}

const ROUTES = [
  '/',
  '/api/campaigns',
  '/api/campaigns/c-demo/runs',
  '/api/campaigns/c-demo/runs/8/log',
  '/api/swarm',
  '/queues',
  '/queues/api/queues',
  '/queues/static/images/logo.svg',
  '/no-such-page',
];

describe('the dashboard', () => {
  it('answers every route with 401 and nothing else without the right token', async () => {
    const attempts: [string, Record<string, string>][] = [
      ['', {}],
      ['', { authorization: 'Bearer not-the-dashboard-token' }],
      ['', { cookie: 'inet_swarm_token=not-the-dashboard-token' }],
      ['?token=not-the-dashboard-token', {}],
    ];
    for (const route of ROUTES) {
      for (const [query, headers] of attempts) {
        const response = await get(`${route}${query}`, headers);
        const body = await response.text();
        expect(response.status, `${route}${query} ${JSON.stringify(headers)}`).toBe(401);
        expect(response.headers.get('set-cookie')).toBeNull();
        expect(JSON.parse(body)).toMatchObject({ error: 'Unauthorized' });
        expect(body).not.toMatch(/c-demo|node-1|inet-swarm/);
      }
    }
    // The right token opens them (bull-board's own 404s aside).
    for (const route of ROUTES.slice(0, -1)) expect((await get(route, authorized)).status, route).toBe(200);
  });

  it('lists campaigns, newest first, with runs counted by their latest attempt, an ETA and the cost', async () => {
    const { campaigns, cluster } = (await json('/api/campaigns')) as {
      campaigns: Record<string, unknown>[];
      cluster: Record<string, unknown>;
    };

    expect(campaigns.map((c) => c.campaignId)).toEqual(['c-xss', 'c-demo']);
    expect(campaigns[1]).toMatchObject({
      configName: 'Uniform',
      totalRuns: 12,
      runs: { ok: 9, failed: 1, lost: 1, interrupted: 0 },
      okDurationMs: OK_DURATION_MS,
      running: 1,
      remaining: 1,
      // The remaining run is the one executing, 1 s into the mean ok duration.
      etaMs: ETA_MS,
    });
    expect(campaigns[1]?.clusterUsdAtEnd).toBeCloseTo(PROJECTED_USD, 9);
    // Nothing of c-xss has run: no ETA yet, and its waiting unit is not counted as running.
    expect(campaigns[0]).toMatchObject({
      configName: XSS_NAME,
      running: 0,
      remaining: 12,
      etaMs: null,
      clusterUsdAtEnd: null,
    });
    // The cluster runs until c-demo ends; c-xss waits for a slot and is left out of the projection.
    expect(cluster).toEqual({
      usdPerHour: USD_PER_HOUR,
      since: new Date(nowMs - RUNNING_FOR_MS).toISOString(),
      spentUsd: expect.closeTo(SPENT_USD, 9) as number,
      projectedUsd: expect.closeTo(PROJECTED_USD, 9) as number,
    });
  });

  it('reports no cost at all without a cluster price, not $0', async () => {
    const response = await fetch(`${unpricedBase}/api/campaigns`, { headers: authorized });
    const body = (await response.json()) as { campaigns: Record<string, unknown>[]; cluster: unknown };
    expect(body.cluster).toBeNull();
    expect(body.campaigns.map((c) => [c.campaignId, c.etaMs, c.clusterUsdAtEnd])).toEqual([
      ['c-xss', null, null],
      ['c-demo', ETA_MS, null],
    ]);
  });

  it("pages through a campaign's runs, each by its latest attempt", async () => {
    type Page = {
      runs: {
        runNumber: number;
        status: string;
        attempt: number;
        termination: string | null;
        log: string | null;
      }[];
      running: number[];
    };
    const first = (await json('/api/campaigns/c-demo/runs?offset=0&limit=4')) as Page;
    expect(first.runs.map((run) => run.runNumber)).toEqual([0, 1, 2, 3]);

    expect(first.running).toEqual([11]); // held active by the worker, not yet recorded

    const last = (await json('/api/campaigns/c-demo/runs?offset=8&limit=100')) as Page;
    expect(last.runs).toMatchObject([
      { runNumber: 8, status: 'failed', attempt: 1, termination: OVERFLOW, log: 'Uniform-x=8-#0.out' },
      { runNumber: 9, status: 'ok', attempt: 2, log: null },
      { runNumber: 10, status: 'lost', attempt: 3 },
    ]);

    expect((await get('/api/campaigns/c-demo/runs?limit=0', authorized)).status).toBe(400);
    expect((await get('/api/campaigns/c-none/runs', authorized)).status).toBe(404);
  });

  it("serves the last 200 lines of a run's .out file, and 404 when there is none", async () => {
    const log = (await json('/api/campaigns/c-demo/runs/8/log')) as { name: string; lines: string[] };
    expect(log).toEqual({ name: 'Uniform-x=8-#0.out', lines: OUT_LINES.slice(-200) });

    expect((await get('/api/campaigns/c-demo/runs/3/log', authorized)).status).toBe(404); // no .out
    expect((await get('/api/campaigns/c-demo/runs/11/log', authorized)).status).toBe(404); // no record
    expect((await get('/api/campaigns/c-demo/runs/x/log', authorized)).status).toBe(404);
  });

  it('shows the swarm with names resolved and current tasks first', async () => {
    const view = (await json('/api/swarm')) as {
      nodes: { hostname: string }[];
      services: { name: string }[];
      tasks: { id: string; serviceName: string; nodeHostname: string }[];
    };
    expect(view.nodes.map((node) => node.hostname)).toEqual(['node-1', 'node-2']);
    expect(view.services.map((service) => service.name)).toEqual([
      'inet-swarm_dashboard',
      'inet-swarm_runner',
    ]);
    expect(view.tasks.map((t) => [t.id, t.serviceName, t.nodeHostname])).toEqual([
      ['t-dash', 'inet-swarm_dashboard', 'node-1'],
      ['t-run-1', 'inet-swarm_runner', 'node-1'],
      ['t-run-2', 'inet-swarm_runner', 'node-2'],
      ['t-old', 'inet-swarm_runner', 'node-2'],
    ]);
  });

  describe('in a browser', () => {
    let browser: Browser | undefined;
    beforeAll(async () => {
      browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
    });
    afterAll(async () => {
      await browser?.close();
    });

    it('signs in with ?token=, renders campaigns, runs, a log and the swarm, all from this server', async () => {
      const context = await (browser as Browser).newContext({ viewport: { width: 1400, height: 900 } });
      const page = await context.newPage();
      const elsewhere: string[] = [];
      const problems: string[] = [];
      page.on('request', (request) => {
        if (!request.url().startsWith(`${base}/`)) elsewhere.push(request.url());
      });
      const blocked: string[] = [];
      page.on('requestfailed', (request) => {
        if (request.failure()?.errorText === 'csp') blocked.push(request.url());
      });
      page.on('pageerror', (error) => problems.push(error.message));
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(message.text());
      });

      await page.goto(`${base}/?token=${TOKEN}`);
      expect(page.url()).toBe(`${base}/`); // the token left the address bar for a cookie

      const demo = page.locator('#campaigns tr[data-campaign-id="c-demo"]');
      await demo.waitFor();
      await page.locator('#nodes tr[data-node="node-1"]').waitFor();
      await expect.poll(() => demo.innerText()).toContain('9 ok');
      expect(await demo.innerText()).toContain('11 / 12');
      // The cost meter in the header; the ETA and the cluster's cost at the campaign's end side by side.
      expect(PROJECTED_USD.toFixed(2)).toBe('25.24');
      expect(await page.locator('#cost').innerText()).toBe(
        'cluster cost $25.20 so far at $36.00/h, ~$25.24 by the end of the running campaigns',
      );
      expect(await demo.locator('td.eta').innerText()).toBe('3.7 s');
      expect(await demo.locator('td.cost').innerText()).toBe('~$25.24');
      expect(await page.locator('#campaigns th.cost').isVisible()).toBe(true);
      // The campaign named like markup shows as text and runs nothing.
      expect(await page.locator('#campaigns tr[data-campaign-id="c-xss"]').innerText()).toContain(XSS_NAME);
      expect(await page.evaluate(() => (globalThis as { __xss?: boolean }).__xss)).toBeUndefined();
      expect(await page.locator('#campaigns img').count()).toBe(0);

      await demo.click();
      const failedRun = page.locator('#runs tr[data-run="8"]');
      await failedRun.waitFor();
      expect(await page.locator('#running-now').innerText()).toBe('running now: 11');
      expect(await failedRun.innerText()).toContain(OVERFLOW);
      expect(await page.locator('#runs tr[data-run="9"]').innerText()).toMatch(/ok\s+2/);
      await failedRun.getByRole('button', { name: 'log' }).click();
      await expect.poll(() => page.locator('#log-text').innerText()).toContain('** Event #250');
      expect(await page.locator('#log-title').innerText()).toContain('Uniform-x=8-#0.out (last 200 lines)');
      expect(await page.locator('#tasks tbody tr').count()).toBe(4);

      mkdirSync(path.join(repoRoot, 'test-artifacts'), { recursive: true });
      await page.screenshot({ path: path.join(repoRoot, 'test-artifacts/dashboard.png'), fullPage: true });
      expect(problems).toEqual([]);

      // bull-board, on the same cookie: its queue list, and the run queue's jobs from Redis.
      await page.goto(`${base}/queues`);
      await page.getByText(BUILD_QUEUE, { exact: true }).first().waitFor();
      await page.getByText(RUN_QUEUE, { exact: true }).first().click();
      await page.getByText('c-demo-11').first().waitFor();
      await page.screenshot({
        path: path.join(repoRoot, 'test-artifacts/dashboard-queues.png'),
        fullPage: true,
      });

      // Nothing came from elsewhere: the browser refused bull-board's link to Google Fonts by policy
      // (Chromium reports it as a request, failed before it reached the network).
      expect(elsewhere).toEqual([expect.stringMatching(/^https:\/\/fonts\.googleapis\.com\//)]);
      expect(blocked).toEqual(elsewhere);
      await context.close();
    });

    it('shows no cost line and no cost column without a cluster price', async () => {
      const context = await (browser as Browser).newContext({ viewport: { width: 1400, height: 900 } });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(error.message));
      await page.goto(`${unpricedBase}/?token=${TOKEN}`);
      const demo = page.locator('#campaigns tr[data-campaign-id="c-demo"]');
      await demo.waitFor();
      expect(await demo.locator('td.eta').innerText()).toBe('3.7 s');
      expect(await page.locator('#cost').isHidden()).toBe(true);
      expect(await page.locator('#campaigns th.cost').isHidden()).toBe(true);
      expect(await demo.locator('td.cost').isHidden()).toBe(true);
      expect(await page.locator('header').innerText()).not.toContain('$');
      await page.screenshot({
        path: path.join(repoRoot, 'test-artifacts/dashboard-no-cost.png'),
        fullPage: true,
      });
      expect(problems).toEqual([]);
      await context.close();
    });
  });
});

describe('DockerSwarmInspector', () => {
  // Trimmed answers of a Docker 20.10 engine (API 1.41) to GET /nodes, /services?status=true, /tasks.
  const api: DockerSwarmApi = {
    listNodes: () =>
      Promise.resolve([
        {
          ID: 'wtnv2t96adpimyw4vp5hlnqu0',
          Spec: { Labels: {}, Role: 'manager', Availability: 'active' },
          Description: {
            Hostname: 'vm',
            Platform: { Architecture: 'x86_64', OS: 'linux' },
            Resources: { NanoCPUs: 2000000000, MemoryBytes: 25276502016 },
            Engine: { EngineVersion: '20.10.24+dfsg1' },
          },
          Status: { State: 'ready', Addr: '10.0.2.15' },
          ManagerStatus: { Leader: true, Reachability: 'reachable', Addr: '10.0.2.15:2377' },
        },
      ]),
    listServices: () =>
      Promise.resolve([
        {
          ID: 'lrynnttl39b8j5qhcmqsqwpb9',
          Spec: {
            Name: 'inet-swarm_gateway',
            TaskTemplate: { ContainerSpec: { Image: 'inet-swarm/worker:dev@sha256:' + 'ab'.repeat(32) } },
            Mode: { Replicated: { Replicas: 2 } },
          },
          ServiceStatus: { RunningTasks: 2, DesiredTasks: 2, CompletedTasks: 0 },
        },
        {
          ID: 'xuxq9g7a4t634r84d7sivtklw',
          Spec: {
            Name: 'inet-swarm_runner',
            TaskTemplate: { ContainerSpec: { Image: 'debian:bookworm-slim' } },
            Mode: { Global: {} },
          },
        },
      ] as unknown as Awaited<ReturnType<DockerSwarmApi['listServices']>>),
    listTasks: () =>
      Promise.resolve([
        {
          ID: 'd98id97v7uegosaakd0nr0bhi',
          UpdatedAt: '2026-11-25T00:00:17.28257272Z',
          ServiceID: 'lrynnttl39b8j5qhcmqsqwpb9',
          Slot: 1,
          NodeID: 'wtnv2t96adpimyw4vp5hlnqu0',
          Status: {
            Timestamp: '2026-11-25T00:00:17.25865014Z',
            State: 'running',
            Message: 'started',
            ContainerStatus: { ContainerID: '8fbbc7c27967', PID: 2927, ExitCode: 0 },
          },
          DesiredState: 'running',
        },
        {
          ID: 'y8suzrx4tq7vzxuz1d1cbe1pd',
          UpdatedAt: '2026-11-25T00:00:17.589245039Z',
          ServiceID: 'xuxq9g7a4t634r84d7sivtklw',
          NodeID: 'wtnv2t96adpimyw4vp5hlnqu0',
          Status: {
            Timestamp: '2026-11-25T00:00:17.300590752Z',
            State: 'failed',
            Message: 'started',
            Err: 'task: non-zero exit (3)',
            ContainerStatus: { ContainerID: '5bb50e73c229', PID: 0, ExitCode: 3 },
          },
          DesiredState: 'shutdown',
        },
      ]),
  };
  const inspector = new DockerSwarmInspector(api);

  it('reads nodes, services and tasks from the Docker API', async () => {
    expect(await inspector.nodes()).toEqual([
      {
        id: 'wtnv2t96adpimyw4vp5hlnqu0',
        hostname: 'vm',
        role: 'manager',
        availability: 'active',
        state: 'ready',
        leader: true,
        address: '10.0.2.15',
        cpus: 2,
        memoryBytes: 25276502016,
        engineVersion: '20.10.24+dfsg1',
      },
    ]);
    expect(await inspector.services()).toEqual([
      {
        id: 'lrynnttl39b8j5qhcmqsqwpb9',
        name: 'inet-swarm_gateway',
        image: 'inet-swarm/worker:dev',
        mode: 'replicated',
        desiredTasks: 2,
        runningTasks: 2,
      },
      {
        id: 'xuxq9g7a4t634r84d7sivtklw',
        name: 'inet-swarm_runner',
        image: 'debian:bookworm-slim',
        mode: 'global',
        desiredTasks: null,
        runningTasks: null,
      },
    ]);
    expect(await inspector.tasks()).toEqual([
      {
        id: 'd98id97v7uegosaakd0nr0bhi',
        serviceId: 'lrynnttl39b8j5qhcmqsqwpb9',
        nodeId: 'wtnv2t96adpimyw4vp5hlnqu0',
        slot: 1,
        state: 'running',
        desiredState: 'running',
        message: 'started',
        error: null,
        exitCode: null,
        updatedAt: '2026-11-25T00:00:17.28257272Z',
      },
      {
        id: 'y8suzrx4tq7vzxuz1d1cbe1pd',
        serviceId: 'xuxq9g7a4t634r84d7sivtklw',
        nodeId: 'wtnv2t96adpimyw4vp5hlnqu0',
        slot: null,
        state: 'failed',
        desiredState: 'shutdown',
        message: 'started',
        error: 'task: non-zero exit (3)',
        exitCode: 3,
        updatedAt: '2026-11-25T00:00:17.589245039Z',
      },
    ]);
  });
});
