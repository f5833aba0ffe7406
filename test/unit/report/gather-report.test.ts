import { mkdtempSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { JsonlManifestStore } from '../../../lib/adapters/local/jsonl-manifest-store.js';
import { SessionLog } from '../../../lib/adapters/local/session-log.js';
import { StateDir } from '../../../lib/adapters/local/state-dir.js';
import { CampaignInputError } from '../../../lib/core/errors.js';
import { gatherReport, resolveCampaign } from '../../../lib/report/gather-report.js';
import { runRecord } from '../../support/run-record.js';

async function stateWith(campaigns: Record<string, number>): Promise<StateDir> {
  const state = new StateDir(mkdtempSync(path.join(os.tmpdir(), 'report-state-')));
  for (const [campaignId, runs] of Object.entries(campaigns)) {
    await mkdir(state.campaignDir(campaignId), { recursive: true });
    const manifest = new JsonlManifestStore(state.manifestFile(campaignId));
    for (let run = 0; run < runs; run++) await manifest.append(runRecord(run));
    await manifest.close();
  }
  return state;
}

describe('choosing the campaign to report', () => {
  it('takes an exact id, a unique prefix, or a config name with one campaign', async () => {
    const state = await stateWith({ 'Uniform-0123456789ab': 1, 'Skewed-ba9876543210': 1 });
    expect(await resolveCampaign(state, 'Uniform-0123456789ab')).toBe('Uniform-0123456789ab');
    expect(await resolveCampaign(state, 'Skew')).toBe('Skewed-ba9876543210');
    expect(await resolveCampaign(state, 'Uniform')).toBe('Uniform-0123456789ab');
  });

  it('without a name, takes the campaign whose manifest changed last', async () => {
    const state = await stateWith({ 'A-0123456789ab': 1 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    await mkdir(state.campaignDir('B-0123456789ab'), { recursive: true });
    writeFileSync(state.manifestFile('B-0123456789ab'), '');
    expect(await resolveCampaign(state, null)).toBe('B-0123456789ab');
  });

  it('says which campaigns exist when the name matches none or several', async () => {
    const state = await stateWith({ 'Uniform-0123456789ab': 1, 'Uniform-ba9876543210': 1 });
    await expect(resolveCampaign(state, 'Nope')).rejects.toThrow(/no campaign 'Nope'.*Uniform-/);
    await expect(resolveCampaign(state, 'Uniform')).rejects.toThrow(/matches several campaigns/);
    await expect(resolveCampaign(new StateDir('/nonexistent-state'), null)).rejects.toBeInstanceOf(
      CampaignInputError,
    );
  });
});

describe('gathering a report', () => {
  it('reads every attempt, the sessions of every backend, builds and the latest cost of a session', async () => {
    const id = 'Uniform-0123456789ab';
    const state = await stateWith({});
    await mkdir(state.campaignDir(id), { recursive: true });
    const manifest = new JsonlManifestStore(state.manifestFile(id));
    await manifest.append(
      runRecord(0, { status: 'lost', attempt: 1, sessionId: 'aws-1', host: 'ip-10-0-1-5' }),
    );
    await manifest.append(runRecord(0, { attempt: 2, sessionId: 'aws-1', host: 'ip-10-0-1-6' }));
    await manifest.close();
    // A session line of the first format (no kind): a local session.
    writeFileSync(
      state.sessionsFile(id),
      `${JSON.stringify({
        sessionId: 'local-1',
        startedAt: '2026-11-24T09:00:00.000Z',
        program: './demo',
        programPath: '/p/demo',
        args: ['-c', 'Uniform'],
        workingDir: '/p',
        resultDir: '/p/results',
        jobs: 2,
        provenance: {
          programVersion: 'OMNeT++ 6.1',
          gitCommit: null,
          gitDirty: null,
          sourceHash: 'h',
          fingerprint: 'f',
          host: 'laptop',
          nodeVersion: 'v24',
        },
      })}\n`,
    );
    const log = new SessionLog(state.sessionsFile(id));
    await log.append({
      kind: 'session',
      sessionId: 'aws-1',
      backend: 'aws',
      startedAt: '2026-11-24T10:00:00.000Z',
      program: './demo',
      args: ['-c', 'Uniform', '-r', '0'],
      workingDir: '/p',
      resultDir: '/p/results',
      jobs: null,
      plannedRuns: 64,
      provenance: { gitCommit: 'abc', gitDirty: false, host: 'laptop' },
    });
    const build = {
      kind: 'build',
      sessionId: 'aws-1',
      backend: 'aws',
      command: 'make',
      startedAt: null,
      durationMs: 42_000,
      cached: false,
      ok: true,
      measured: 'polls',
    } as const;
    await log.append(build);
    const cost = {
      kind: 'cost',
      sessionId: 'aws-1',
      backend: 'aws',
      at: '2026-11-24T10:30:00.000Z',
      usdPerHour: 0.6,
      clusterHours: 0.5,
      budgetUsd: 5,
      cluster: '2 x c6i.xlarge',
      final: false,
    } as const;
    await log.append({ ...cost, spentUsd: 0.3 });
    await log.append({ ...cost, spentUsd: 0.45, final: true });
    writeFileSync(state.sessionsFile(id), '{"kind":"from-a-newer-version"}\n', { flag: 'a' });

    const report = await gatherReport(state, id, 1234);
    expect(report).toMatchObject({
      campaignId: id,
      configName: 'Uniform',
      plannedRuns: 64,
      generatedAt: 1234,
      args: ['-c', 'Uniform', '-r', '0'],
    });
    expect(report.attempts.map((a) => [a.status, a.attempt, a.host])).toEqual([
      ['lost', 1, 'ip-10-0-1-5'],
      ['ok', 2, 'ip-10-0-1-6'],
    ]);
    expect(report.sessions.map((s) => [s.sessionId, s.backend, s.jobs])).toEqual([
      ['local-1', 'local', 2],
      ['aws-1', 'aws', null],
    ]);
    expect(report.sessions[0]?.provenance.programVersion).toBe('OMNeT++ 6.1');
    expect(report.sessions[1]?.provenance).toMatchObject({ gitCommit: 'abc', programVersion: null });
    expect(report.builds).toEqual([
      {
        sessionId: 'aws-1',
        backend: 'aws',
        command: 'make',
        startedAt: null,
        durationMs: 42_000,
        cached: false,
        ok: true,
      },
    ]);
    expect(report.costs).toEqual([
      {
        sessionId: 'aws-1',
        backend: 'aws',
        usdPerHour: 0.6,
        spentUsd: 0.45,
        clusterHours: 0.5,
        budgetUsd: 5,
        cluster: '2 x c6i.xlarge',
      },
    ]);
  });
});
