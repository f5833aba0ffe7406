/**
 * Collecting finished runs into the bucket: what is stored where, in which order (files, record,
 * fetched), and how runs are counted across retries and restarts.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkResultName, RunCollector } from '../../../../lib/aws/agent/run-collector.js';
import { campaignKeys } from '../../../../lib/aws/bucket-layout.js';
import { storedRecordSchema } from '../../../../lib/aws/stored-record.js';
import { GatewayError } from '../../../../lib/core/errors.js';
import { recordKey } from '../../../../lib/ports/campaign-store.js';
import { InMemoryControlPlaneStore } from '../../../fakes/in-memory-control-plane-store.js';
import { runRecord } from '../../../support/run-record.js';
import { FakeGateway, sha256, testStatus, waitUntil } from './agent-fakes.js';
import { RecordingLog } from '../../../fakes/recording-log.js';

const CAMPAIGN = 'c-collect';
const keys = campaignKeys(CAMPAIGN);

/** The bucket, noting every stored object in the gateway's event list. */
class NotingStore extends InMemoryControlPlaneStore {
  constructor(private readonly events: string[]) {
    super();
  }
  override async uploadFile(key: string, file: string, checksum: string): Promise<void> {
    await super.uploadFile(key, file, checksum);
    this.events.push(`store ${key}`);
  }
  override async putJson(key: string, value: unknown): Promise<void> {
    await super.putJson(key, value);
    if (key.includes('/records/')) this.events.push(`store ${key}`);
  }
}

function collector(runs: readonly number[], attempts = 3) {
  const gateway = new FakeGateway();
  const store = new NotingStore(gateway.events);
  const log = new RecordingLog();
  const collect = new RunCollector(
    {
      campaignId: CAMPAIGN,
      store,
      gateway,
      scratchDir: mkdtempSync(path.join(os.tmpdir(), 'collector-')),
      log,
      timing: { statusWriteMs: 0, recordPollMs: 5, collectRetryMs: 5 },
      now: () => new Date('2026-01-01T01:00:00.000Z'),
    },
    runs,
    attempts,
  );
  return { gateway, store, log, collect };
}

const never = new AbortController().signal;

describe('the run collector', () => {
  it('stores result files, then the record, then marks it fetched', async () => {
    const { gateway, store, collect } = collector([0, 1]);
    await store.putJson(keys.status, testStatus(CAMPAIGN));
    const first = gateway.finishRun(runRecord(0), 'scalars of run 0\n');
    const second = gateway.finishRun(runRecord(1), 'scalars of run 1\n');
    collect.start();
    await collect.settled(never);
    await collect.stop();

    for (const [entry, run] of [
      [first, 0],
      [second, 1],
    ] as const) {
      const events = gateway.events;
      const stored = events.indexOf(`store ${keys.result(`Quick-${run}.sca`)}`);
      const record = events.indexOf(`store ${keys.record(run, 1)}`);
      const fetched = events.indexOf(`fetched ${recordKey(entry)}`);
      expect(stored).toBeGreaterThanOrEqual(0);
      expect(record).toBeGreaterThan(stored);
      expect(fetched).toBeGreaterThan(record);
    }
    const record = await store.getJson(keys.record(0, 1), storedRecordSchema);
    expect(record).toEqual({ v: 1, record: first.record, results: ['Quick-0.sca'] });
    const content = store.text(keys.result('Quick-0.sca'));
    expect(content).toBe('scalars of run 0\n');
    expect(sha256(content ?? '')).toBe(first.record.files[0]?.sha256);
    expect(gateway.outbox).toEqual([]);
    // The counts go to the agent's own document; the workflow's status is never written by the agent.
    expect(JSON.parse(store.text(keys.progress) ?? '{}')).toEqual({
      total: 2,
      ok: 2,
      failed: 0,
      finished: 2,
      remainingSeconds: 0,
      updatedAt: '2026-01-01T01:00:00.000Z',
    });
    expect(JSON.parse(store.text(keys.status) ?? '{}')).toEqual(testStatus(CAMPAIGN));
  });

  it('counts a run once it is final: an interrupted attempt waits for its retry', async () => {
    const { gateway, collect } = collector([0, 1, 2], 3);
    gateway.finishRun(runRecord(0, { status: 'interrupted', attempt: 1, durationMs: 500 }));
    gateway.finishRun(runRecord(1, { status: 'failed', attempt: 1, durationMs: 3000 }));
    collect.start();
    await waitUntil(() => gateway.outbox.length === 0, 5000, 'the records to be stored');
    expect(collect.progress()).toEqual({
      total: 3,
      ok: 0,
      failed: 1,
      finished: 1,
      remainingSeconds: 6, // 3 s per finished run, two runs to go
      allFinal: false,
    });

    gateway.finishRun(runRecord(0, { status: 'ok', attempt: 2, durationMs: 1000 }));
    gateway.finishRun(runRecord(2, { status: 'lost', attempt: 3, durationMs: 2000 }));
    await collect.settled(never);
    expect(collect.progress()).toEqual({
      total: 3,
      ok: 1,
      failed: 2,
      finished: 3,
      remainingSeconds: 0,
      allFinal: true,
    });
    await collect.stop();
  });

  it('keeps the newest attempt’s result files when an older attempt comes with it', async () => {
    const { gateway, store, collect } = collector([0]);
    // Handed out together, the newer first.
    gateway.finishRun(runRecord(0, { attempt: 2 }), 'complete results\n');
    gateway.finishRun(runRecord(0, { status: 'lost', attempt: 1 }), 'partial results\n');
    collect.start();
    await collect.settled(never);
    await collect.stop();
    expect(store.text(keys.result('Quick-0.sca'))).toBe('complete results\n');
    expect(await store.exists(keys.record(0, 1))).toBe(true);
    expect(await store.exists(keys.record(0, 2))).toBe(true);
  });

  it('never lets an older attempt handed out later overwrite a newer attempt’s files', async () => {
    const { gateway, store, collect } = collector([0], 3);
    gateway.finishRun(runRecord(0, { status: 'lost', attempt: 2 }), 'second try\n');
    collect.start();
    await waitUntil(() => gateway.outbox.length === 0, 5000, 'attempt 2 to be stored');
    gateway.finishRun(runRecord(0, { status: 'lost', attempt: 1 }), 'first try\n');
    await waitUntil(() => gateway.outbox.length === 0, 5000, 'attempt 1 to be stored');
    expect(store.text(keys.result('Quick-0.sca'))).toBe('second try\n');
    expect(await store.exists(keys.record(0, 1))).toBe(true);
    gateway.finishRun(runRecord(0, { attempt: 3 }), 'complete\n');
    await collect.settled(never);
    await collect.stop();
    expect(store.text(keys.result('Quick-0.sca'))).toBe('complete\n');
  });

  it('counts what an earlier agent stored, and stores nothing twice', async () => {
    const { gateway, store, collect } = collector([0, 1]);
    await store.putJson(keys.record(0, 1), { v: 1, record: runRecord(0), results: [] });
    expect(await collect.loadStored()).toBe(1);
    expect(collect.progress()).toMatchObject({ finished: 1, ok: 1, allFinal: false });
    gateway.finishRun(runRecord(1));
    collect.start();
    await collect.settled(never);
    await collect.stop();
    expect(collect.progress()).toMatchObject({ finished: 2, ok: 2, allFinal: true });
  });

  it('gives up when the gateway is lost, so that progress can report it', async () => {
    const { gateway, collect } = collector([0]);
    gateway.unreachable = new GatewayError('cannot reach the swarm');
    collect.start();
    await collect.settled(never);
    expect(collect.failure?.message).toBe('cannot reach the swarm');
    expect(collect.allFinal).toBe(false);
    await collect.stop();
  });

  it('retries other errors (the bucket) and stores the record once they pass', async () => {
    const { gateway, store, log, collect } = collector([0]);
    let failures = 2;
    const upload = store.uploadFile.bind(store);
    store.uploadFile = async (key, file, checksum) => {
      if (failures-- > 0) throw new Error('S3 is having a moment');
      await upload(key, file, checksum);
    };
    gateway.finishRun(runRecord(0));
    collect.start();
    await collect.settled(never);
    await collect.stop();
    expect(collect.failure).toBeNull();
    expect(log.count('collection error; trying again')).toBe(2);
    expect(await store.exists(keys.record(0, 1))).toBe(true);
  });

  it('refuses result names that leave the result directory', () => {
    expect(checkResultName('odd names/Odd-#0.sca')).toBe('odd names/Odd-#0.sca');
    for (const name of ['../x.sca', '/etc/passwd', 'a/../../x', '', 'a//b', './x'])
      expect(() => checkResultName(name), name).toThrow(GatewayError);
  });
});
