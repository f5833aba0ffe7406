/**
 * The CLI's aws mode end to end against a fake control plane: a node:http server in this test that
 * follows lib/aws/api-contract.ts (SigV4-authorised routes, presigned upload and downloads), whose
 * "cluster" serves the records and result files of a real local run of the demo's Quick config.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { campaignSpecSchema, type CampaignSpec } from '../../lib/aws/campaign-spec.js';
import { newCampaignStatus, type CampaignStatus } from '../../lib/aws/campaign-status.js';
import { clusterRate } from '../../lib/aws/cost.js';
import type { StoredRecord } from '../../lib/aws/stored-record.js';
import type { RunRecord } from '../../lib/core/campaign.js';
import { RESULT_INDEX_FILE } from '../../lib/results/result-index.js';
import {
  collect,
  demoProject,
  demoSourceProject,
  inetSwarm,
  inetSwarmOnTerminal,
  manifestRecords,
  startCli,
  waitFor,
} from './helpers.js';

type Mode = 'ok' | 'build-fails' | 'stall' | 'over-budget';

interface Fixture {
  readonly runs: readonly StoredRecord[];
  /** Result file contents by path relative to the result directory. */
  readonly files: ReadonlyMap<string, Buffer>;
}

interface FakeCampaign {
  readonly id: string;
  readonly spec: CampaignSpec | null;
  /** The fixture's runs this campaign selects (its `-r` list, if it has one). */
  readonly runs: readonly StoredRecord[];
  status: CampaignStatus;
  started: boolean;
  /** Status reads so far: the fake's clock. */
  polls: number;
  /** Records visible so far (the first N of the fixture). */
  published: number;
  /** Frozen campaigns keep their status whatever is read. */
  readonly frozen: boolean;
}

const BUILD_LOG = ['g++ -c model.cc', 'g++ -o demo *.o'];
const FAILED_BUILD_LOG = [
  'g++ -c model.cc',
  "model.cc:12: error: expected ';' before '}'",
  'make: *** [model.o] Error 1',
];
const MANAGER = '198.51.100.7';
const RECORD_PAGE = 5;
const RESULT_PAGE = 7;

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** The control plane as lib/aws/api-contract.ts describes it, with a scripted cluster behind it. */
class FakeControlPlane {
  /** Every request: API routes (signed) and presigned transfers (`/s3/...`). */
  readonly requests: { method: string; path: string; authorization: string | null }[] = [];
  readonly specs: unknown[] = [];
  readonly uploads: { sha: string; bytes: Buffer; headers: http.IncomingHttpHeaders }[] = [];
  readonly campaigns = new Map<string, FakeCampaign>();
  /** Result paths served with wrong bytes the next time they are downloaded. */
  readonly corruptOnce = new Set<string>();
  mode: Mode = 'ok';
  /** In stall mode, runs after the first batch wait for this. */
  released = false;
  base = '';
  private readonly sources = new Set<string>();
  private readonly server: http.Server;
  private next = 1;

  constructor(private readonly fixture: Fixture) {
    this.server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => this.handle(request, Buffer.concat(chunks), response));
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  reset(mode: Mode = 'ok'): void {
    this.mode = mode;
    this.released = false;
    this.corruptOnce.clear();
  }

  /** Downloads of result files (presigned GETs), as paths relative to the result directory. */
  resultDownloads(from = 0): string[] {
    return this.requests
      .slice(from)
      .filter((r) => r.method === 'GET' && r.path.startsWith('/s3/results/'))
      .map((r) => decodeURIComponent(r.path.split('/').slice(4).join('/')));
  }

  /** A campaign with a fixed status, for the commands that only read one. */
  addCampaign(id: string, changes: Partial<CampaignStatus>): void {
    this.campaigns.set(id, {
      id,
      spec: null,
      runs: this.fixture.runs,
      status: { ...this.newStatus(id, null), ...changes },
      started: true,
      polls: 0,
      published: this.fixture.runs.length,
      frozen: true,
    });
  }

  private newStatus(id: string, spec: CampaignSpec | null): CampaignStatus {
    return newCampaignStatus(id, spec?.name ?? null, new Date());
  }

  private handle(request: http.IncomingMessage, body: Buffer, response: http.ServerResponse): void {
    const url = new URL(request.url ?? '/', this.base);
    const authorization = request.headers.authorization ?? null;
    this.requests.push({ method: request.method ?? '', path: url.pathname, authorization });
    const send = (status: number, value: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(value));
    };
    if (url.pathname.startsWith('/s3/')) {
      this.transfer(request, url, body, response);
      return;
    }
    // API Gateway with IAM authorisation: unsigned or foreign requests never reach the API.
    if (
      authorization === null ||
      !/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-central-1\/execute-api\/aws4_request, /.test(
        authorization,
      )
    ) {
      send(403, { message: 'Forbidden' });
      return;
    }
    const parts = url.pathname.split('/').filter(Boolean);
    const campaign = parts[1] === undefined ? undefined : this.campaigns.get(parts[1]);
    const route = `${request.method} /${parts[0] ?? ''}${parts.length > 1 ? '/{id}' : ''}${parts[2] === undefined ? '' : `/${parts[2]}`}`;
    if (parts[0] !== 'campaigns') {
      send(404, { message: 'Not Found' });
      return;
    }
    if (parts.length > 1 && campaign === undefined) {
      send(404, { error: 'CampaignNotFound', message: `no campaign ${parts[1]}` });
      return;
    }
    switch (route) {
      case 'POST /campaigns': {
        const value: unknown = JSON.parse(body.toString('utf8'));
        this.specs.push(value);
        const parsed = campaignSpecSchema.safeParse(value);
        if (!parsed.success) {
          send(400, {
            error: 'CampaignSpecInvalid',
            message: 'the campaign spec is invalid',
            issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
          });
          return;
        }
        const id = `camp-${this.next++}`;
        const spec = parsed.data;
        const created: FakeCampaign = {
          id,
          spec,
          runs: selectedRuns(this.fixture.runs, spec.args),
          status: this.newStatus(id, spec),
          started: false,
          polls: 0,
          published: 0,
          frozen: false,
        };
        this.campaigns.set(id, created);
        const upload = this.sources.has(spec.source.sha256)
          ? null
          : {
              url: `${this.base}/s3/sources/${spec.source.sha256}.tar.gz?X-Amz-Signature=fake`,
              headers: {
                'content-length': String(spec.source.size),
                'x-amz-checksum-sha256': Buffer.from(spec.source.sha256, 'hex').toString('base64'),
                'x-amz-meta-sha256': spec.source.sha256,
              },
            };
        send(201, { campaignId: id, upload, status: created.status });
        return;
      }
      case 'GET /campaigns':
        send(200, { campaigns: [...this.campaigns.values()].map((c) => c.status), next: null });
        return;
      case 'GET /campaigns/{id}':
        this.advance(campaign as FakeCampaign);
        send(200, (campaign as FakeCampaign).status);
        return;
      case 'POST /campaigns/{id}/start': {
        const c = campaign as FakeCampaign;
        if (c.started || c.spec === null || !this.sources.has(c.spec.source.sha256)) {
          send(409, {
            error: 'CampaignStateConflict',
            message: 'the source is not uploaded yet, or it is started',
          });
          return;
        }
        c.started = true;
        c.status = {
          ...c.status,
          state: 'validating',
          executionArn: `arn:aws:states:eu-central-1:1:execution:c:${c.id}`,
        };
        send(202, { campaignId: c.id, executionArn: c.status.executionArn });
        return;
      }
      case 'GET /campaigns/{id}/records':
        send(200, this.page(this.recordLinks(campaign as FakeCampaign), url, RECORD_PAGE));
        return;
      case 'GET /campaigns/{id}/results':
        send(200, this.page(this.resultLinks(campaign as FakeCampaign), url, RESULT_PAGE));
        return;
      case 'GET /campaigns/{id}/logs': {
        const run = url.searchParams.get('run');
        const build = this.mode === 'build-fails' ? FAILED_BUILD_LOG : BUILD_LOG;
        send(200, {
          lines: run === null ? build : [`output of run ${run}`, '<!> Simulation time limit reached'],
        });
        return;
      }
      case 'POST /campaigns/{id}/cancel': {
        const c = campaign as FakeCampaign;
        c.status = {
          ...c.status,
          state: 'tearing-down',
          failure: { error: 'CampaignCancelled', cause: 'cancelled by the user' },
        };
        send(202, c.status);
        return;
      }
      default:
        send(404, { message: 'Not Found' });
    }
  }

  /** Paging as the API does it: items in key order after the `next` key, at most min(limit, cap). */
  private page<T>(items: readonly { key: string; item: T }[], url: URL, cap: number) {
    const after = url.searchParams.get('next');
    const limit = Math.min(Number(url.searchParams.get('limit') ?? cap), cap);
    const rest = items.filter((i) => after === null || i.key > after);
    const page = rest.slice(0, limit);
    return { items: page.map((i) => i.item), next: rest.length > limit ? (page.at(-1)?.key ?? null) : null };
  }

  private recordLinks(c: FakeCampaign) {
    return c.runs
      .slice(0, c.published)
      .map(({ record }) => ({
        key: `${record.runNumber}-${record.attempt}.json`,
        item: {
          runNumber: record.runNumber,
          attempt: record.attempt,
          url: `${this.base}/s3/records/${c.id}/${record.runNumber}-${record.attempt}.json`,
        },
      }))
      .sort((a, b) => a.key.localeCompare(b.key));
  }

  private resultLinks(c: FakeCampaign) {
    return c.runs
      .slice(0, c.published)
      .flatMap((run) => run.results)
      .map((name) => ({
        key: name,
        item: {
          path: name,
          size: (this.fixture.files.get(name) as Buffer).length,
          url: `${this.base}/s3/results/${c.id}/${encodeURIComponent(name)}`,
        },
      }))
      .sort((a, b) => a.key.localeCompare(b.key));
  }

  /** The fake cluster's progress: one step per status read. */
  private advance(c: FakeCampaign): void {
    if (c.frozen || !c.started) return;
    c.polls += 1;
    const total = c.runs.length;
    const now = new Date().toISOString();
    const base = { ...c.status, updatedAt: now, startedAt: c.status.startedAt ?? now };
    const cost = {
      soFarUsd: c.polls * 0.001,
      projectedUsd: c.polls * 0.001 + 0.01,
      budgetUsd: c.spec?.limits.budgetUsd ?? null,
    };
    if (c.polls === 1) {
      c.status = { ...base, state: 'provisioning', stackName: `inet-swarm-dev-${c.id}`, cost };
      return;
    }
    if (c.polls === 2) {
      c.status = {
        ...base,
        state: 'building',
        cluster: { managerAddress: MANAGER, dashboardPort: 8081 },
        cost,
      };
      return;
    }
    if (this.mode === 'build-fails') {
      c.status = {
        ...base,
        state: 'failed',
        cost,
        failure: { error: 'BuildFailed', cause: 'make: *** [model.o] Error 1' },
      };
      return;
    }
    if (this.mode === 'over-budget' && c.published > 0) {
      c.status = {
        ...base,
        state: 'failed',
        cost: { ...cost, projectedUsd: 6.1 },
        failure: { error: 'BudgetExceeded', cause: 'projected cost $6.10 passes the budget of $5.00' },
      };
      return;
    }
    const allowed = (this.mode === 'stall' && !this.released) || this.mode === 'over-budget' ? 6 : total;
    if (c.published >= total) {
      c.status = { ...base, cost, state: c.status.state === 'running' ? 'idle' : 'succeeded' };
      return;
    }
    c.published = Math.min(allowed, c.published + 6);
    const published = c.runs.slice(0, c.published);
    c.status = {
      ...base,
      state: 'running',
      cost,
      runs: {
        total,
        ok: published.filter((r) => r.record.status === 'ok').length,
        failed: published.filter((r) => r.record.status !== 'ok').length,
        finished: c.published,
        remainingSeconds: (total - c.published) * 0.05,
      },
    };
  }

  private transfer(
    request: http.IncomingMessage,
    url: URL,
    body: Buffer,
    response: http.ServerResponse,
  ): void {
    const parts = url.pathname.split('/').slice(2);
    if (request.method === 'PUT' && parts[0] === 'sources') {
      const sha = (parts[1] ?? '').replace(/\.tar\.gz$/, '');
      // S3 checks the signed checksum header against the body (BadDigest) and the declared length.
      if (
        request.headers['x-amz-checksum-sha256'] !== createHash('sha256').update(body).digest('base64') ||
        sha256(body) !== sha
      ) {
        response.writeHead(400);
        response.end('<Error><Code>BadDigest</Code><Message>checksum mismatch</Message></Error>');
        return;
      }
      this.sources.add(sha);
      this.uploads.push({ sha, bytes: body, headers: request.headers });
      response.writeHead(200);
      response.end();
      return;
    }
    if (request.method === 'GET' && parts[0] === 'records') {
      const [run, attempt] = (parts[2] ?? '')
        .replace(/\.json$/, '')
        .split('-')
        .map(Number);
      const stored = this.fixture.runs.find(
        (r) => r.record.runNumber === run && r.record.attempt === attempt,
      );
      response.writeHead(stored === undefined ? 404 : 200);
      response.end(JSON.stringify(stored));
      return;
    }
    if (request.method === 'GET' && parts[0] === 'results') {
      const name = decodeURIComponent(parts.slice(2).join('/'));
      const bytes = this.fixture.files.get(name);
      if (bytes === undefined) {
        response.writeHead(404);
        response.end('<Error><Code>NoSuchKey</Code></Error>');
        return;
      }
      const corrupt = this.corruptOnce.delete(name);
      response.writeHead(200);
      response.end(corrupt ? Buffer.concat([bytes, Buffer.from('garbage')]) : bytes);
      return;
    }
    response.writeHead(403);
    response.end('<Error><Code>AccessDenied</Code></Error>');
  }
}

/** The runs a spec's arguments select: all, or those of a `-r` list of numbers and ranges (`0..3,7`). */
function selectedRuns(runs: readonly StoredRecord[], args: readonly string[]): StoredRecord[] {
  const filter = args[args.lastIndexOf('-r') + 1];
  if (!args.includes('-r') || filter === undefined || !/^[\d.,]+$/.test(filter)) return [...runs];
  const wanted = new Set(
    filter.split(',').flatMap((part) => {
      const [from, to] = part.split('..').map(Number);
      return Array.from({ length: (to ?? from ?? 0) - (from ?? 0) + 1 }, (_, i) => (from ?? 0) + i);
    }),
  );
  return runs.filter((run) => wanted.has(run.record.runNumber));
}

let fixture: Fixture;
let fake: FakeControlPlane;
let configHome: string;

/** The records and files of a real local run of the Quick config, as the cluster's agent stores them. */
async function makeFixture(): Promise<Fixture> {
  const project = demoProject('aws-fixture');
  const result = await inetSwarm(['run', '-j', '2', './demo', '-c', 'Quick'], project);
  if (result.code !== 0) throw new Error(`the fixture run failed: ${result.stderr}`);
  const files = new Map<string, Buffer>();
  const runs = manifestRecords(project)
    .sort((a, b) => a.runNumber - b.runNumber)
    .map((local): StoredRecord => {
      const results = local.files.map((f) => path.relative('results', f.path));
      for (const [i, name] of results.entries())
        files.set(name, readFileSync(path.join(project, local.files[i]?.path ?? '')));
      const record: RunRecord = {
        ...local,
        host: 'ip-10-0-1-5',
        sessionId: 'cluster-session',
        fingerprint: 'cluster-build',
      };
      return { v: 1, record, results };
    });
  return { runs, files };
}

/** The environment of a CLI that talks to the fake with fixed credentials and polls quickly. */
function awsEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    INET_SWARM_AWS_API: fake.base,
    INET_SWARM_AWS_CONFIG: '',
    XDG_CONFIG_HOME: configHome,
    AWS_REGION: 'eu-central-1',
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
    AWS_SESSION_TOKEN: '',
    AWS_PROFILE: '',
    AWS_EC2_METADATA_DISABLED: 'true',
    INET_SWARM_AWS_POLL_MS: '20',
    ...extra,
  };
}

function resultDirFiles(project: string): string[] {
  const dir = path.join(project, 'results');
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((n) => /\.(sca|vec|vci|out)$/.test(n))
        .sort()
    : [];
}

function expectAllResults(project: string): void {
  expect(resultDirFiles(project)).toEqual([...fixture.files.keys()].sort());
  for (const [name, bytes] of fixture.files)
    expect(readFileSync(path.join(project, 'results', name)).equals(bytes), name).toBe(true);
}

/** One section of a report page, by id. */
function reportSection(html: string, id: string): string {
  return new RegExp(`<section id="${id}">([\\s\\S]*?)</section>`).exec(html)?.[1] ?? '';
}

/** The results index's files and the checksums it has for them. */
function indexedScaChecksums(project: string): Record<string, string | null> {
  const db = new DatabaseSync(path.join(project, 'results', RESULT_INDEX_FILE), { readOnly: true });
  try {
    const rows = db
      .prepare('SELECT f.path, f.sha256 FROM indexedFile f JOIN indexedFileRun USING (fileId)')
      .all() as { path: string; sha256: string | null }[];
    return Object.fromEntries(rows.map((row) => [row.path, row.sha256]));
  } finally {
    db.close();
  }
}

function campaignIdIn(output: string): string {
  const id = /(camp-\d+)/.exec(output)?.[1];
  if (id === undefined) throw new Error(`no campaign id in: ${output}`);
  return id;
}

beforeAll(async () => {
  fixture = await makeFixture();
  fake = new FakeControlPlane(fixture);
  await fake.start();
  configHome = mkdtempSync(path.join(os.tmpdir(), 'inet-swarm-aws-home-'));
});

afterAll(async () => {
  await fake.stop();
});

beforeEach(() => {
  fake.reset();
});

describe('submit --aws', () => {
  it('validates, uploads the source snapshot, starts the campaign and prints its id', async () => {
    const project = demoProject('aws-submit');
    const before = fake.requests.length;
    const result = await inetSwarm(
      ['submit', '--aws', '--yes', '--budget', '5', './demo', '-c', 'Quick'],
      project,
      awsEnv(),
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const id = campaignIdIn(result.stdout);
    expect(result.stdout).toContain(`submitted ${id}`);
    expect(result.stdout).toContain(`inet-swarm attach --aws ${id}`);

    const session = fake.requests.slice(before);
    expect(session.map((r) => `${r.method} ${r.path.replace(/[0-9a-f]{64}/, '<sha>')}`)).toEqual([
      'POST /campaigns',
      'PUT /s3/sources/<sha>.tar.gz',
      `POST /campaigns/${id}/start`,
    ]);
    // Every API request is signed; presigned transfers are not.
    expect(session.filter((r) => !r.path.startsWith('/s3/')).every((r) => r.authorization !== null)).toBe(
      true,
    );
    const spec = campaignSpecSchema.parse(fake.specs.at(-1));
    expect(spec).toMatchObject({
      program: './demo',
      args: ['-c', 'Quick'],
      workingDir: '.',
      buildCommand: null,
      cluster: { region: 'eu-central-1', instanceType: 'c6i.xlarge', clusterSize: 2 },
      limits: { budgetUsd: 5, maxRetries: 2 },
    });
    const upload = fake.uploads.at(-1);
    expect(upload?.bytes.length).toBe(spec.source.size);
    expect(upload?.sha).toBe(spec.source.sha256);
    // The snapshot is the project's source: the program and its ini, nothing of the state directory.
    const listing = execFileSync('tar', ['-tzf', '-'], { input: upload?.bytes, encoding: 'utf8' });
    expect(listing.split('\n').filter(Boolean).sort()).toEqual(['demo', 'omnetpp.ini']);
  });

  it('sends the images chosen with --worker-image and --builder-image; unset ones stay null', async () => {
    const image = 'registry.example.org:5000/lab/inet-worker:4.5';
    const result = await inetSwarm(
      ['submit', '--aws', '--yes', '--worker-image', image, './demo', '-c', 'Quick'],
      demoProject('aws-submit-image'),
      awsEnv(),
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(campaignSpecSchema.parse(fake.specs.at(-1)).cluster).toMatchObject({
      workerImage: image,
      builderImage: null,
    });
  });

  it('prints an NDJSON event with --json, and does not upload a source the control plane has', async () => {
    const first = await inetSwarm(
      ['submit', '--aws', '--yes', './demo', '-c', 'Quick'],
      demoProject('aws-submit-first'),
      awsEnv(),
    );
    expect(first.code).toBe(0);
    const uploads = fake.uploads.length;
    // Another copy of the same source: the same snapshot, already in the bucket.
    const project = demoProject('aws-submit-json');
    const result = await inetSwarm(
      ['submit', '--aws', '--yes', '--json', './demo', '-c', 'Quick'],
      project,
      awsEnv(),
    );
    expect(result.code).toBe(0);
    const events = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; campaignId?: string; usdPerHour?: number });
    const submitted = events.find((e) => e.type === 'aws-submitted');
    expect(submitted?.campaignId).toMatch(/^camp-\d+$/);
    expect(events.find((e) => e.type === 'aws-estimate')?.usdPerHour).toBeGreaterThan(0);
    expect(fake.uploads.length).toBe(uploads);
  });
});

describe('run --aws', () => {
  it('shows the cost first, collects every result and a manifest; a second run resumes without downloading', async () => {
    const project = demoProject('aws-run');
    const result = await inetSwarm(['run', '--aws', '--yes', './demo', '-c', 'Quick'], project, awsEnv());
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const id = campaignIdIn(result.stdout);
    const rate = clusterRate(campaignSpecSchema.parse(fake.specs.at(-1)).cluster).usdPerHour;
    expect(result.stdout).toContain(`cost per hour: $${rate.toFixed(2)}`);
    expect(result.stdout).toContain('runs: 18; no runtime history for this config yet');
    expect(result.stdout.indexOf('before anything is created')).toBeLessThan(result.stdout.indexOf(id));
    expect(result.stdout).toContain('18 runs: 18 ok');
    expect(result.stdout).toMatch(/cost so far \$\d/);
    expectAllResults(project);
    const records = manifestRecords(project);
    expect(records.map((r) => r.runNumber).sort((a, b) => a - b)).toEqual(
      fixture.runs.map((r) => r.record.runNumber),
    );
    for (const record of records) {
      expect(record.sessionId).toBe(id);
      expect(record.host).toBe('ip-10-0-1-5');
      for (const file of record.files) {
        expect(file.path).toMatch(/^results\//);
        expect(sha256(readFileSync(path.join(project, file.path)))).toBe(file.sha256);
      }
    }
    // The downloaded runs feed the results index as a local campaign's would: every .sca, once.
    expect(indexedScaChecksums(project)).toEqual(
      Object.fromEntries(
        records.flatMap((r) =>
          r.files
            .filter((f) => f.path.endsWith('.sca'))
            .map((f) => [path.relative('results', f.path), f.sha256]),
        ),
      ),
    );
    // The report has the cluster's build (timed by the client's polls) and its cost.
    // Written beside the results by default: outside the source, which the next run compares.
    const report = await inetSwarm(['report'], project);
    expect(report.code, report.stderr).toBe(0);
    const reportFile = readdirSync(path.join(project, 'results')).find((f) => f.endsWith('.html'));
    const html = readFileSync(path.join(project, 'results', reportFile ?? 'missing'), 'utf8');
    expect(reportSection(html, 'build')).toContain(`${id} · aws`);
    expect(reportSection(html, 'cost')).toContain(`${id} · aws`);
    expect(reportSection(html, 'timeline')).toContain('ip-10-0-1-5');
    expect(reportSection(html, 'provenance')).toContain('aws');

    const before = fake.requests.length;
    const again = await inetSwarm(['run', '--aws', '--yes', './demo', '-c', 'Quick'], project, awsEnv());
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('nothing to run on AWS');
    expect(again.stdout).toContain('18 runs: 18 ok (18 kept from earlier sessions)');
    expect(fake.resultDownloads(before)).toEqual([]);
    expect(fake.requests.slice(before).filter((r) => r.method !== 'GET')).toEqual([]);
    expect(manifestRecords(project)).toHaveLength(18);

    // With history now, the estimate has an expected duration; without a terminal nothing is created.
    const forced = await inetSwarm(['run', '--aws', '--force', './demo', '-c', 'Quick'], project, awsEnv());
    expect(forced.code).toBe(2);
    expect(forced.stdout).toMatch(/runs: 18, about \d+ min of simulation from earlier runs/);
    expect(forced.stderr).toContain('pass --yes');
    expect(fake.requests.slice(before).filter((r) => r.method === 'POST')).toEqual([]);
  });

  it('on a terminal, asks before creating anything: no creates nothing, yes runs with the upload bar', async () => {
    const project = demoProject('aws-terminal');
    // A source of its own, which the control plane does not have yet: it is uploaded, with the bar.
    writeFileSync(path.join(project, 'notes.txt'), `${randomUUID()}\n`);
    const prompt = 'create the cluster and start the campaign? [y/N]';
    const before = fake.requests.length;
    const declined = await inetSwarmOnTerminal(['run', '--aws', './demo', '-c', 'Quick'], project, awsEnv(), {
      prompt,
      answer: 'n',
    });
    expect(declined.code, declined.output).toBe(2);
    expect(declined.output.indexOf('before anything is created')).toBeLessThan(
      declined.output.indexOf(prompt),
    );
    expect(declined.output).toContain('nothing was created');
    expect(fake.requests.slice(before).filter((r) => r.method !== 'GET')).toEqual([]);

    const accepted = await inetSwarmOnTerminal(['run', '--aws', './demo', '-c', 'Quick'], project, awsEnv(), {
      prompt,
      answer: 'y',
    });
    expect(accepted.code, accepted.output).toBe(0);
    expect(accepted.output).toContain('uploading the source');
    expect(accepted.output).toContain('18 runs: 18 ok');
    expectAllResults(project);
  });

  it('rejects a download whose sha256 differs from its record and downloads it again', async () => {
    const project = demoProject('aws-corrupt');
    const victim = fixture.runs[0]?.results[0] as string;
    fake.corruptOnce.add(victim);
    const before = fake.requests.length;
    const result = await inetSwarm(['run', '--aws', '--yes', './demo', '-c', 'Quick'], project, awsEnv());
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('rejected; downloading it again');
    expect(fake.resultDownloads(before).filter((name) => name === victim)).toHaveLength(2);
    expectAllResults(project);
  });

  it('submits only the runs without intact results here, as a -r list, and keeps the others', async () => {
    const project = demoProject('aws-partial');
    const first = await inetSwarm(
      ['run', '--aws', '--yes', './demo', '-c', 'Quick', '-r', '0..8'],
      project,
      awsEnv(),
    );
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('9 runs: 9 ok');
    const before = fake.requests.length;
    const second = await inetSwarm(['run', '--aws', '--yes', './demo', '-c', 'Quick'], project, awsEnv());
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('9 of 18 runs have intact results here and are kept; submitting 9');
    expect(campaignSpecSchema.parse(fake.specs.at(-1)).args).toEqual(['-c', 'Quick', '-r', '9..17']);
    expect(second.stdout).toContain('18 runs: 18 ok (9 kept from earlier sessions)');
    const kept = new Set(fixture.runs.slice(0, 9).flatMap((run) => run.results));
    expect(fake.resultDownloads(before).filter((name) => kept.has(name))).toEqual([]);
    expectAllResults(project);
  });

  it('prints the failure and its cause and exits 1 when the budget stops the campaign', async () => {
    fake.reset('over-budget');
    const project = demoProject('aws-budget');
    const result = await inetSwarm(
      ['run', '--aws', '--yes', '--budget', '5', './demo', '-c', 'Quick'],
      project,
      awsEnv(),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /AWS campaign camp-\d+ failed: BudgetExceeded: projected cost \$6\.10 passes the budget of \$5\.00/,
    );
    expect(result.stdout).toContain('18 runs: 6 ok, 12 not run');
    // What finished before the cluster was torn down is kept.
    expect(manifestRecords(project)).toHaveLength(6);
  });

  it('plans in the cluster when the program is not built here, and builds it there', async () => {
    const project = demoSourceProject('aws-unbuilt');
    const result = await inetSwarm(['run', '--aws', '--yes', './demo', '-c', 'Quick'], project, awsEnv());
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('runs: unknown here');
    expect(result.stdout).toContain('  build| g++ -c model.cc'); // the build log, streamed
    expect(campaignSpecSchema.parse(fake.specs.at(-1)).buildCommand).toBe('make');
    expect(result.stdout).toContain('18 runs: 18 ok');
    expectAllResults(project);
  });

  it('exits 4 with the cause and the build output when the build fails in the cluster', async () => {
    fake.reset('build-fails');
    const project = demoProject('aws-build-fails');
    const result = await inetSwarm(['run', '--aws', '--yes', './demo', '-c', 'Quick'], project, awsEnv());
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('the build failed in the cluster of campaign');
    expect(result.stderr).toContain('make: *** [model.o] Error 1');
    expect(result.stderr).toContain("model.cc:12: error: expected ';' before '}'");
    expect(resultDirFiles(project)).toEqual([]);
  });

  it('detaches on SIGINT with exit 130 and a hint; attach collects the rest without storing anything twice', async () => {
    fake.reset('stall');
    const project = demoProject('aws-interrupt');
    const child = startCli(['run', '--aws', '--yes', './demo', '-c', 'Quick'], project, awsEnv());
    const done = collect(child);
    await waitFor(() => manifestRecords(project).length === 6);
    child.kill('SIGINT');
    const result = await done;
    expect(result.code).toBe(130);
    const id = campaignIdIn(result.stdout);
    expect(result.stdout).toContain(`inet-swarm attach --aws ${id}`);

    fake.released = true;
    const attached = await inetSwarm(['attach', '--aws', id], project, awsEnv());
    expect(attached.stderr).toBe('');
    expect(attached.code).toBe(0);
    expect(attached.stdout).toContain('18 runs: 18 ok (6 kept from earlier sessions)');
    const runs = manifestRecords(project).map((r) => r.runNumber);
    expect(runs).toHaveLength(18);
    expect(new Set(runs).size).toBe(18);
    expectAllResults(project);
  });
});

describe('results --aws', () => {
  it('downloads again exactly the files that are missing or changed here', async () => {
    const project = demoProject('aws-results');
    const result = await inetSwarm(['submit', '--aws', '--yes', './demo', '-c', 'Quick'], project, awsEnv());
    const id = campaignIdIn(result.stdout);
    // The fake's cluster runs as its status is read.
    for (let i = 0; i < 8; i++) await inetSwarm(['status', '--aws', id], project, awsEnv());

    const first = await inetSwarm(['results', '--aws', id], project, awsEnv());
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`${id}: stored 18 new run record(s)`);
    expectAllResults(project);

    const [missing, changed] = [...fixture.files.keys()].filter((n) => n.endsWith('.sca'));
    rmSync(path.join(project, 'results', missing as string));
    writeFileSync(path.join(project, 'results', changed as string), 'edited by hand\n');
    const before = fake.requests.length;
    const again = await inetSwarm(['results', '--aws', id], project, awsEnv());
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(
      'stored 0 new run record(s) with 0 file(s); downloaded 2 missing or changed file(s) again',
    );
    expect(fake.resultDownloads(before).sort()).toEqual([missing, changed].sort());
    expectAllResults(project);
    expect(manifestRecords(project)).toHaveLength(18);
  });
});

describe('bad input', () => {
  const cases: {
    name: string;
    args: string[];
    yes?: false;
    env?: Record<string, string>;
    message: RegExp;
  }[] = [
    {
      name: 'an unknown instance type',
      args: ['--instance-type', 'c9z.huge'],
      message: /cluster\.instanceType \(--instance-type\): unknown or unsupported instance type/,
    },
    {
      name: 'a bad region',
      args: ['--region', 'mars-north-1'],
      message: /cluster\.region \(--region\): unknown or unsupported region/,
    },
    {
      name: 'a worker image that is no image reference',
      args: ['--worker-image', 'a b'],
      message: /cluster\.workerImage \(--worker-image\): a Docker image reference/,
    },
    {
      name: 'a builder image with a leading dash',
      args: ['--builder-image=-lab/inet-builder'],
      message: /cluster\.builderImage \(--builder-image\): a Docker image reference/,
    },
    {
      name: 'a manager count without quorum',
      args: ['--manager-size', '2'],
      message: /--manager-size must be 1, 3 or 5/,
    },
    {
      name: 'no API configured',
      args: [],
      env: { INET_SWARM_AWS_API: '' },
      message: /no control plane API is configured: pass --api URL/,
    },
    { name: 'no terminal and no --yes', args: [], yes: false, message: /pass --yes/ },
    {
      name: '--aws with --swarm',
      args: ['--swarm', 'x'],
      message: /--aws and --swarm choose different backends/,
    },
  ];

  for (const { name, args, yes, env, message } of cases) {
    it(`rejects ${name} with exit 2, sending nothing`, async () => {
      const project = demoProject('aws-bad');
      const before = fake.requests.length;
      const result = await inetSwarm(
        ['run', '--aws', ...(yes === false ? [] : ['--yes']), ...args, './demo', '-c', 'Quick'],
        project,
        awsEnv(env),
      );
      expect(result.stderr).toMatch(message);
      expect(result.code).toBe(2);
      expect(fake.requests.length).toBe(before);
    });
  }

  it('refuses aws options without --aws', async () => {
    const result = await inetSwarm(
      ['run', '--cluster-size', '3', './demo', '-c', 'Quick'],
      demoProject('aws-bad'),
      awsEnv(),
    );
    expect(result.stderr).toMatch(/--cluster-size only apply with --aws/);
    expect(result.code).toBe(2);
  });

  it('refuses the image options without --aws', async () => {
    const before = fake.requests.length;
    const result = await inetSwarm(
      ['submit', '--worker-image', 'lab/w:1', '--builder-image', 'lab/b:1', './demo', '-c', 'Quick'],
      demoProject('aws-bad'),
      awsEnv(),
    );
    expect(result.stderr).toMatch(/--worker-image, --builder-image only apply with --aws/);
    expect(result.code).toBe(2);
    expect(fake.requests.length).toBe(before);
  });
});

describe('status, logs and cancel --aws', () => {
  it('lists campaigns, shows one, prints logs and cancels', async () => {
    fake.addCampaign('camp-fixed-1', {
      name: 'study',
      state: 'running',
      runs: { total: 18, ok: 4, failed: 1, finished: 5, remainingSeconds: 120 },
      cost: { soFarUsd: 0.42, projectedUsd: 1.5, budgetUsd: 5 },
      cluster: { managerAddress: MANAGER, dashboardPort: 8081 },
    });
    const dir = demoProject('aws-status');
    const table = await inetSwarm(['status', '--aws'], dir, awsEnv());
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^CAMPAIGN\s+NAME\s+STATE\s+RUNS\s+COST\s+CREATED$/m);
    expect(table.stdout).toMatch(/^camp-fixed-1\s+study\s+running\s+5\/18\s+\$0\.42\s/m);

    const one = await inetSwarm(['status', '--aws', 'camp-fixed-1'], dir, awsEnv());
    expect(one.code).toBe(0);
    expect(one.stdout).toContain('5/18 finished: 4 ok, 1 failed');
    expect(one.stdout).toContain('cost so far $0.42, projected $1.50 of a $5.00 budget');
    expect(one.stdout).toContain(
      `manager ${MANAGER}, dashboard port 8081 (inet-swarm aws connect camp-fixed-1)`,
    );

    const unknown = await inetSwarm(['status', '--aws', 'camp-nope'], dir, awsEnv());
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no campaign camp-nope');

    const build = await inetSwarm(['logs', '--aws', 'camp-fixed-1'], dir, awsEnv());
    expect(build.stdout).toBe(`${BUILD_LOG.join('\n')}\n`);
    const run = await inetSwarm(['logs', '--aws', 'camp-fixed-1', '3'], dir, awsEnv());
    expect(run.stdout).toContain('output of run 3');

    const cancelled = await inetSwarm(['cancel', '--aws', 'camp-fixed-1'], dir, awsEnv());
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout).toContain('cancelling camp-fixed-1 (tearing-down)');
    expect(fake.campaigns.get('camp-fixed-1')?.status.failure?.error).toBe('CampaignCancelled');
  });
});

describe('aws configure', () => {
  it('saves the API with mode 0600 for later commands', async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'inet-swarm-aws-configure-'));
    const env = awsEnv({ INET_SWARM_AWS_API: '', XDG_CONFIG_HOME: home, AWS_REGION: '' });
    const saved = await inetSwarm(
      ['aws', 'configure', '--api', fake.base, '--region', 'eu-central-1'],
      home,
      env,
    );
    expect(saved.code).toBe(0);
    const file = path.join(home, 'inet-swarm', 'aws.json');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ v: 1, api: fake.base, region: 'eu-central-1' });
    const listed = await inetSwarm(['status', '--aws'], home, env);
    expect(listed.stderr).toBe('');
    expect(listed.code).toBe(0);

    const noRegion = await inetSwarm(['aws', 'configure', '--api', 'http://127.0.0.1:1'], home, env);
    expect(noRegion.code).toBe(2);
    expect(noRegion.stderr).toContain('pass --region');
  });
});

describe('aws connect / disconnect', () => {
  let bin: string;
  let argvFile: string;

  beforeAll(() => {
    bin = mkdtempSync(path.join(os.tmpdir(), 'inet-swarm-fake-ssh-'));
    argvFile = path.join(bin, 'argv.json');
    // A stand-in for ssh -L: records its arguments, listens on the local port, and stays.
    writeFileSync(
      path.join(bin, 'ssh'),
      `#!${process.execPath}
const fs = require('node:fs');
const net = require('node:net');
const argv = process.argv.slice(2);
fs.writeFileSync(${JSON.stringify(argvFile)}, JSON.stringify(argv));
const port = Number(argv[argv.indexOf('-L') + 1].split(':')[0]);
net.createServer((socket) => socket.end()).listen(port, '127.0.0.1');
`,
    );
    chmodSync(path.join(bin, 'ssh'), 0o755);
  });

  function alive(pid: number): boolean {
    try {
      process.kill(pid, 0);
    } catch {
      return false;
    }
    const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
    return stat.charAt(stat.lastIndexOf(')') + 2) !== 'Z';
  }

  async function freePort(): Promise<number> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise((resolve) => server.close(resolve));
    return port;
  }

  it('opens a tunnel with a PID file, refuses a second one, and disconnect ends it', async () => {
    fake.addCampaign('camp-tunnel-1', {
      state: 'running',
      cluster: { managerAddress: MANAGER, dashboardPort: 8081 },
    });
    const project = demoProject('aws-connect');
    const key = path.join(project, 'cluster.pem');
    writeFileSync(key, 'not a real key\n');
    const env = awsEnv({ PATH: `${bin}:${process.env.PATH ?? ''}` });
    const port = await freePort();

    const connected = await inetSwarm(
      ['aws', 'connect', 'camp-tunnel-1', '--local-port', String(port), '-i', 'cluster.pem'],
      project,
      env,
    );
    expect(connected.stderr).toBe('');
    expect(connected.code).toBe(0);
    expect(connected.stdout).toContain(`dashboard of camp-tunnel-1: http://localhost:${port}/`);
    const pidFile = path.join(project, '.inet-swarm', 'aws-tunnels', 'camp-tunnel-1.pid');
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    expect(alive(pid)).toBe(true);
    expect(JSON.parse(readFileSync(argvFile, 'utf8'))).toEqual([
      '-N',
      '-L',
      `${port}:localhost:8081`,
      '-o',
      'ExitOnForwardFailure=yes',
      '-o',
      'ServerAliveInterval=30',
      '-o',
      'ServerAliveCountMax=3',
      '-o',
      'BatchMode=yes',
      '-o',
      'StrictHostKeyChecking=accept-new',
      '-i',
      key,
      `ec2-user@${MANAGER}`,
    ]);

    const second = await inetSwarm(
      ['aws', 'connect', 'camp-tunnel-1', '--local-port', String(port)],
      project,
      env,
    );
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(`a tunnel to camp-tunnel-1 is open already (ssh pid ${pid})`);

    const disconnected = await inetSwarm(['aws', 'disconnect', 'camp-tunnel-1'], project, env);
    expect(disconnected.code).toBe(0);
    expect(disconnected.stdout).toContain('closed the tunnel to camp-tunnel-1');
    expect(existsSync(pidFile)).toBe(false);
    await waitFor(() => !alive(pid));
  });

  it('replaces a stale PID file, and refuses a campaign without a cluster', async () => {
    const project = demoProject('aws-stale');
    const tunnels = path.join(project, '.inet-swarm', 'aws-tunnels');
    mkdirSync(tunnels, { recursive: true });
    // A PID that belonged to a process that has ended.
    const ended = execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    writeFileSync(path.join(tunnels, 'camp-stale-1.pid'), `${ended}\n`);
    const env = awsEnv({ PATH: `${bin}:${process.env.PATH ?? ''}` });
    const stale = await inetSwarm(['aws', 'disconnect', 'camp-stale-1'], project, env);
    expect(stale.code).toBe(0);
    expect(stale.stdout).toContain('had ended already');
    expect(existsSync(path.join(tunnels, 'camp-stale-1.pid'))).toBe(false);

    fake.addCampaign('camp-no-cluster-1', { state: 'provisioning' });
    const early = await inetSwarm(['aws', 'connect', 'camp-no-cluster-1'], project, env);
    expect(early.code).toBe(2);
    expect(early.stderr).toContain('has no cluster to connect to (it is provisioning)');
  });
});
