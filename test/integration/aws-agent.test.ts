/**
 * The aws-mode agent driving a real swarm: the gateway, builder and runner of
 * test/support/in-process-swarm.ts (BullMQ on a real Redis, FerretDB), reached through the real
 * GatewayClient, with the demo simulation's source as the campaign. The bucket is the in-memory
 * control-plane store and Step Functions a recording TaskReporter; the test plays the workflow by
 * writing the commands the `agentTask` function would write.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256File } from '../../lib/adapters/local/sha256-file.js';
import { Agent } from '../../lib/aws/agent/agent.js';
import type { AgentTiming } from '../../lib/aws/agent/agent-options.js';
import {
  buildOutputSchema,
  progressOutputSchema,
  type AgentCommand,
  type ProgressOutput,
} from '../../lib/aws/agent-protocol.js';
import { campaignKeys } from '../../lib/aws/bucket-layout.js';
import type { CampaignSpec } from '../../lib/aws/campaign-spec.js';
import { agentProgressSchema, campaignStatusSchema, withProgress } from '../../lib/aws/campaign-status.js';
import { storedRecordSchema, type StoredRecord } from '../../lib/aws/stored-record.js';
import { GatewayClient } from '../../lib/swarm/client/gateway-client.js';
import { InMemoryControlPlaneStore } from '../fakes/in-memory-control-plane-store.js';
import { uploadDemoSource } from '../support/campaign-source.js';
import { startInProcessSwarm, type InProcessSwarm } from '../support/in-process-swarm.js';
import { RecordingTaskReporter, testSpec, testStatus, waitUntil } from '../unit/aws/agent/agent-fakes.js';
import { RecordingLog } from '../fakes/recording-log.js';

const timing: Partial<AgentTiming> = {
  commandPollMs: 50,
  heartbeatMs: 500,
  progressIntervalMs: 2000,
  statusWriteMs: 200,
  buildLogFlushMs: 200,
  jobPollMs: 100,
  recordPollMs: 100,
  unitRetryDelayMs: 100,
};

let swarm: InProcessSwarm;
let store: InMemoryControlPlaneStore;
let reporter: RecordingTaskReporter;
let source: { sha256: string; size: number };
const scratch = mkdtempSync(path.join(os.tmpdir(), 'aws-agent-'));

beforeAll(async () => {
  swarm = await startInProcessSwarm();
  swarm.startRunner(2);
  store = new InMemoryControlPlaneStore();
  reporter = new RecordingTaskReporter();
  source = await uploadDemoSource(store, 'aws-agent', scratch);
});
afterAll(async () => {
  await swarm?.stop();
});

/** A campaign's spec and status in the bucket, and its agent running until the returned stop. */
async function campaign(
  campaignId: string,
  spec: Partial<CampaignSpec>,
  agentTiming: Partial<AgentTiming> = {},
) {
  await store.putJson(campaignKeys(campaignId).spec, testSpec({ source, ...spec }));
  await store.putJson(campaignKeys(campaignId).status, testStatus(campaignId));
  const log = new RecordingLog();
  const agent = new Agent({
    campaignId,
    store,
    reporter,
    gateway: new GatewayClient(swarm.url, swarm.token),
    scratchDir: scratch,
    log,
    timing: { ...timing, ...agentTiming },
  });
  const stop = new AbortController();
  const running = agent.run(stop.signal);
  let sent = 0;
  /** Writes a command as the workflow's agentTask function does; returns its token. */
  const send = async (name: AgentCommand['command']): Promise<string> => {
    sent += 1;
    const taskToken = `${campaignId}/${name}/${sent}`;
    const issuedAt = new Date(Date.UTC(2026, 0, 1, 0, 0, sent)).toISOString();
    await store.putJson(campaignKeys(campaignId).control(name), { command: name, taskToken, issuedAt });
    return taskToken;
  };
  return {
    keys: campaignKeys(campaignId),
    log,
    send,
    async stop() {
      stop.abort();
      await running;
    },
  };
}

describe('the agent in a swarm', () => {
  it('builds, fans out and collects every run with its result files into the bucket', async () => {
    const c = await campaign('c-aws-quick', { args: ['-c', 'Quick'], buildCommand: 'make' });
    try {
      const build = await c.send('build');
      const built = await reporter.answer(build, 90_000);
      expect(built.kind, JSON.stringify(built)).toBe('succeed');
      const output = buildOutputSchema.parse(built.kind === 'succeed' ? built.output : null);
      expect(output).toMatchObject({
        artifactKey: expect.stringMatching(/^artifact-/) as string,
        reused: false,
      });
      expect(store.text(c.keys.buildLog)).toContain('main.cc');
      expect(reporter.heartbeats(build)).toBeGreaterThanOrEqual(1);

      const fanOut = await c.send('fan-out');
      expect(await reporter.answer(fanOut)).toEqual({
        kind: 'succeed',
        token: fanOut,
        output: { totalRuns: 18 },
      });
      expect((JSON.parse(store.text(c.keys.plan) ?? '{}') as { runs: unknown[] }).runs).toHaveLength(18);

      // The workflow's loop: WaitForRuns until every run is final.
      let progress: ProgressOutput | null = null;
      for (let round = 0; round < 30 && progress?.allFinal !== true; round++) {
        const token = await c.send('progress');
        const answer = await reporter.answer(token);
        expect(answer.kind, JSON.stringify(answer)).toBe('succeed');
        progress = progressOutputSchema.parse(answer.kind === 'succeed' ? answer.output : null);
      }
      expect(progress).toEqual({
        total: 18,
        ok: 18,
        failed: 0,
        finished: 18,
        remainingSeconds: 0,
        allFinal: true,
      });

      // Every run's record, and every result file it names, whose content matches the record.
      const records: StoredRecord[] = [];
      const page = await store.list(c.keys.recordsPrefix, null, 1000);
      for (const object of page.objects) {
        const stored = await store.getJson(object.key, storedRecordSchema);
        if (stored !== null) records.push(stored);
      }
      expect(records.map((r) => r.record.runNumber).sort((a, b) => a - b)).toEqual([...Array(18).keys()]);
      for (const { record, results } of records) {
        expect(record).toMatchObject({ status: 'ok', attempt: 1, sessionId: 'c-aws-quick' });
        expect(results.length).toBeGreaterThan(0);
        expect(results.length).toBe(record.files.length);
        for (const [i, name] of results.entries()) {
          const copy = path.join(scratch, `check-${record.runNumber}-${i}`);
          await store.downloadFile(c.keys.result(name), copy);
          expect(await sha256File(copy), name).toBe(record.files[i]?.sha256);
        }
      }
      expect(records.flatMap((r) => r.results).some((name) => name.endsWith('.sca'))).toBe(true);
      // What people watching see.
      await waitUntil(
        () => (JSON.parse(store.text(c.keys.progress) ?? '{}') as { finished?: number }).finished === 18,
        5000,
        'the counts in progress.json',
      );
      const status = await store.getJson(c.keys.status, campaignStatusSchema);
      const counted = await store.getJson(c.keys.progress, agentProgressSchema);
      expect(withProgress(status!, counted).runs).toEqual({
        total: 18,
        ok: 18,
        failed: 0,
        finished: 18,
        remainingSeconds: 0,
      });
    } finally {
      await c.stop();
    }
  }, 150_000);

  it('fails a broken build with BuildFailed and the end of its output', async () => {
    const c = await campaign('c-aws-broken', {
      buildCommand: `echo 'g++ -c broken.cc'; echo "broken.cc:1:9: error: expected ';' before '}'" >&2; exit 2`,
    });
    try {
      const build = await c.send('build');
      const answer = await reporter.answer(build, 60_000);
      expect(answer).toMatchObject({ kind: 'fail', error: 'BuildFailed' });
      expect(answer.kind === 'fail' ? answer.cause : '').toContain(
        "broken.cc:1:9: error: expected ';' before '}'",
      );
      expect(store.text(c.keys.buildLog)).toContain('broken.cc:1:9: error');
    } finally {
      await c.stop();
    }
  });

  it('reuses the build, and fails the fan-out of an unknown config with PlanFailed', async () => {
    const c = await campaign('c-aws-bad-config', { args: ['-c', 'NoSuchConfig'], buildCommand: 'make' });
    try {
      const build = await c.send('build');
      const built = await reporter.answer(build, 90_000);
      expect(built).toMatchObject({ kind: 'succeed', output: { reused: true, compiles: 0 } });
      const fanOut = await c.send('fan-out');
      const answer = await reporter.answer(fanOut, 60_000);
      expect(answer).toMatchObject({ kind: 'fail', error: 'PlanFailed' });
      expect(answer.kind === 'fail' ? answer.cause : '').toContain('NoSuchConfig');
      expect(await store.exists(c.keys.plan)).toBe(false);
    } finally {
      await c.stop();
    }
  });

  it('cancels: fails the held progress token with CampaignCancelled and empties the queue', async () => {
    await swarm.stopRunner(); // nothing runs: the progress token is held until the cancel
    const c = await campaign(
      'c-aws-cancel',
      { args: ['-c', 'Uniform'], buildCommand: 'make' },
      { progressIntervalMs: 60_000 },
    );
    try {
      await reporter.answer(await c.send('build'), 90_000);
      const fanOut = await c.send('fan-out');
      expect(await reporter.answer(fanOut, 60_000)).toMatchObject({
        kind: 'succeed',
        output: { totalRuns: 64 },
      });
      const progress = await c.send('progress');
      await waitUntil(() => reporter.heartbeats(progress) >= 1, 10_000, 'the progress token to be held');
      expect(reporter.answers(progress)).toEqual([]);

      await store.putJson(c.keys.control('cancel'), {
        requestedAt: new Date().toISOString(),
        reason: 'cancelled by the user',
      });
      const answer = await reporter.answer(progress, 30_000);
      expect(answer).toMatchObject({ kind: 'fail', error: 'CampaignCancelled' });
      expect(answer.kind === 'fail' ? answer.cause : '').toContain('cancelled by the user');
      // The agent removed every queued run: there is nothing left to cancel.
      await waitUntil(() => c.log.count('queued runs removed') === 1, 30_000, 'the swarm cancel');
      expect(c.log.lines.find((line) => line.message === 'queued runs removed')?.fields.removed).toBe(64);
      expect(await new GatewayClient(swarm.url, swarm.token).cancel('c-aws-cancel')).toBe(0);
    } finally {
      await c.stop();
      swarm.startRunner(2);
    }
  });
});
