/**
 * The builder's jobs end to end without Docker: build and plan jobs through BullMQ on a real Redis,
 * sources, artifacts and plans in GridFS on a real FerretDB, the demo simulation compiled by `make`
 * through ccache, and in the last test through two real distcc daemons on loopback.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Queue, QueueEvents, Worker, type Job } from 'bullmq';
import { MongoClient } from 'mongodb';
import { create, list } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GridFsBlobStore } from '../../lib/adapters/mongo/grid-fs-blob-store.js';
import { ArtifactCache } from '../../lib/swarm/artifact-cache.js';
import {
  artifactKeyOf,
  BUILD_QUEUE,
  decodeJobFailure,
  PLAN_QUEUE,
  type BuildRequest,
  type BuildResult,
  type JobFailure,
  type PlanRequest,
  type PlanResult,
  type StoredPlan,
} from '../../lib/swarm/build-jobs.js';
import {
  builderProcessors,
  checkToolchain,
  readBuilderEnvironment,
  type BuilderDeps,
} from '../../lib/swarm/builder-worker.js';
import { runBuilder } from '../../swarm/services/builder.js';
import { startFerretDb, type TestMongo } from '../support/ferretdb-server.js';
import { freePort } from '../support/ports.js';
import { startRedis, type TestRedis } from '../support/redis-server.js';
import { repoRoot } from '../support/repo.js';

const tmp = (label: string) => mkdtempSync(path.join(os.tmpdir(), `builder-worker-${label}-`));
const demoDir = path.join(repoRoot, 'examples/demo');
const demoSources = readdirSync(demoDir).filter((name) => /\.(cc|h)$|^Makefile$|^omnetpp\.ini$/.test(name));
const compileUnits = demoSources.filter((name) => name.endsWith('.cc')).length;

/** A project with the demo's source (no build products) in `demo/`. */
function demoProject(): string {
  const root = tmp('project');
  mkdirSync(path.join(root, 'demo'));
  for (const name of demoSources) copyFileSync(path.join(demoDir, name), path.join(root, 'demo', name));
  return root;
}

let redis: TestRedis | undefined;
let mongo: TestMongo | undefined;
let client: MongoClient | undefined;
let blobs: GridFsBlobStore;

beforeAll(async () => {
  [redis, mongo] = await Promise.all([startRedis(), startFerretDb()]);
  client = new MongoClient(mongo.url);
  await client.connect();
  blobs = new GridFsBlobStore(client.db('builder'));
});
afterAll(async () => {
  await client?.close();
  await Promise.all([redis?.stop(), mongo?.stop()]);
});

/** Uploads `root` as a source snapshot and returns a build request for it (a fresh identity each time). */
async function uploadSource(root: string, command: string | null = 'make'): Promise<BuildRequest> {
  const archive = path.join(tmp('source'), 'source.tar.gz');
  await create({ file: archive, cwd: root, gzip: true, portable: true }, ['demo']);
  const sourceHash = randomBytes(16).toString('hex');
  await blobs.putFile(`source-${sourceHash}`, archive);
  return { sourceKey: `source-${sourceHash}`, sourceHash, settings: { command, buildDir: 'demo' } };
}

type Outcome<R> =
  | { readonly ok: true; readonly result: R; readonly log: string[] }
  | { readonly ok: false; readonly failure: JobFailure; readonly attempts: number; readonly log: string[] };

/** A builder with its own queues, processing jobs with the real BullMQ workers. */
function builder(deps: BuilderDeps) {
  const name = `t${randomBytes(4).toString('hex')}`;
  const connection = (redis as TestRedis).client();
  const processors = builderProcessors(deps);
  const queues = {
    build: new Queue(`${name}-build`, { connection }),
    plan: new Queue(`${name}-plan`, { connection }),
  };
  const events = {
    build: new QueueEvents(`${name}-build`, { connection: (redis as TestRedis).client() }),
    plan: new QueueEvents(`${name}-plan`, { connection: (redis as TestRedis).client() }),
  };
  const workers = [
    new Worker(`${name}-build`, processors.build, { connection, concurrency: 1 }),
    new Worker(`${name}-plan`, processors.plan, { connection, concurrency: 2 }),
  ];
  async function run<R>(kind: 'build' | 'plan', data: BuildRequest | PlanRequest): Promise<Outcome<R>> {
    await events[kind].waitUntilReady();
    // Retries allowed, as the gateway allows them: a deterministic failure must not use them.
    const job = await queues[kind].add(kind, data, { attempts: 3, backoff: { type: 'fixed', delay: 10 } });
    try {
      const result = (await job.waitUntilFinished(events[kind])) as R;
      return { ok: true, result, log: (await queues[kind].getJobLogs(job.id ?? '')).logs };
    } catch {
      const failed = await queues[kind].getJob(job.id ?? '');
      return {
        ok: false,
        failure: decodeJobFailure(failed?.failedReason ?? ''),
        attempts: failed?.attemptsMade ?? -1,
        log: (await queues[kind].getJobLogs(job.id ?? '')).logs,
      };
    }
  }
  return {
    build: (request: BuildRequest) => run<BuildResult>('build', request),
    plan: (request: PlanRequest) => run<PlanResult>('plan', request),
    close: async () => {
      await Promise.all(workers.map((w) => w.close()));
      await Promise.all([...Object.values(queues), ...Object.values(events)].map((q) => q.close()));
      await connection.quit();
    },
  };
}

/** The paths in the stored artifact `key`, and the type and mode of each. */
async function artifactListing(key: string): Promise<Map<string, { type: string; mode: number }>> {
  const archive = path.join(tmp('fetched'), 'artifact.tar.gz');
  await blobs.getFile(key, archive);
  const entries = new Map<string, { type: string; mode: number }>();
  await list({
    file: archive,
    onReadEntry: (entry) =>
      entries.set(entry.path.replace(/\/$/, ''), { type: entry.type, mode: entry.mode ?? 0 }),
  });
  return entries;
}

function deps(
  scratchDir: string,
  env: Record<string, string | undefined>,
  extra: Partial<BuilderDeps> = {},
): BuilderDeps {
  const limits = { maxBytes: 1 << 30, maxEntries: 10_000 };
  return {
    blobs,
    artifacts: new ArtifactCache(blobs, { dir: tmp('artifacts'), limits }),
    scratchDir,
    limits,
    environment: readBuilderEnvironment({ ...process.env, MAKEFLAGS: undefined, ...env }),
    ...extra,
  };
}

describe('builds and plans on one node (no distcc daemon)', () => {
  const scratchDir = tmp('scratch');
  const ccacheDir = tmp('ccache');
  // DISTCC_FALLBACK=0: had distcc been used at all without daemons, the compile would fail.
  const env = { CCACHE_DIR: ccacheDir, DISTCC_SERVICE: 'no-distcc-here.invalid', DISTCC_FALLBACK: '0' };
  // Absolute paths into the tree (as CMake and many Makefiles pass them) and debug info put the
  // scratch directory into the compiler call; ccache must still find entries made in another one.
  const buildCommand = 'CXXFLAGS="-O2 -g -include $PWD/util.h" make';
  let worker: ReturnType<typeof builder>;
  let built: { request: BuildRequest; result: BuildResult } | undefined;
  beforeAll(() => {
    worker = builder(deps(scratchDir, env));
  });
  afterAll(async () => {
    await worker.close();
  });

  it('builds the demo with make through ccache and stores the built tree without object files', async () => {
    const request = await uploadSource(demoProject(), buildCommand);

    const outcome = await worker.build(request);

    if (!outcome.ok) throw new Error(`build failed: ${JSON.stringify(outcome.failure)}`);
    expect(outcome.result.artifactKey).toBe(artifactKeyOf(request));
    expect(outcome.result.compiles).toBe(compileUnits);
    expect(outcome.result.distccHosts).toEqual({});
    expect(outcome.log.some((line) => line.startsWith('no distcc daemons found'))).toBe(true);
    expect(outcome.log).toContainEqual(expect.stringMatching(/^g\+\+ .*-c -o main\.o main\.cc$/));
    const entries = await artifactListing(outcome.result.artifactKey);
    expect((entries.get('demo/demo')?.mode ?? 0) & 0o111).not.toBe(0);
    expect(entries.has('demo/omnetpp.ini')).toBe(true);
    expect([...entries.keys()].filter((p) => /\.[od]$/.test(p))).toEqual([]);
    expect(readdirSync(scratchDir)).toEqual([]);
    built = { request, result: outcome.result };
  });

  it('answers a second request for the same build from the store, compiling nothing', async () => {
    const { request, result } = built ?? expect.fail('the first build did not succeed');

    const again = await worker.build(request);

    if (!again.ok) throw new Error(`build failed: ${JSON.stringify(again.failure)}`);
    expect(again.result).toMatchObject({ artifactKey: result.artifactKey, compiles: 0, distccHosts: {} });
    expect(again.log).toEqual([`artifact ${result.artifactKey} is built already: nothing to do`]);
  });

  it('takes every object from ccache when the same files are built again in another scratch directory', async () => {
    // Another snapshot (as after a change elsewhere in the tree): another build, in a new directory.
    const request = await uploadSource(demoProject(), buildCommand);

    const outcome = await worker.build(request);

    if (!outcome.ok) throw new Error(`build failed: ${JSON.stringify(outcome.failure)}`);
    expect(outcome.result.artifactKey).not.toBe(built?.result.artifactKey);
    expect(outcome.result.compiles).toBe(0);
    expect(outcome.log).toContainEqual(expect.stringMatching(/^g\+\+ .* -o demo /));
  });

  it('fails a broken build at once with the compiler error, storing no artifact', async () => {
    const root = demoProject();
    await appendFile(path.join(root, 'demo', 'util.cc'), '\nint broken = ;\n');
    const request = await uploadSource(root, buildCommand);

    const outcome = await worker.build(request);

    if (outcome.ok) throw new Error('the broken build succeeded');
    expect(outcome.attempts).toBe(1);
    expect(outcome.failure.name).toBe('BuildFailedError');
    expect(outcome.failure.message).toBe(`the build command '${buildCommand}' exited with code 2 in demo`);
    expect(outcome.failure.details).toContainEqual(expect.stringMatching(/^util\.cc:\d+:\d+: error: /));
    expect(outcome.log).toContainEqual(expect.stringMatching(/^util\.cc:\d+:\d+: error: /));
    expect(await blobs.stat(artifactKeyOf(request))).toBeNull();
    expect(readdirSync(scratchDir)).toEqual([]);
  });

  it('stores hard-linked build outputs whole, in an artifact that unpacks', async () => {
    // As `cp -l`, `ln` or a library's versioned names leave them in a build tree.
    const request = await uploadSource(demoProject(), 'ln omnetpp.ini linked.ini');

    const outcome = await worker.build(request);

    if (!outcome.ok) throw new Error(`build failed: ${JSON.stringify(outcome.failure)}`);
    const entries = await artifactListing(outcome.result.artifactKey);
    expect([...entries].filter(([, e]) => e.type === 'Link')).toEqual([]);
    expect(['demo/linked.ini', 'demo/omnetpp.ini'].map((p) => entries.get(p)?.type)).toEqual([
      'File',
      'File',
    ]);
    const limits = { maxBytes: 1 << 30, maxEntries: 10_000 };
    const { dir } = await new ArtifactCache(blobs, { dir: tmp('unpacked'), limits }).ensure(
      outcome.result.artifactKey,
    );
    expect(readFileSync(path.join(dir, 'demo', 'linked.ini'), 'utf8')).toBe(
      readFileSync(path.join(demoDir, 'omnetpp.ini'), 'utf8'),
    );
  });

  it('plans a campaign in the artifact with paths relative to it, and stores the plan once', async () => {
    const { result } = built ?? expect.fail('the first build did not succeed');
    const request: PlanRequest = {
      artifactKey: result.artifactKey,
      program: './demo',
      args: ['-c', 'Failing'],
      workingDir: 'demo',
    };

    const outcome = await worker.plan(request);
    const again = await worker.plan(request);

    if (!outcome.ok) throw new Error(`plan failed: ${JSON.stringify(outcome.failure)}`);
    expect(outcome.result.runs).toBe(12);
    expect(again).toMatchObject({ ok: true, result: outcome.result });
    const file = path.join(tmp('plan'), 'plan.json');
    await blobs.getFile(outcome.result.planKey, file);
    const plan = JSON.parse(readFileSync(file, 'utf8')) as StoredPlan;
    expect(plan).toMatchObject({ workingDir: 'demo', resultDir: 'demo/results', configName: 'Failing' });
    expect(plan.runs.map((r) => r.runNumber)).toEqual([...Array(12).keys()]);
  });

  it("passes the simulation's own refusal of a config to the client, unretried", async () => {
    const { result } = built ?? expect.fail('the first build did not succeed');

    const outcome = await worker.plan({
      artifactKey: result.artifactKey,
      program: './demo',
      args: ['-c', 'Nope'],
      workingDir: 'demo',
    });

    if (outcome.ok) throw new Error('planning an unknown config succeeded');
    expect(outcome.attempts).toBe(1);
    expect(outcome.failure.name).toBe('SimulationQueryError');
    expect(outcome.failure.details).toEqual(['<!> Error: No such config: Nope']);
  });

  it('refuses a result directory outside the artifact', async () => {
    const { result } = built ?? expect.fail('the first build did not succeed');

    const outcome = await worker.plan({
      artifactKey: result.artifactKey,
      program: './demo',
      args: ['-c', 'Failing', `--result-dir=${tmp('elsewhere')}`],
      workingDir: 'demo',
    });

    if (outcome.ok) throw new Error('a result directory outside the artifact was accepted');
    expect(outcome.failure.name).toBe('CampaignInputError');
    expect(outcome.failure.message).toMatch(/^the result directory .* lies outside the project/);
  });
});

interface Distccd {
  readonly port: number;
  readonly logFile: string;
  stop(): Promise<void>;
}

/** A distcc daemon on a free loopback port that accepts loopback clients only. */
async function startDistccd(): Promise<Distccd> {
  const port = await freePort();
  // distccd started by root drops to an unprivileged user, which must be able to write its log.
  const logDir = tmp('distccd');
  chmodSync(logDir, 0o777);
  const logFile = path.join(logDir, 'distccd.log');
  // Its own process group: distccd forks workers, and stopping it must stop them all.
  const daemon = spawn(
    'distccd',
    [
      '--daemon',
      '--no-detach',
      '--allow',
      '127.0.0.1',
      '--listen',
      '127.0.0.1',
      '--port',
      String(port),
      '--jobs',
      '2',
      '--log-file',
      logFile,
      '--log-level',
      'info',
    ],
    { stdio: 'ignore', detached: true },
  );
  const exited = new Promise<void>((resolve) => daemon.once('exit', () => resolve()));
  daemon.once('error', () => undefined); // reported below as "did not start"
  for (let i = 0; ; i++) {
    const connected = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (connected) break;
    if (i > 200 || daemon.exitCode !== null || daemon.pid === undefined) {
      if (daemon.pid !== undefined && daemon.exitCode === null) process.kill(-daemon.pid, 'SIGTERM');
      throw new Error('distccd did not start (bash scripts/bootstrap.sh installs distcc)');
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return {
    port,
    logFile,
    stop: async () => {
      process.kill(-(daemon.pid ?? 0), 'SIGTERM');
      await exited;
    },
  };
}

describe('a build distributed over distcc daemons', () => {
  const daemons: Distccd[] = [];
  afterAll(async () => {
    await Promise.all(daemons.map((d) => d.stop()));
  });

  it('compiles every file on the daemons, both of them, through the ccache masquerade', async () => {
    daemons.push(await startDistccd(), await startDistccd());
    const hosts = daemons.map((d) => `127.0.0.1:${d.port}/2`);
    const worker = builder(
      deps(
        tmp('scratch'),
        // A fresh ccache, so that everything is compiled; no fallback, so nothing compiles locally.
        { CCACHE_DIR: tmp('ccache'), DISTCC_FALLBACK: '0' },
        { distccHosts: () => Promise.resolve(hosts) },
      ),
    );
    try {
      const request = await uploadSource(demoProject());

      const outcome = await worker.build(request);

      if (!outcome.ok) throw new Error(`build failed: ${JSON.stringify(outcome.failure)}`);
      expect(outcome.log[0]).toBe(`distcc: ${hosts.join(' ')}; MAKEFLAGS=-j4`);
      const perHost = outcome.result.distccHosts;
      expect(Object.keys(perHost).sort()).toEqual(daemons.map((d) => `127.0.0.1:${d.port}`).sort());
      expect(Object.values(perHost).every((jobs) => jobs >= 1)).toBe(true);
      expect(outcome.result.compiles).toBe(compileUnits);
      expect(Object.values(perHost).reduce((a, b) => a + b, 0)).toBe(compileUnits);
      for (const daemon of daemons) {
        const compiled = readFileSync(daemon.logFile, 'utf8').match(/ COMPILE_OK /g) ?? [];
        expect(compiled.length, `daemon on port ${daemon.port}`).toBe(perHost[`127.0.0.1:${daemon.port}`]);
      }
      const entries = await artifactListing(outcome.result.artifactKey);
      expect(entries.has('demo/demo')).toBe(true);
    } finally {
      await worker.close();
    }
  });
});

describe('the builder service', () => {
  it('refuses to start without the ccache compiler links', async () => {
    const environment = readBuilderEnvironment({ ...process.env, CCACHE_DIR: tmp('ccache') });
    await expect(checkToolchain(environment)).resolves.toBeUndefined();

    const broken = readBuilderEnvironment({
      ...process.env,
      CCACHE_DIR: tmp('ccache'),
      CCACHE_MASQUERADE_DIR: tmp('no-ccache'),
    });

    await expect(checkToolchain(broken)).rejects.toThrow(/no ccache compiler links in /);
  });

  it('takes jobs from the build and plan queues and stops when told', async () => {
    // A project shipped prebuilt: no build command, the source is the artifact.
    const root = tmp('prebuilt');
    mkdirSync(path.join(root, 'demo'));
    for (const name of ['demo', 'omnetpp.ini']) {
      copyFileSync(path.join(demoDir, name), path.join(root, 'demo', name));
    }
    const request = await uploadSource(root, null);
    const stop = new AbortController();
    const service = runBuilder(
      {
        redis: {
          host: '127.0.0.1',
          port: (redis as TestRedis).port,
          password: (redis as TestRedis).password,
        },
        mongo: { url: (mongo as TestMongo).url, username: null, password: null, database: 'builder' },
        scratchDir: tmp('service'),
        extractLimits: { maxBytes: 1 << 30, maxEntries: 10_000 },
      },
      stop.signal,
      { ...process.env, CCACHE_DIR: tmp('ccache'), DISTCC_SERVICE: 'no-distcc-here.invalid' },
    );
    const stoppedEarly = service.then(() => {
      throw new Error('the builder service returned before it was stopped');
    });
    stoppedEarly.catch(() => undefined); // it settles after the stop too, when nobody races it any more
    const connection = (redis as TestRedis).client();
    const queues = [new Queue(BUILD_QUEUE, { connection }), new Queue(PLAN_QUEUE, { connection })] as const;
    const events = [BUILD_QUEUE, PLAN_QUEUE].map(
      (name) => new QueueEvents(name, { connection: (redis as TestRedis).client() }),
    );
    const finished = async (job: Job, queueEvents: QueueEvents): Promise<unknown> =>
      Promise.race([job.waitUntilFinished(queueEvents), stoppedEarly]);
    try {
      await Promise.all(events.map((e) => e.waitUntilReady()));

      const built = (await finished(
        await queues[0].add('b', request),
        events[0] as QueueEvents,
      )) as BuildResult;
      const planned = (await finished(
        await queues[1].add('p', {
          artifactKey: built.artifactKey,
          program: './demo',
          args: ['-c', 'Failing'],
          workingDir: 'demo',
        } satisfies PlanRequest),
        events[1] as QueueEvents,
      )) as PlanResult;

      expect(built).toMatchObject({ artifactKey: artifactKeyOf(request), compiles: 0, distccHosts: {} });
      expect((await artifactListing(built.artifactKey)).has('demo/demo')).toBe(true);
      expect(planned.runs).toBe(12);
    } finally {
      stop.abort();
      await service;
      await Promise.all([...queues, ...events].map((q) => q.close()));
      await connection.quit();
    }
  });
});
