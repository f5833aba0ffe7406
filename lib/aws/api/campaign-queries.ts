/**
 * What the API reads about campaigns: the list, a campaign's records and result files as presigned
 * links, and the tail of a log. Read-only; everything comes from the bucket.
 */
import { mkdtemp, open, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  PRESIGN_SECONDS,
  storedRecordSchema,
  type CampaignList,
  type LogTail,
  type Page,
  type RecordLink,
  type ResultLink,
} from '../api-contract.js';
import { campaignKeys, DATA_PREFIX } from '../bucket-layout.js';
import {
  agentProgressSchema,
  campaignStatusSchema,
  withProgress,
  type CampaignStatus,
} from '../campaign-status.js';
import type { ControlPlaneStore } from '../../ports/control-plane-store.js';
import { readStatus } from '../steps/campaign-documents.js';
import type { StepLogger } from '../steps/step-logger.js';

/** Lines of a log the API returns: the end is what explains a failure. */
export const LOG_TAIL_LINES = 200;
/** At most this much of a log's end is read, so a huge log costs no more than a normal one. */
const LOG_TAIL_BYTES = 256 * 1024;

/** The bucket has no index of campaigns: a listing page reads at most this many keys of `data/`. */
const CAMPAIGN_SCAN_PAGES = 5;
const CAMPAIGN_SCAN_PAGE_SIZE = 1000;
/** Stop scanning once a page has this many campaigns. */
const CAMPAIGNS_PER_PAGE = 100;
const STATUS_READS_AT_ONCE = 16;
const STATUS_KEY = /^data\/[^/]+\/status\.json$/;
const RECORD_KEY = /^(\d+)-(\d+)\.json$/;

export interface QueryDeps {
  readonly store: ControlPlaneStore;
  readonly log: StepLogger;
}

/**
 * A campaign's status as people see it: the workflow's document with the agent's run counts over it.
 * @throws CampaignNotFound if there is no such campaign
 */
export async function readCampaignView(
  store: ControlPlaneStore,
  campaignId: string,
): Promise<CampaignStatus> {
  const [status, progress] = await Promise.all([
    readStatus(store, campaignId),
    store.getJson(campaignKeys(campaignId).progress, agentProgressSchema),
  ]);
  return withProgress(status, progress);
}

/**
 * Campaigns in id order, a page at a time. The bucket keeps no list of campaigns, so a page scans the
 * keys under `data/` (every campaign's records and results among them) for status documents, and may
 * hold few or no campaigns while `next` says there is more. A status that does not parse is logged
 * and left out rather than failing the whole list.
 */
export async function listCampaigns(next: string | null, deps: QueryDeps): Promise<CampaignList> {
  const keys: string[] = [];
  let token = next;
  for (let page = 0; page < CAMPAIGN_SCAN_PAGES && keys.length < CAMPAIGNS_PER_PAGE; page++) {
    const listed = await deps.store.list(DATA_PREFIX, token, CAMPAIGN_SCAN_PAGE_SIZE);
    keys.push(...listed.objects.map((o) => o.key).filter((key) => STATUS_KEY.test(key)));
    token = listed.next;
    if (token === null) break;
  }
  const campaigns: CampaignStatus[] = [];
  for (let i = 0; i < keys.length; i += STATUS_READS_AT_ONCE) {
    const statuses = await Promise.all(
      keys.slice(i, i + STATUS_READS_AT_ONCE).map(async (key) => {
        try {
          const status = await deps.store.getJson(key, campaignStatusSchema);
          if (status === null) return null;
          const progress = await deps.store.getJson(
            campaignKeys(status.campaignId).progress,
            agentProgressSchema,
          );
          return withProgress(status, progress);
        } catch (error) {
          deps.log.warn('unreadable campaign status', { key, error });
          return null;
        }
      }),
    );
    for (const status of statuses) if (status !== null) campaigns.push(status);
  }
  return { campaigns, next: token };
}

/** @throws CampaignNotFound if there is no such campaign */
export async function listRecords(
  campaignId: string,
  next: string | null,
  limit: number,
  deps: QueryDeps,
): Promise<Page<RecordLink>> {
  await readStatus(deps.store, campaignId);
  const prefix = campaignKeys(campaignId).recordsPrefix;
  const page = await deps.store.list(prefix, next, limit);
  const items: RecordLink[] = [];
  for (const object of page.objects) {
    const match = RECORD_KEY.exec(object.key.slice(prefix.length));
    if (match === null) continue;
    items.push({
      runNumber: Number(match[1]),
      attempt: Number(match[2]),
      url: await deps.store.presignGet(object.key, PRESIGN_SECONDS),
    });
  }
  return { items, next: page.next };
}

/** @throws CampaignNotFound if there is no such campaign */
export async function listResults(
  campaignId: string,
  next: string | null,
  limit: number,
  deps: QueryDeps,
): Promise<Page<ResultLink>> {
  await readStatus(deps.store, campaignId);
  const prefix = campaignKeys(campaignId).resultsPrefix;
  const page = await deps.store.list(prefix, next, limit);
  const items: ResultLink[] = [];
  for (const object of page.objects)
    items.push({
      path: object.key.slice(prefix.length),
      size: object.size,
      url: await deps.store.presignGet(object.key, PRESIGN_SECONDS),
    });
  return { items, next: page.next };
}

/**
 * The end of the build log (`run` null), or of a run's Cmdenv output: the `.out` result file of the
 * run's latest recorded attempt. No lines if there is no such log (yet).
 * @throws CampaignNotFound if there is no such campaign
 */
export async function logTail(campaignId: string, run: number | null, deps: QueryDeps): Promise<LogTail> {
  await readStatus(deps.store, campaignId);
  const keys = campaignKeys(campaignId);
  const key = run === null ? keys.buildLog : await runOutputKey(campaignId, run, deps.store);
  if (key === null || !(await deps.store.exists(key))) return { lines: [] };
  return { lines: await tailOf(key, deps.store) };
}

async function runOutputKey(
  campaignId: string,
  run: number,
  store: ControlPlaneStore,
): Promise<string | null> {
  const keys = campaignKeys(campaignId);
  // `<run>-` cannot match another run's records: `1-` is not a prefix of `12-1.json`.
  const prefix = `${keys.recordsPrefix}${run}-`;
  let latest: { key: string; attempt: number } | null = null;
  let token: string | null = null;
  do {
    const page = await store.list(prefix, token, 1000);
    for (const object of page.objects) {
      const match = RECORD_KEY.exec(object.key.slice(keys.recordsPrefix.length));
      const attempt = Number(match?.[2]);
      if (match !== null && (latest === null || attempt > latest.attempt))
        latest = { key: object.key, attempt };
    }
    token = page.next;
  } while (token !== null);
  if (latest === null) return null;
  const record = await store.getJson(latest.key, storedRecordSchema);
  const output = record?.results.find((file) => file.endsWith('.out'));
  return output === undefined ? null : keys.result(output);
}

/** The last lines of an object, from at most its last LOG_TAIL_BYTES. */
async function tailOf(key: string, store: ControlPlaneStore): Promise<string[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'log-tail-'));
  try {
    const file = path.join(dir, 'log');
    const { size } = await store.downloadFile(key, file);
    const length = Math.min(size, LOG_TAIL_BYTES);
    const handle = await open(file, 'r');
    let text: string;
    try {
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, size - length);
      text = buffer.toString('utf8');
    } finally {
      await handle.close();
    }
    const lines = text.split('\n');
    if (length < size) lines.shift(); // cut in the middle of a line
    if (lines.at(-1) === '') lines.pop();
    return lines.slice(-LOG_TAIL_LINES);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
