/**
 * The swarm's dashboard: one page for people (replacing rq-dashboard and docker-swarm-visualizer)
 * and the JSON it polls. It only reads; it applies no authentication itself, so whoever mounts it
 * puts tokenAuth in front (createDashboardApp does).
 *
 *   GET /                                  the page
 *   GET /api/campaigns                     campaigns with progress and ETA, and the cluster's cost
 *   GET /api/campaigns/:id/runs            the latest record of each run (?offset=0&limit=100)
 *   GET /api/campaigns/:id/runs/:run/log   the last 200 lines of the run's `.out` file
 *   GET /api/swarm                         nodes, services and tasks
 *   /queues                                bull-board
 */
import os from 'node:os';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import type { BlobStore } from '../../ports/blob-store.js';
import type { CampaignStore, SwarmRunRecord } from '../../ports/campaign-store.js';
import type { QueuedUnit } from '../../ports/run-queue.js';
import { RUN_QUEUE } from '../runner-worker.js';
import { campaignProgress, type ActiveUnit } from './campaign-progress.js';
import { clusterCost, costAtEnd, type ClusterPrice } from './cluster-cost.js';
import { DASHBOARD_SCRIPT_SOURCE, dashboardPage } from './dashboard-page.js';
import { runLogTail } from './run-log-tail.js';
import type { SwarmInspector } from './swarm-inspector.js';
import { swarmView } from './swarm-view.js';

export interface DashboardDeps {
  readonly campaigns: CampaignStore;
  readonly blobs: BlobStore;
  /** The queues bull-board shows; the run queue (RUN_QUEUE) also tells which runs are executing. */
  readonly queues: readonly Queue[];
  readonly docker: SwarmInspector;
  /** Where run logs are staged on their way out of the blob store (default: the OS's temp dir). */
  readonly scratchDir?: string;
  /** The path the router is mounted at ('' for the root): the page's and bull-board's links use it. */
  readonly basePath?: string;
  /** What the cluster costs (clusterPriceFromEnv); null on machines nobody pays for by the hour. */
  readonly clusterPrice: ClusterPrice | null;
  /** The clock of the ETA and the cost meter (default: the system's; tests fix it). */
  readonly now?: () => Date;
}

const LOG_LINES = 200;

/**
 * Nothing but this origin and the page's own script: the dashboard works without internet access,
 * and bull-board's link to Google Fonts is not followed (its pages fall back to system fonts).
 * Styles may be inline because bull-board's page has inline styles.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  `script-src 'self' ${DASHBOARD_SCRIPT_SOURCE}`,
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

const runPageSchema = z.object({
  offset: z.coerce.number().int().nonnegative().default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
const runNumberSchema = z.coerce.number().int().nonnegative();

/** Express 5 forwards rejected promises to the error handler; this only narrows the types. */
type Handler = (request: Request, response: Response) => Promise<void>;
const route = (handler: Handler) => (request: Request, response: Response, next: NextFunction) =>
  handler(request, response).catch(next);

function notFound(response: Response, message: string): void {
  response.status(404).json({ error: 'NotFound', message });
}

export function dashboardRouter(deps: DashboardDeps): Router {
  const basePath = deps.basePath ?? '';
  if (!/^(\/[A-Za-z0-9._~-]+)*$/.test(basePath))
    throw new Error(`invalid dashboard base path '${basePath}': '' or /segment/…, without a trailing /`);
  const runQueue = deps.queues.find((queue) => queue.name === RUN_QUEUE);
  if (runQueue === undefined)
    throw new Error(`the dashboard needs the '${RUN_QUEUE}' queue among its queues`);
  const scratchDir = deps.scratchDir ?? os.tmpdir();
  const now = deps.now ?? (() => new Date());
  const price = deps.clusterPrice;
  const page = dashboardPage(basePath);

  const router = Router();
  router.use((_request, response, next) => {
    response.set({ 'Content-Security-Policy': CONTENT_SECURITY_POLICY, 'X-Content-Type-Options': 'nosniff' });
    next();
  });
  // Progress changes by the second: neither the page nor its data may come from a cache.
  router.use('/api', (_request, response, next) => {
    response.set('Cache-Control', 'no-store');
    next();
  });

  router.get('/', (_request, response) => {
    response.set('Cache-Control', 'no-store').type('html').send(page);
  });

  router.get(
    '/api/campaigns',
    route(async (_request, response) => {
      const [summaries, active] = await Promise.all([deps.campaigns.listCampaigns(), activeUnits(runQueue)]);
      const time = now();
      const campaigns = summaries.map((summary) =>
        campaignProgress(summary, active.get(summary.campaignId) ?? [], time.getTime()),
      );
      response.json({
        // Each campaign with the cluster's cost when it is expected to end, next to its ETA.
        campaigns: campaigns.map((campaign) => ({
          ...campaign,
          clusterUsdAtEnd: price === null ? null : costAtEnd(price, time, campaign),
        })),
        cluster: price === null ? null : clusterCost(price, time, campaigns),
      });
    }),
  );

  router.get(
    '/api/campaigns/:id/runs',
    route(async (request, response) => {
      const id = String(request.params.id);
      const query = runPageSchema.safeParse(request.query);
      if (!query.success) {
        response.status(400).json({ error: 'RequestRefused', message: z.prettifyError(query.error) });
        return;
      }
      if ((await deps.campaigns.getCampaign(id)) === null) return notFound(response, `no campaign ${id}`);
      const [records, running] = await Promise.all([
        deps.campaigns.runRecords(id, query.data),
        runningRuns(runQueue, id),
      ]);
      // Running runs have no record yet: they are listed apart, whatever the page.
      response.json({ campaignId: id, ...query.data, runs: records.map(runRow), running });
    }),
  );

  router.get(
    '/api/campaigns/:id/runs/:run/log',
    route(async (request, response) => {
      const id = String(request.params.id);
      const run = runNumberSchema.safeParse(request.params.run);
      if (!run.success) return notFound(response, `no run ${String(request.params.run)}`);
      const entry = await deps.campaigns.latestRecord(id, run.data);
      if (entry === null) return notFound(response, `run ${run.data} of ${id} has no record`);
      const tail = await runLogTail(deps.blobs, entry, LOG_LINES, scratchDir);
      if (tail === null) return notFound(response, `run ${run.data} of ${id} has no .out file`);
      response.json(tail);
    }),
  );

  router.get(
    '/api/swarm',
    route(async (_request, response) => {
      response.json(await swarmView(deps.docker));
    }),
  );

  router.use('/queues', bullBoard(deps.queues, basePath));

  router.use('/api', (_request, response) => notFound(response, 'no such endpoint'));
  router.use((error: unknown, _request: Request, response: Response, _next: NextFunction) => {
    console.error('dashboard: request failed:', error);
    response
      .status(500)
      .json({ error: 'InternalError', message: 'the dashboard could not answer; see its log' });
  });
  return router;
}

/**
 * bull-board, read-only: the dashboard is for watching. Removing or retrying a unit behind the
 * campaign's back would leave the client waiting for records that never come; `inet-swarm` cancels
 * and resubmits through the gateway instead.
 */
function bullBoard(queues: readonly Queue[], basePath: string): Router {
  const serverAdapter = new ExpressAdapter().setBasePath(`${basePath}/queues`);
  createBullBoard({
    queues: queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode: true })),
    serverAdapter,
    options: {
      uiConfig: {
        boardTitle: 'inet-swarm queues',
        hideDocsLink: true,
        miscLinks: [{ text: 'Dashboard', url: `${basePath}/` }],
      },
    },
  });
  return serverAdapter.getRouter() as Router;
}

interface ExecutingUnit {
  readonly unit: QueuedUnit;
  /** When a runner took it (BullMQ's processedOn, on the runner's clock), epoch ms. */
  readonly startedAt: number | null;
}

/**
 * The units executing now: each active job of the run queue is one unit (its data) on one runner
 * slot. There are at most as many as the swarm has slots, so reading them all is cheap.
 */
async function executingUnits(runQueue: Queue): Promise<ExecutingUnit[]> {
  return (await runQueue.getJobs(['active'])).map((job) => ({
    unit: job.data as QueuedUnit,
    startedAt: job.processedOn ?? null,
  }));
}

async function activeUnits(runQueue: Queue): Promise<Map<string, ActiveUnit[]>> {
  const active = new Map<string, ActiveUnit[]>();
  for (const { unit, startedAt } of await executingUnits(runQueue)) {
    const units = active.get(unit.campaignId) ?? [];
    units.push({ runs: unit.runs.length, startedAt });
    active.set(unit.campaignId, units);
  }
  return active;
}

async function runningRuns(runQueue: Queue, campaignId: string): Promise<number[]> {
  return (await executingUnits(runQueue))
    .filter(({ unit }) => unit.campaignId === campaignId)
    .flatMap(({ unit }) => unit.runs.map((run) => run.runNumber))
    .sort((a, b) => a - b);
}

/** A row of the runs table: what people look at, not the whole record (argv, checksums...). */
function runRow({ record, results }: SwarmRunRecord) {
  return {
    runNumber: record.runNumber,
    status: record.status,
    attempt: record.attempt,
    host: record.host,
    startedAt: record.startedAt,
    endedAt: record.endedAt,
    durationMs: record.durationMs,
    exitCode: record.exitCode,
    signal: record.signal,
    termination: record.termination,
    failure: record.failure?.message ?? null,
    log: results.find((result) => result.name.endsWith('.out'))?.name ?? null,
  };
}
