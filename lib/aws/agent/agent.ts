/**
 * The in-cluster agent (aws mode): bridges the campaign's swarm to the control plane's bucket and its
 * Step Functions workflow (lib/aws/agent-protocol.ts). Every few seconds it reads the control
 * documents; each new command is worked on once, with heartbeats, and its task token answered with
 * the command's output or a typed failure. The swarm side reuses the swarm client (GatewayClient and
 * its helpers), so a build, a plan and a queued run are the same as in swarm mode.
 *
 * What it keeps is only in memory: a restarted agent finds the commands it was working on still in
 * the bucket and does them again, which costs little because every step is idempotent in the swarm
 * (deterministic build, plan and unit ids; records stored under fixed keys), and an answer to a token
 * already answered is refused by Step Functions and ignored here.
 */
import {
  agentCommandSchema,
  cancelRequestSchema,
  type AgentCommand,
  type BuildOutput,
  type CancelRequest,
  type FanOutOutput,
  type ProgressOutput,
} from '../agent-protocol.js';
import { campaignKeys } from '../bucket-layout.js';
import { campaignSpecSchema, type CampaignSpec } from '../campaign-spec.js';
import { CampaignCancelledError } from '../errors.js';
import { DEFAULT_TIMING, sleep, type AgentDeps, type AgentTiming } from './agent-options.js';
import { buildInSwarm } from './build-in-swarm.js';
import { BuildLog } from './build-log.js';
import { fanOut, retryPolicyOf } from './fan-out.js';
import { isTokenExpired, startHeartbeat } from './heartbeat.js';
import { plannedRunsSchema, RunCollector } from './run-collector.js';
import { buildFailure, otherFailure, planFailure, type TaskFailure } from './task-failure.js';

export type CommandName = AgentCommand['command'];
const COMMANDS: readonly CommandName[] = ['build', 'fan-out', 'progress'];
const CANCELLED = new CampaignCancelledError().name;
/** Tries at answering a token when Step Functions does not answer (throttling, network). */
const ANSWER_ATTEMPTS = 3;

type Outcome =
  | { readonly output: BuildOutput | FanOutOutput | ProgressOutput }
  | { readonly failure: TaskFailure };

interface ActiveTask {
  readonly command: AgentCommand;
  /** Aborts the work without answering: the token expired, was cancelled or superseded. */
  readonly controller: AbortController;
  readonly done: Promise<void>;
}

/** Whether `a` was issued after `b` (ISO times; as strings when either is not a date). */
function issuedAfter(a: string, b: string): boolean {
  const [ta, tb] = [Date.parse(a), Date.parse(b)];
  return Number.isFinite(ta) && Number.isFinite(tb) ? ta > tb : a > b;
}

export class Agent {
  private readonly timing: AgentTiming;
  private readonly now: () => Date;
  private readonly keys: ReturnType<typeof campaignKeys>;
  /** The last command of each name taken up (worked on, or refused as cancelled). */
  private readonly handled = new Map<CommandName, AgentCommand>();
  private readonly active = new Map<CommandName, ActiveTask>();
  private cancelled: CancelRequest | null = null;
  private spec: CampaignSpec | null = null;
  private collector: Promise<RunCollector> | null = null;
  /** Aborted when the agent stops; answers and retries in flight give up then. */
  private readonly stopping = new AbortController();

  constructor(private readonly deps: AgentDeps) {
    this.timing = { ...DEFAULT_TIMING, ...deps.timing };
    this.now = deps.now ?? (() => new Date());
    this.keys = campaignKeys(deps.campaignId);
  }

  /**
   * Polls for commands until `stop` is aborted, then stops the work in progress without answering
   * (the commands stay in the bucket for the next agent, within the states' heartbeat time).
   */
  async run(stop: AbortSignal): Promise<void> {
    const { log, campaignId } = this.deps;
    log.info('agent started', { campaignId });
    while (!stop.aborted) {
      try {
        await this.poll();
      } catch (error) {
        log.warn('cannot read the control documents', { campaignId, message: (error as Error).message });
      }
      await sleep(this.timing.commandPollMs, stop);
    }
    await this.shutdown();
    log.info('agent stopped', { campaignId });
  }

  /** One look at the control documents: acts on a cancel request and on every new command. */
  async poll(): Promise<void> {
    const { store, log, campaignId } = this.deps;
    if (this.cancelled === null) {
      const cancel = await store.getJson(this.keys.control('cancel'), cancelRequestSchema);
      if (cancel !== null) await this.cancel(cancel);
    }
    for (const name of COMMANDS) {
      let command: AgentCommand | null;
      try {
        command = await store.getJson(this.keys.control(name), agentCommandSchema);
      } catch (error) {
        log.warn('unreadable command', { campaignId, command: name, message: (error as Error).message });
        continue;
      }
      if (command === null || !this.isNew(name, command)) continue;
      this.handled.set(name, command);
      if (command.command !== name) {
        log.warn('command under the wrong name', { campaignId, key: this.keys.control(name) });
        continue;
      }
      if (this.cancelled !== null) {
        await this.answer(command, { failure: this.cancelFailure(this.cancelled) });
        continue;
      }
      this.start(name, command);
    }
  }

  /** Stops every task (unanswered) and the collection. */
  async shutdown(): Promise<void> {
    this.stopping.abort();
    const tasks = [...this.active.values()];
    for (const task of tasks) task.controller.abort();
    await Promise.all(tasks.map((task) => task.done));
    const collector = await this.collector?.catch(() => null);
    await collector?.stop();
  }

  /**
   * A command is new unless it is the one last taken up under its name, or was issued before that
   * one. Both times are the workflow's, so the agent's own clock cannot make a fresh command stale.
   */
  private isNew(name: CommandName, command: AgentCommand): boolean {
    const last = this.handled.get(name);
    if (last === undefined) return true;
    if (last.taskToken === command.taskToken) return false;
    return !issuedAfter(last.issuedAt, command.issuedAt);
  }

  private start(name: CommandName, command: AgentCommand): void {
    const { reporter, log, campaignId } = this.deps;
    const fields = { campaignId, command: name, issuedAt: command.issuedAt };
    // A newer token of the same command means the workflow no longer waits for the older one.
    this.active.get(name)?.controller.abort();
    const controller = new AbortController();
    const signal = AbortSignal.any([this.stopping.signal, controller.signal]);
    log.info('command received', fields);
    const heartbeat = startHeartbeat(
      reporter,
      command.taskToken,
      this.timing.heartbeatMs,
      () => controller.abort(),
      log,
      fields,
    );
    const done = (async () => {
      try {
        const outcome = await this.work(name, signal);
        await heartbeat.stop();
        // Expired, cancelled (answered by cancel()), superseded or stopping: nobody to answer here.
        if (signal.aborted) {
          log.info('command abandoned', fields);
          return;
        }
        await this.answer(command, outcome);
      } catch (error) {
        log.error('command crashed', { ...fields, message: (error as Error).message });
      } finally {
        await heartbeat.stop();
        if (this.active.get(name)?.command === command) this.active.delete(name);
      }
    })();
    this.active.set(name, { command, controller, done });
  }

  private async work(name: CommandName, signal: AbortSignal): Promise<Outcome> {
    try {
      switch (name) {
        case 'build':
          return { output: await this.build(signal) };
        case 'fan-out':
          return { output: await this.fanOut(signal) };
        case 'progress':
          return { output: await this.progress(signal) };
      }
    } catch (error) {
      if (name === 'build') return { failure: buildFailure(error) };
      if (name === 'fan-out') return { failure: planFailure(error) };
      return { failure: otherFailure(error) };
    }
  }

  private async build(signal: AbortSignal): Promise<BuildOutput> {
    const { store, gateway, scratchDir, log } = this.deps;
    const spec = await this.loadSpec();
    const buildLog = new BuildLog(store, this.keys.buildLog, scratchDir, this.timing.buildLogFlushMs, log);
    buildLog.start();
    try {
      return await buildInSwarm(
        spec,
        { store, gateway, scratchDir, buildLog, jobPollMs: this.timing.jobPollMs },
        signal,
      );
    } finally {
      await buildLog.close();
    }
  }

  private async fanOut(signal: AbortSignal): Promise<FanOutOutput> {
    const { store, gateway, scratchDir, campaignId } = this.deps;
    const spec = await this.loadSpec();
    const plan = await fanOut(
      spec,
      {
        campaignId,
        store,
        gateway,
        scratchDir,
        jobPollMs: this.timing.jobPollMs,
        unitRetryDelayMs: this.timing.unitRetryDelayMs,
        now: this.now,
      },
      signal,
    );
    // Collecting starts before the answer, so the first progress command finds it running.
    await this.ensureCollector(plan.runs.map((run) => run.runNumber));
    return { totalRuns: plan.runs.length };
  }

  /** The counts when every run is final, or after the progress interval, whichever comes first. */
  private async progress(signal: AbortSignal): Promise<ProgressOutput> {
    const collector = await this.ensureCollector(null);
    const interval = new AbortController();
    const timer = setTimeout(() => interval.abort(), this.timing.progressIntervalMs);
    try {
      await collector.settled(AbortSignal.any([signal, interval.signal]));
    } finally {
      clearTimeout(timer);
    }
    if (collector.failure !== null) throw collector.failure;
    return collector.progress();
  }

  /**
   * The collector, started once: from the fan-out's plan, or (a restarted agent) from plan.json and
   * the records already stored.
   */
  private ensureCollector(runNumbers: readonly number[] | null): Promise<RunCollector> {
    this.collector ??= (async () => {
      const spec = await this.loadSpec();
      let runs = runNumbers;
      if (runs === null) {
        const plan = await this.deps.store.getJson(this.keys.plan, plannedRunsSchema);
        if (plan === null) throw new Error(`no plan at ${this.keys.plan}: the fan-out has not finished`);
        runs = plan.runs.map((run) => run.runNumber);
      }
      const collector = new RunCollector(
        { ...this.deps, timing: this.timing, now: this.now },
        runs,
        retryPolicyOf(spec, this.timing.unitRetryDelayMs).attempts,
      );
      const stored = await collector.loadStored();
      if (stored > 0)
        this.deps.log.info('counted stored records', { campaignId: this.deps.campaignId, stored });
      collector.start();
      return collector;
    })();
    // A failed start (no plan yet, the bucket unreachable) is tried again by the next command.
    this.collector.catch(() => (this.collector = null));
    return this.collector;
  }

  private async loadSpec(): Promise<CampaignSpec> {
    if (this.spec !== null) return this.spec;
    const spec = await this.deps.store.getJson(this.keys.spec, campaignSpecSchema);
    if (spec === null) throw new Error(`no campaign spec at ${this.keys.spec}`);
    this.spec = spec;
    return spec;
  }

  /** Cancels the campaign in the swarm and fails every token held with CampaignCancelled. */
  private async cancel(request: CancelRequest): Promise<void> {
    const { gateway, log, campaignId } = this.deps;
    this.cancelled = request;
    log.info('campaign cancelled', { campaignId, reason: request.reason });
    const tasks = [...this.active.values()];
    for (const task of tasks) task.controller.abort();
    await Promise.all(
      tasks.map((task) => this.answer(task.command, { failure: this.cancelFailure(request) })),
    );
    try {
      const removed = await gateway.cancel(campaignId);
      log.info('queued runs removed', { campaignId, removed });
    } catch (error) {
      // The cluster is torn down next anyway; the failed tokens matter more.
      log.warn('cannot cancel the runs in the swarm', { campaignId, message: (error as Error).message });
    }
  }

  private cancelFailure(request: CancelRequest): TaskFailure {
    return { error: CANCELLED, cause: `cancelled at ${request.requestedAt}: ${request.reason}` };
  }

  /** Answers a token; a token Step Functions no longer accepts is logged and left. */
  private async answer(command: AgentCommand, outcome: Outcome): Promise<void> {
    const { reporter, log, campaignId } = this.deps;
    const fields = { campaignId, command: command.command, issuedAt: command.issuedAt };
    for (let attempt = 1; ; attempt++) {
      try {
        if ('failure' in outcome) {
          await reporter.fail(command.taskToken, outcome.failure.error, outcome.failure.cause);
          log.info('command failed', { ...fields, error: outcome.failure.error });
        } else {
          await reporter.succeed(command.taskToken, outcome.output);
          log.info('command succeeded', { ...fields, output: outcome.output });
        }
        return;
      } catch (error) {
        if (isTokenExpired(error)) {
          log.warn('task token expired before the answer', fields);
          return;
        }
        log.warn('cannot answer the task token', { ...fields, attempt, message: (error as Error).message });
        if (attempt >= ANSWER_ATTEMPTS || this.stopping.signal.aborted) return;
        await sleep(1000 * attempt, this.stopping.signal);
      }
    }
  }
}
