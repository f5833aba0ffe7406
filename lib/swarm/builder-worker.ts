/**
 * What the builder service does with a build or plan job. A build unpacks a source snapshot and runs
 * the project's own build command with ccache and distcc slipped in underneath it (compiler names on
 * PATH go through ccache, whose misses go to the swarm's distcc daemons), then stores the built tree as
 * the artifact. A plan enumerates a campaign with the built program's own queries, in the artifact.
 * Failures that a retry cannot fix (a compiler error, an unknown config) end the job at once, with the
 * typed error encoded in its message for the client.
 */
import { spawn } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, realpath, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { UnrecoverableError, type Job } from 'bullmq';
import { packTree } from '../adapters/local/pack-tree.js';
import { checkWorkingDir, resolveProgram } from '../adapters/local/preflight.js';
import { ProcessSimulationProgram } from '../adapters/local/process-simulation-program.js';
import { extractSafely, type ExtractLimits } from '../adapters/local/safe-extract.js';
import {
  ArchiveEntryRejectedError,
  BlobNotFoundError,
  BuildFailedError,
  CampaignInputError,
  SimulationQueryError,
} from '../core/errors.js';
import { campaignIdOf, planCampaign } from '../core/plan.js';
import { readInvocation } from '../core/simulation-args.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { ArtifactCache } from './artifact-cache.js';
import {
  artifactKeyOf,
  encodeJobFailure,
  planId,
  type BuildRequest,
  type BuildResult,
  type PlanRequest,
  type PlanResult,
  type StoredPlan,
} from './build-jobs.js';
import { buildRequestSchema, planRequestSchema } from './gateway/gateway-schemas.js';

/** Lines of build output kept for the error of a failed build. */
const LOG_TAIL_LINES = 50;
/** distcc's own default job limit per daemon, used when a host entry names none. */
const DISTCC_DEFAULT_SLOTS = 2;

/** The builder's toolchain settings, read once from its environment. */
export interface BuilderEnvironment {
  /** The builder's own environment: the base of every build's environment (DISTCC_FALLBACK, MAKEFLAGS...). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The ccache store, a volume kept across builds (CCACHE_DIR). */
  readonly ccacheDir: string;
  /** Where ccache's compiler-named links live; first on PATH, so `make` needs no CC/CXX changes. */
  readonly ccacheMasqueradeDir: string;
  /** DNS name listing every distcc daemon (DISTCC_SERVICE; Swarm's `tasks.<service>`). */
  readonly distccService: string;
  /** Jobs each daemon takes at once (DISTCC_SLOTS). */
  readonly distccSlots: number;
}

export class BuilderConfigError extends Error {
  override readonly name = 'BuilderConfigError';
}

/** Reads the builder's settings; CCACHE_DIR is required, because ccache's default would be lost with the container. */
export function readBuilderEnvironment(
  env: Readonly<Record<string, string | undefined>> = process.env,
): BuilderEnvironment {
  const ccacheDir = env.CCACHE_DIR;
  if (ccacheDir === undefined || ccacheDir === '') {
    throw new BuilderConfigError('CCACHE_DIR is not set: the builder needs a ccache volume');
  }
  const slots = Number(env.DISTCC_SLOTS ?? 4);
  if (!Number.isInteger(slots) || slots < 1) {
    throw new BuilderConfigError(`DISTCC_SLOTS must be a positive integer, not '${env.DISTCC_SLOTS}'`);
  }
  return {
    env,
    ccacheDir,
    ccacheMasqueradeDir: env.CCACHE_MASQUERADE_DIR ?? '/usr/lib/ccache',
    distccService: env.DISTCC_SERVICE ?? 'tasks.distcc',
    distccSlots: slots,
  };
}

/** Refuses to start a builder that would silently compile without ccache or distcc. */
export async function checkToolchain(environment: BuilderEnvironment): Promise<void> {
  const masquerade = await stat(path.join(environment.ccacheMasqueradeDir, 'g++')).catch(() => null);
  if (masquerade === null) {
    throw new BuilderConfigError(
      `no ccache compiler links in ${environment.ccacheMasqueradeDir} (install ccache, or set CCACHE_MASQUERADE_DIR)`,
    );
  }
  const onPath = (environment.env.PATH ?? '').split(':').filter(Boolean);
  const distcc = await Promise.all(onPath.map((dir) => stat(path.join(dir, 'distcc')).catch(() => null)));
  if (!distcc.some((info) => info?.isFile() === true)) {
    throw new BuilderConfigError('distcc is not on PATH (install distcc)');
  }
}

/** The distcc daemons behind `service`, as DISTCC_HOSTS entries (`10.0.1.5/4`); none if the name does not resolve. */
export async function lookupDistccHosts(service: string, slots: number): Promise<string[]> {
  try {
    const addresses = await lookup(service, { all: true, family: 4 });
    return [...new Set(addresses.map((a) => a.address))].map((address) => `${address}/${slots}`);
  } catch (error) {
    // No daemon task (yet), or no such service: a local build, which the job log says.
    if (typeof (error as NodeJS.ErrnoException).code === 'string') return [];
    throw error;
  }
}

/** How the job reports progress: every line of build output goes here (BullMQ's job log). */
export interface JobContext {
  log(line: string): void | Promise<void>;
}

export interface BuilderDeps {
  readonly blobs: BlobStore;
  /** Node-local cache of unpacked artifacts, for planning. */
  readonly artifacts: ArtifactCache;
  /** Where builds unpack and compile; each build works in a private directory removed afterwards. */
  readonly scratchDir: string;
  /** Limits on the source snapshots unpacked here. */
  readonly limits: ExtractLimits;
  readonly environment: BuilderEnvironment;
  /** distcc daemons as DISTCC_HOSTS entries; default: the DNS lookup of `environment.distccService`. */
  readonly distccHosts?: () => Promise<string[]>;
  /** Aborted when the builder stops: a running build is killed and its job left to be retried. */
  readonly stop?: AbortSignal;
}

/** `relative` inside `root`, or a CampaignInputError naming `what`. */
function inside(root: string, relative: string, what: string): string {
  const resolved = path.resolve(root, relative);
  if (resolved !== root && !resolved.startsWith(`${root}${path.sep}`)) {
    throw new CampaignInputError(`the ${what} ${relative} lies outside the project`);
  }
  return resolved;
}

/** Ends the job for good, with the error encoded for the client, when retrying cannot help. */
function failPermanently(
  error: unknown,
  permanent: readonly (abstract new (...args: never) => Error)[],
): never {
  if (error instanceof Error && permanent.some((type) => error instanceof type)) {
    throw new UnrecoverableError(encodeJobFailure(error));
  }
  throw error;
}

// ---------------------------------------------------------------------------------------------------
// Build

/**
 * ccache statistics counters (one per compiler call in its stats log) that mean the real compiler
 * compiled: misses, failed compiles, and calls ccache cannot cache and hands to the compiler. Hits,
 * link and preprocess-only calls are not compiles; a rebuild served from the cache counts 0.
 */
const COMPILING_COUNTERS = new Set([
  'cache_miss',
  'compile_failed',
  'preprocessor_error',
  'autoconf_test',
  'compiler_produced_empty_output',
  'compiler_produced_no_output',
  'compiler_produced_stdout',
  'could_not_use_modules',
  'could_not_use_precompiled_header',
  'multiple_source_files',
  'output_to_stdout',
  'unsupported_code_directive',
  'unsupported_compiler_option',
  'unsupported_environment_variable',
  'unsupported_source_language',
]);

/** Compiler calls that compiled, from a CCACHE_STATSLOG file (`# <source>` then one counter per line). */
export function countCompiles(statsLog: string): number {
  let compiles = 0;
  let counted = true;
  for (const line of statsLog.split('\n')) {
    if (line.startsWith('# ')) counted = false;
    else if (!counted && COMPILING_COUNTERS.has(line.trim())) {
      compiles += 1;
      counted = true;
    }
  }
  return compiles;
}

/** Compile jobs per daemon, from a DISTCC_LOG file (`distcc[pid] compile a.cc on 10.0.1.5/4 completed ok`). */
export function distccJobsPerHost(distccLog: string): Record<string, number> {
  const jobs: Record<string, number> = {};
  for (const match of distccLog.matchAll(/^distcc\[\d+\] compile .* on (\S+) completed ok$/gm)) {
    // The entry as in DISTCC_HOSTS; the daemon is its address (and port), without `/slots,options`.
    const host = (match[1] ?? '').split('/')[0] ?? '';
    if (host === '' || host === 'localhost') continue;
    jobs[host] = (jobs[host] ?? 0) + 1;
  }
  return jobs;
}

function slotsOf(hostEntry: string): number {
  const limit = /\/(\d+)/.exec(hostEntry)?.[1];
  return limit === undefined ? DISTCC_DEFAULT_SLOTS : Number(limit);
}

/** The build command's environment: ccache first on PATH, distcc behind it when daemons exist. */
function buildEnvironment(
  environment: BuilderEnvironment,
  sourceRoot: string,
  hosts: readonly string[],
  files: { statsLog: string; distccLog: string },
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...environment.env,
    // ccache finds the real compiler further down PATH (Debian: /usr/bin/g++) and hands it to distcc
    // by that path; distccd accepts a compiler in /usr/bin (it strips the directory and checks its
    // own /usr/lib/distcc list) but refuses any other absolute path, e.g. the masquerade link itself.
    PATH: `${environment.ccacheMasqueradeDir}:${environment.env.PATH ?? ''}`,
    CCACHE_DIR: environment.ccacheDir,
    // Paths under the source root are hashed relative to it, and the working directory is left out of
    // the hash even with -g, so a cache entry made in one scratch directory is a hit in the next.
    CCACHE_BASEDIR: sourceRoot,
    CCACHE_NOHASHDIR: 'true',
    // This build's own counters: the shared volume's totals would mix in other builds.
    CCACHE_STATSLOG: files.statsLog,
  };
  delete env.CCACHE_PREFIX;
  delete env.DISTCC_HOSTS;
  if (hosts.length > 0) {
    env.CCACHE_PREFIX = 'distcc';
    env.DISTCC_HOSTS = hosts.join(' ');
    env.DISTCC_LOG = files.distccLog;
  }
  if (environment.env.MAKEFLAGS === undefined) {
    const slots = hosts.reduce((sum, host) => sum + slotsOf(host), 0);
    env.MAKEFLAGS = `-j${hosts.length > 0 ? slots : os.availableParallelism()}`;
  }
  return env;
}

interface CommandOutcome {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly tail: readonly string[];
}

/** Runs the user's build command through `sh -c`, streaming each output line to `log`. */
async function runCommand(
  command: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
  stop: AbortSignal | undefined,
): Promise<CommandOutcome> {
  const tail: string[] = [];
  const child = spawn('sh', ['-c', command], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so that stopping kills make and every compiler it started.
    detached: true,
  });
  const onLine = (line: string) => {
    tail.push(line);
    if (tail.length > LOG_TAIL_LINES) tail.shift();
    log(line);
  };
  const streams = [child.stdout, child.stderr].map(
    (stream) =>
      new Promise<void>((resolve) => {
        const lines = createInterface({ input: stream, crlfDelay: Infinity });
        lines.on('line', onLine);
        lines.on('close', resolve);
      }),
  );
  const kill = () => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  };
  stop?.addEventListener('abort', kill, { once: true });
  try {
    const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>(
      (resolve, reject) => {
        child.once('error', reject);
        child.once('close', (code, sig) => resolve([code, sig]));
      },
    );
    await Promise.all(streams);
    return { exitCode, signal, tail };
  } finally {
    stop?.removeEventListener('abort', kill);
  }
}

/** Paths to pack: the built tree without object files, dependency files and git metadata, sorted. */
async function artifactEntries(root: string, dir = ''): Promise<string[]> {
  const entries: string[] = [];
  for (const entry of await readdir(path.join(root, dir), { withFileTypes: true })) {
    const relative = dir === '' ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (entry.name === '.git') continue;
      // Listed itself too, so that empty directories (a results folder) survive.
      entries.push(relative, ...(await artifactEntries(root, relative)));
    } else if (!/\.[od]$/.test(entry.name)) {
      entries.push(relative);
    }
  }
  return entries.sort();
}

/** Packs the built tree like a source snapshot: sorted entries, neutral owners and times. */
async function packArtifact(root: string, archiveFile: string): Promise<void> {
  await packTree(root, await artifactEntries(root), archiveFile);
}

async function readOptional(file: string): Promise<string> {
  return readFile(file, 'utf8').catch(() => '');
}

/**
 * Runs the user's build command in the unpacked source, through ccache and (when daemons answer)
 * distcc, and reports what it compiled where.
 * @throws BuildFailedError when the command fails
 */
async function compile(
  deps: BuilderDeps,
  command: string,
  buildDir: string,
  dirs: { readonly root: string; readonly work: string },
  log: (line: string) => void,
): Promise<Pick<BuildResult, 'compiles' | 'distccHosts'>> {
  const cwd = inside(dirs.root, buildDir, 'build directory');
  if (!(await stat(cwd).catch(() => null))?.isDirectory()) {
    throw new CampaignInputError(`the build directory ${buildDir} does not exist in the source`);
  }
  const { environment } = deps;
  const hosts = await (
    deps.distccHosts ?? (() => lookupDistccHosts(environment.distccService, environment.distccSlots))
  )();
  // Outside the source root, so that they are not packed into the artifact.
  const files = {
    statsLog: path.join(dirs.work, 'ccache-stats.log'),
    distccLog: path.join(dirs.work, 'distcc.log'),
  };
  const env = buildEnvironment(environment, dirs.root, hosts, files);
  log(
    hosts.length > 0
      ? `distcc: ${hosts.join(' ')}; MAKEFLAGS=${env.MAKEFLAGS}`
      : `no distcc daemons found (${environment.distccService}): compiling on this node only; MAKEFLAGS=${env.MAKEFLAGS}`,
  );
  log(`$ ${command}`);
  const outcome = await runCommand(command, cwd, env, log, deps.stop);
  if (deps.stop?.aborted === true) throw new Error('build interrupted: the builder is stopping');
  if (outcome.exitCode !== 0) {
    const how =
      outcome.signal !== null ? `was killed by ${outcome.signal}` : `exited with code ${outcome.exitCode}`;
    throw new BuildFailedError(`the build command '${command}' ${how} in ${buildDir}`, outcome.tail);
  }
  const compiles = countCompiles(await readOptional(files.statsLog));
  const distccHosts = distccJobsPerHost(await readOptional(files.distccLog));
  const where = Object.entries(distccHosts).map(([host, jobs]) => `${host} ${jobs}`);
  log(`${compiles} compiler call(s); on distcc daemons: ${where.length > 0 ? where.join(', ') : 'none'}`);
  return { compiles, distccHosts };
}

/**
 * Builds `request` unless its artifact is stored already.
 * @throws UnrecoverableError with an encoded BuildFailedError, CampaignInputError,
 *   ArchiveEntryRejectedError or BlobNotFoundError; other errors are transient.
 */
export function buildHandler(
  deps: BuilderDeps,
): (request: BuildRequest, context: JobContext) => Promise<BuildResult> {
  return async (request, context) => {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const artifactKey = artifactKeyOf(request);
    if ((await deps.blobs.stat(artifactKey)) !== null) {
      await context.log(`artifact ${artifactKey} is built already: nothing to do`);
      return { artifactKey, compiles: 0, distccHosts: {}, durationMs: elapsed() };
    }

    // Log lines are sent in order without holding up the build; a lost line is not worth failing it.
    let logged: Promise<void> = Promise.resolve();
    const log = (line: string) => {
      logged = logged.then(() => context.log(line)).catch(() => undefined);
    };
    await mkdir(deps.scratchDir, { recursive: true });
    const work = await mkdtemp(path.join(deps.scratchDir, 'build-'));
    try {
      const archive = path.join(work, 'source.tar.gz');
      await deps.blobs.getFile(request.sourceKey, archive);
      await extractSafely(archive, path.join(work, 'source'), deps.limits);
      await rm(archive);
      const root = await realpath(path.join(work, 'source'));

      const { command, buildDir } = request.settings;
      let built: Pick<BuildResult, 'compiles' | 'distccHosts'> = { compiles: 0, distccHosts: {} };
      if (command === null) log('no build command: the source is the artifact');
      else built = await compile(deps, command, buildDir, { root, work }, log);

      const packed = path.join(work, 'artifact.tar.gz');
      await packArtifact(root, packed);
      await deps.blobs.putFile(artifactKey, packed);
      log(`stored artifact ${artifactKey}`);
      await logged;
      return { artifactKey, ...built, durationMs: elapsed() };
    } catch (error) {
      await logged;
      return failPermanently(error, [
        BuildFailedError,
        CampaignInputError,
        ArchiveEntryRejectedError,
        BlobNotFoundError,
      ]);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  };
}

// ---------------------------------------------------------------------------------------------------
// Plan

/** Runs `use` with a path for a temporary file in a private scratch directory, removed afterwards. */
async function withScratchFile<T>(scratchDir: string, use: (file: string) => Promise<T>): Promise<T> {
  await mkdir(scratchDir, { recursive: true });
  const work = await mkdtemp(path.join(scratchDir, 'plan-'));
  try {
    return await use(path.join(work, 'plan.json'));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Plans a campaign in a built artifact and stores the plan (paths relative to the artifact root).
 * @throws UnrecoverableError with an encoded SimulationQueryError, CampaignInputError,
 *   ArchiveEntryRejectedError or BlobNotFoundError; other errors are transient.
 */
export function planHandler(deps: BuilderDeps): (request: PlanRequest) => Promise<PlanResult> {
  return async (request) => {
    const planKey = planId(request);
    try {
      const stored = await deps.blobs.stat(planKey);
      if (stored !== null) {
        const runs = await withScratchFile(deps.scratchDir, async (file) => {
          await deps.blobs.getFile(planKey, file);
          return (JSON.parse(await readFile(file, 'utf8')) as StoredPlan).runs.length;
        });
        return { planKey, runs };
      }

      const root = await realpath((await deps.artifacts.ensure(request.artifactKey)).dir);
      const workingDir = inside(root, request.workingDir, 'working directory');
      await checkWorkingDir(workingDir);
      const programPath = await resolveProgram(request.program, workingDir);
      const plan = await planCampaign(
        { program: request.program, args: request.args, workingDir },
        {
          program: new ProcessSimulationProgram(programPath, workingDir),
          // Ini files (and their includes) are read inside the artifact only.
          readFile: (file) => {
            if (!file.startsWith(`${root}${path.sep}`)) return undefined;
            try {
              return readFileSync(file, 'utf8');
            } catch {
              return undefined;
            }
          },
        },
      );
      const resultDir = path.relative(root, plan.resultDir);
      if (resultDir === '' || resultDir.startsWith('..') || path.isAbsolute(resultDir)) {
        throw new CampaignInputError(
          `the result directory ${path.relative(workingDir, plan.resultDir) || '.'} lies outside the project ` +
            'or is its root; in the swarm results must go to a directory inside it (use a relative --result-dir)',
        );
      }
      const relativeWorkingDir = path.relative(root, workingDir) || '.';
      const relativePlan: StoredPlan = {
        ...plan,
        // The id must not depend on where this node happened to unpack the artifact.
        campaignId: campaignIdOf(
          { program: request.program, args: request.args, workingDir: relativeWorkingDir },
          readInvocation(request.args),
        ),
        workingDir: relativeWorkingDir,
        resultDir,
      };
      await withScratchFile(deps.scratchDir, async (file) => {
        await writeFile(file, JSON.stringify(relativePlan));
        await deps.blobs.putFile(planKey, file);
      });
      return { planKey, runs: plan.runs.length };
    } catch (error) {
      return failPermanently(error, [
        SimulationQueryError,
        CampaignInputError,
        ArchiveEntryRejectedError,
        BlobNotFoundError,
      ]);
    }
  };
}

// ---------------------------------------------------------------------------------------------------
// BullMQ

/**
 * The handlers as BullMQ processors: job data is checked before use (a malformed job fails for good),
 * and build output goes to the job's log, where the client follows it.
 */
export function builderProcessors(deps: BuilderDeps): {
  build: (job: Job<BuildRequest, BuildResult>) => Promise<BuildResult>;
  plan: (job: Job<PlanRequest, PlanResult>) => Promise<PlanResult>;
} {
  const build = buildHandler(deps);
  const plan = planHandler(deps);
  return {
    build: async (job) => {
      const request = buildRequestSchema.safeParse(job.data);
      if (!request.success) throw malformed(job, request.error.message);
      return build(request.data, { log: (line) => job.log(line).then(() => undefined) });
    },
    plan: async (job) => {
      const request = planRequestSchema.safeParse(job.data);
      if (!request.success) throw malformed(job, request.error.message);
      return plan(request.data);
    },
  };
}

function malformed(job: Job, reason: string): UnrecoverableError {
  return new UnrecoverableError(
    encodeJobFailure(new CampaignInputError(`job ${job.id ?? '?'} is malformed: ${reason}`)),
  );
}
