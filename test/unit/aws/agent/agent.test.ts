/**
 * The agent's command loop against fakes: the bucket in memory, a recording TaskReporter and a
 * scripted gateway. Intervals are milliseconds, so heartbeats and progress answers happen at once.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../../../../lib/aws/agent/agent.js';
import type { AgentTiming } from '../../../../lib/aws/agent/agent-options.js';
import type { AgentCommand, CancelRequest } from '../../../../lib/aws/agent-protocol.js';
import { campaignKeys } from '../../../../lib/aws/bucket-layout.js';
import type { CampaignPlan } from '../../../../lib/core/campaign.js';
import { BuildFailedError, GatewayError, SimulationQueryError } from '../../../../lib/core/errors.js';
import { encodeJobFailure } from '../../../../lib/swarm/build-jobs.js';
import { InMemoryControlPlaneStore } from '../../../fakes/in-memory-control-plane-store.js';
import { runRecord } from '../../../support/run-record.js';
import { runSpec } from '../../../support/run-spec.js';
import {
  FakeGateway,
  RecordingTaskReporter,
  sha256,
  testSpec,
  testStatus,
  waitUntil,
} from './agent-fakes.js';
import { RecordingLog } from '../../../fakes/recording-log.js';

const CAMPAIGN = 'c-unit';
const keys = campaignKeys(CAMPAIGN);

const fast: Partial<AgentTiming> = {
  commandPollMs: 5,
  heartbeatMs: 10,
  progressIntervalMs: 60_000,
  statusWriteMs: 0,
  buildLogFlushMs: 5,
  jobPollMs: 5,
  recordPollMs: 5,
  collectRetryMs: 5,
  unitRetryDelayMs: 10,
};

interface Setup {
  store: InMemoryControlPlaneStore;
  reporter: RecordingTaskReporter;
  gateway: FakeGateway;
  log: RecordingLog;
  agent: Agent;
}

const agents: Agent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((agent) => agent.shutdown()));
});

async function setup(timing: Partial<AgentTiming> = {}): Promise<Setup> {
  const store = new InMemoryControlPlaneStore();
  const reporter = new RecordingTaskReporter();
  const gateway = new FakeGateway();
  const log = new RecordingLog();
  await store.putJson(keys.spec, testSpec());
  await store.putJson(keys.status, testStatus(CAMPAIGN));
  gateway.blobs.set(`source-${'a'.repeat(64)}`, Buffer.from('source'));
  const agent = new Agent({
    campaignId: CAMPAIGN,
    store,
    reporter,
    gateway,
    scratchDir: mkdtempSync(path.join(os.tmpdir(), 'agent-unit-')),
    log,
    timing: { ...fast, ...timing },
  });
  agents.push(agent);
  return { store, reporter, gateway, log, agent };
}

function command(name: AgentCommand['command'], taskToken: string, issuedAt: string): AgentCommand {
  return { command: name, taskToken, issuedAt };
}

/** The swarm's plan of campaign `p`: these runs of config C of the demo. */
const planOf = (runNumbers: number[], args: string[] = []): CampaignPlan => ({
  campaignId: 'p',
  program: './demo',
  args,
  workingDir: '.',
  resultDir: 'results',
  configName: 'C',
  runs: runNumbers.map((n) => runSpec(n)),
  startupMs: 5,
});

describe('the agent loop', () => {
  it('takes up each command once: repeated, re-issued and older commands are ignored', async () => {
    const { store, reporter, log, agent } = await setup();
    await store.putJson(keys.control('build'), command('build', 'b1', '2026-01-01T00:00:10.000Z'));
    await agent.poll();
    expect(await reporter.answer('b1')).toMatchObject({ kind: 'succeed' });

    await agent.poll(); // the same document again
    // The same token with a later time (a retried write), and a new token issued before b1.
    await store.putJson(keys.control('build'), command('build', 'b1', '2026-01-01T00:00:20.000Z'));
    await agent.poll();
    await store.putJson(keys.control('build'), command('build', 'b0', '2026-01-01T00:00:05.000Z'));
    await agent.poll();
    expect(log.count('command received')).toBe(1);
    expect(reporter.answers('b0')).toEqual([]);

    await store.putJson(keys.control('build'), command('build', 'b2', '2026-01-01T00:00:30.000Z'));
    await agent.poll();
    expect(await reporter.answer('b2')).toMatchObject({ kind: 'succeed' });
    expect(log.count('command received')).toBe(2);
    expect(reporter.answers('b1')).toHaveLength(1);
  });

  it('finds commands by itself when running, and stops when told', async () => {
    const { store, reporter, agent } = await setup();
    const stop = new AbortController();
    const running = agent.run(stop.signal);
    await store.putJson(keys.control('build'), command('build', 'b1', '2026-01-01T00:00:10.000Z'));
    expect(await reporter.answer('b1')).toMatchObject({ kind: 'succeed' });
    stop.abort();
    await running;
  });

  it('heartbeats while it works on a token, and not after answering it', async () => {
    const { store, reporter, gateway, agent } = await setup();
    let done = false;
    gateway.buildJob = () =>
      done
        ? {
            state: 'succeeded',
            result: { artifactKey: 'artifact-x', compiles: 3, distccHosts: {}, durationMs: 1500 },
          }
        : { state: 'running' };
    await store.putJson(keys.control('build'), command('build', 'b1', '2026-01-01T00:00:10.000Z'));
    await agent.poll();
    await waitUntil(() => reporter.heartbeats('b1') >= 3, 5000, 'three heartbeats');
    expect(reporter.answers('b1')).toEqual([]);

    done = true;
    expect(await reporter.answer('b1')).toEqual({
      kind: 'succeed',
      token: 'b1',
      output: { artifactKey: 'artifact-x', compiles: 3, durationMs: 1500, reused: false },
    });
    const beats = reporter.heartbeats('b1');
    await new Promise((resolve) => setTimeout(resolve, 60)); // six heartbeat intervals
    expect(reporter.heartbeats('b1')).toBe(beats);
    // The answer came after the last heartbeat.
    const calls = reporter.calls.filter((call) => call.token === 'b1');
    expect(calls.at(-1)?.kind).toBe('succeed');
  });

  it('stops heartbeating and working on a token Step Functions no longer accepts', async () => {
    const { store, reporter, gateway, log, agent } = await setup();
    gateway.buildJob = () => ({ state: 'running' });
    reporter.expired.add('b1');
    await store.putJson(keys.control('build'), command('build', 'b1', '2026-01-01T00:00:10.000Z'));
    await agent.poll();
    await waitUntil(() => log.count('command abandoned') === 1, 5000, 'the command to be abandoned');
    const polls = gateway.buildPolls;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(reporter.heartbeats('b1')).toBe(1);
    expect(gateway.buildPolls).toBe(polls); // no longer following the build
    expect(reporter.answers('b1')).toEqual([]);
  });

  it('fails a build with BuildFailed and the tail of its log, and keeps the log in the bucket', async () => {
    const { store, reporter, gateway, agent } = await setup();
    gateway.buildJob = (logFrom) =>
      logFrom === 0
        ? {
            state: 'running',
            log: ['g++ -c model.cc', "model.cc:3: error: 'x' was not declared"],
            logNext: 2,
          }
        : {
            state: 'failed',
            failedReason: encodeJobFailure(
              new BuildFailedError('the build command exited with code 2', [
                "model.cc:3: error: 'x' was not declared",
                'make: *** [model.o] Error 1',
              ]),
            ),
            logNext: logFrom,
          };
    await store.putJson(keys.control('build'), command('build', 'b1', '2026-01-01T00:00:10.000Z'));
    await agent.poll();
    const answer = await reporter.answer('b1');
    expect(answer).toMatchObject({ kind: 'fail', error: 'BuildFailed' });
    expect(answer.kind === 'fail' && answer.cause).toBe(
      "the build command exited with code 2\nmodel.cc:3: error: 'x' was not declared\nmake: *** [model.o] Error 1",
    );
    expect(store.text(keys.buildLog)).toBe("g++ -c model.cc\nmodel.cc:3: error: 'x' was not declared\n");
  });

  it('uploads the source from the bucket once, under the swarm key scheme, checking it', async () => {
    const { store, reporter, gateway, agent } = await setup();
    const body = Buffer.from('the source tarball');
    const sha = sha256(body);
    await store.putJson(keys.spec, testSpec({ source: { sha256: sha, size: body.length } }));
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'agent-src-')), 's.tar.gz');
    writeFileSync(file, body);
    await store.uploadFile(`sources/${sha}.tar.gz`, file, sha);
    await store.putJson(keys.control('build'), command('build', 'b1', '2026-01-01T00:00:10.000Z'));
    await agent.poll();
    expect(await reporter.answer('b1')).toMatchObject({ kind: 'succeed' });
    expect(gateway.blobs.get(`source-${sha}`)).toEqual(body);
    expect(gateway.builds).toEqual([
      { sourceKey: `source-${sha}`, sourceHash: sha, settings: { command: 'make', buildDir: '.' } },
    ]);
  });

  it('fails a fan-out with PlanFailed and the program messages', async () => {
    const { store, reporter, gateway, agent } = await setup();
    gateway.planJob = () => ({
      state: 'failed',
      failedReason: encodeJobFailure(
        new SimulationQueryError('the program refused the query', ['<!> Error: No such config: Nope']),
      ),
    });
    await store.putJson(keys.control('fan-out'), command('fan-out', 'f1', '2026-01-01T00:00:10.000Z'));
    await agent.poll();
    expect(await reporter.answer('f1')).toEqual({
      kind: 'fail',
      token: 'f1',
      error: 'PlanFailed',
      cause: 'the program refused the query\n<!> Error: No such config: Nope',
    });
    expect(gateway.enqueued).toEqual([]);
  });

  it('fans out: stores the plan, defines the campaign and queues every run with the retry policy', async () => {
    const { store, reporter, gateway, agent } = await setup();
    const plan = planOf([0, 1, 2], ['-c', 'Quick']);
    const runs = plan.runs;
    gateway.setPlan(plan);
    await store.putJson(keys.control('fan-out'), command('fan-out', 'f1', '2026-01-01T00:00:10.000Z'));
    await agent.poll();
    expect(await reporter.answer('f1')).toEqual({ kind: 'succeed', token: 'f1', output: { totalRuns: 3 } });
    expect(JSON.parse(store.text(keys.plan) ?? '{}')).toMatchObject({ runs });
    expect(gateway.campaigns).toMatchObject([{ campaignId: CAMPAIGN, resultDir: 'results', totalRuns: 3 }]);
    expect(gateway.enqueued).toHaveLength(1);
    expect(gateway.enqueued[0]?.retry).toEqual({ attempts: 3, backoffMs: 10 });
    expect(gateway.enqueued[0]?.units.map((unit) => [unit.id, unit.priority])).toEqual([
      [`${CAMPAIGN}-0`, 1],
      [`${CAMPAIGN}-1`, 2],
      [`${CAMPAIGN}-2`, 3],
    ]);
  });

  it('answers progress after the interval with the counts so far', async () => {
    const { store, reporter, gateway, agent } = await setup({ progressIntervalMs: 50 });
    gateway.setPlan(planOf([0, 1]));
    await store.putJson(keys.control('fan-out'), command('fan-out', 'f1', '2026-01-01T00:00:10.000Z'));
    await agent.poll();
    await reporter.answer('f1');

    gateway.finishRun(runRecord(0, { durationMs: 4000 }));
    await store.putJson(keys.control('progress'), command('progress', 'p1', '2026-01-01T00:01:00.000Z'));
    await agent.poll();
    // One run of 4 s finished, one to go: 4 s of work remain.
    expect(await reporter.answer('p1')).toEqual({
      kind: 'succeed',
      token: 'p1',
      output: { total: 2, ok: 1, failed: 0, finished: 1, remainingSeconds: 4, allFinal: false },
    });
    expect(JSON.parse(store.text(keys.progress) ?? '{}')).toMatchObject({
      total: 2,
      ok: 1,
      failed: 0,
      finished: 1,
      remainingSeconds: 4,
    });
  });

  it('answers progress as soon as every run is final, long before the interval', async () => {
    // The interval (60 s) is longer than reporter.answer() waits (30 s).
    const { store, reporter, gateway, agent } = await setup();
    gateway.setPlan(planOf([0, 1]));
    await store.putJson(keys.control('fan-out'), command('fan-out', 'f1', '2026-01-01T00:00:10.000Z'));
    await agent.poll();
    await reporter.answer('f1');
    await store.putJson(keys.control('progress'), command('progress', 'p1', '2026-01-01T00:01:00.000Z'));
    await agent.poll();
    await waitUntil(() => reporter.heartbeats('p1') >= 1, 5000, 'the progress token to be held');
    expect(reporter.answers('p1')).toEqual([]);

    // Run 1 is lost on its last attempt (3 of 3): final, and not ok.
    gateway.finishRun(runRecord(0, { durationMs: 3000 }));
    gateway.finishRun(runRecord(1, { status: 'lost', attempt: 3, durationMs: 1000 }));
    expect(await reporter.answer('p1')).toEqual({
      kind: 'succeed',
      token: 'p1',
      output: { total: 2, ok: 1, failed: 1, finished: 2, remainingSeconds: 0, allFinal: true },
    });
  });

  it('cancels: fails the token it holds and every later one with CampaignCancelled', async () => {
    const { store, reporter, gateway, agent } = await setup();
    gateway.setPlan(planOf([0]));
    await store.putJson(keys.control('fan-out'), command('fan-out', 'f1', '2026-01-01T00:00:10.000Z'));
    await agent.poll();
    await reporter.answer('f1');
    await store.putJson(keys.control('progress'), command('progress', 'p1', '2026-01-01T00:01:00.000Z'));
    await agent.poll();
    await waitUntil(() => reporter.heartbeats('p1') >= 1, 5000, 'the progress token to be held');

    const cancel: CancelRequest = { requestedAt: '2026-01-01T00:01:30.000Z', reason: 'by the user' };
    await store.putJson(keys.control('cancel'), cancel);
    await agent.poll();
    expect(await reporter.answer('p1')).toEqual({
      kind: 'fail',
      token: 'p1',
      error: 'CampaignCancelled',
      cause: 'cancelled at 2026-01-01T00:01:30.000Z: by the user',
    });
    expect(gateway.cancels).toBe(1);

    await store.putJson(keys.control('progress'), command('progress', 'p2', '2026-01-01T00:02:00.000Z'));
    await agent.poll();
    expect(await reporter.answer('p2')).toMatchObject({ kind: 'fail', error: 'CampaignCancelled' });
    await agent.poll();
    expect(gateway.cancels).toBe(1);
    expect(reporter.answers('p1')).toHaveLength(1);
  });

  it('fails progress with SwarmLost when the gateway is gone beyond its retries', async () => {
    const { store, reporter, gateway, agent } = await setup();
    gateway.setPlan(planOf([0]));
    gateway.unreachable = new GatewayError(
      'cannot reach the swarm’s gateway at http://gateway:8080: ECONNREFUSED',
    );
    await store.putJson(keys.control('fan-out'), command('fan-out', 'f1', '2026-01-01T00:00:10.000Z'));
    await agent.poll();
    await reporter.answer('f1');
    await store.putJson(keys.control('progress'), command('progress', 'p1', '2026-01-01T00:01:00.000Z'));
    await agent.poll();
    expect(await reporter.answer('p1')).toMatchObject({
      kind: 'fail',
      error: 'SwarmLost',
      cause: expect.stringContaining('ECONNREFUSED') as string,
    });
  });

  it('a restarted agent resumes collecting from plan.json and the records already stored', async () => {
    const { store, reporter, gateway, agent } = await setup({ progressIntervalMs: 20 });
    await store.putJson(keys.plan, { runs: [runSpec(0), runSpec(1)] });
    await store.putJson(keys.record(0, 1), { v: 1, record: runRecord(0), results: ['C-x=0-#0.sca'] });
    await store.putJson(keys.control('progress'), command('progress', 'p1', '2026-01-01T00:01:00.000Z'));
    await agent.poll();
    expect(await reporter.answer('p1')).toMatchObject({
      kind: 'succeed',
      output: { total: 2, ok: 1, finished: 1, allFinal: false },
    });
    expect(gateway.enqueued).toEqual([]);
  });
});
