/**
 * `inet-swarm run` end to end on the demo simulation: real processes, real files.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRunDescriptions } from '../../lib/core/omnetpp-output.js';
import { resultFileStem } from '../../lib/core/result-names.js';
import {
  collect,
  demoProject,
  inetSwarm,
  manifestRecords,
  normalisedResult,
  resultFiles,
  startCli,
  waitFor,
} from './helpers.js';

function sessions(project: string) {
  const campaigns = path.join(project, '.inet-swarm', 'campaigns');
  return readdirSync(campaigns).flatMap((id) =>
    readFileSync(path.join(campaigns, id, 'sessions.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map(
        (line) =>
          JSON.parse(line) as {
            sessionId: string;
            args: string[];
            provenance: {
              programVersion: string;
              gitCommit: string | null;
              gitDirty: boolean | null;
              fingerprint: string;
            };
          },
      ),
  );
}

function runsOf(project: string, config: string) {
  return parseRunDescriptions(
    execFileSync('./demo', ['-c', config, '-s', '-q', 'runs'], { cwd: project, encoding: 'utf8' }),
  );
}

describe('a full campaign', () => {
  it('produces exactly the results of running each run by hand, where opp_runall puts them', async () => {
    const project = demoProject('full');
    const result = await inetSwarm(['run', '-j', '2', './demo', '-c', 'Quick'], project);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const runs = runsOf(project, 'Quick');
    expect(result.stdout).toContain(`${runs.length} runs: ${runs.length} ok`);

    // The same runs, serially by hand, with opp_runall's switches, in a second copy of the project.
    const byHand = demoProject('by-hand');
    for (const run of runs) {
      execFileSync(
        './demo',
        ['-c', 'Quick', '-s', '-u', 'Cmdenv', '--cmdenv-redirect-output=true', '-r', String(run.runNumber)],
        {
          cwd: byHand,
        },
      );
    }
    const ours = resultFiles(path.join(project, 'results'));
    expect(ours).toEqual(resultFiles(path.join(byHand, 'results')));
    expect(ours).toEqual(
      runs
        .flatMap((r) =>
          ['out', 'sca', 'vci', 'vec'].map((ext) => `${resultFileStem('Quick', r.variables)}.${ext}`),
        )
        .sort(),
    );
    for (const name of ours.filter((n) => !n.endsWith('.out'))) {
      expect(normalisedResult(path.join(project, 'results', name)), name).toBe(
        normalisedResult(path.join(byHand, 'results', name)),
      );
    }

    const records = manifestRecords(project);
    expect(records.map((r) => r.runNumber).sort((a, b) => a - b)).toEqual(runs.map((r) => r.runNumber));
    const [session] = sessions(project);
    expect(session?.provenance.programVersion).toContain('demo');
    expect(session?.provenance).toMatchObject({ gitCommit: null, gitDirty: null });
    expect(session?.args).toEqual(['-c', 'Quick']);
    expect(
      records.every(
        (r) => r.sessionId === session?.sessionId && r.fingerprint === session.provenance.fingerprint,
      ),
    ).toBe(true);
    for (const record of records) {
      expect(record.status).toBe('ok');
      expect(record.events).toBeGreaterThan(0);
      expect(record.termination).toMatch(/^<!> Simulation time limit reached/);
      expect(record.files.map((f) => path.extname(f.path)).sort()).toEqual(['.out', '.sca', '.vci', '.vec']);
    }
  });

  it('keeps going past failed runs, reports each with its error, and exits 1', async () => {
    const project = demoProject('failing');
    const result = await inetSwarm(['run', '-j', '2', './demo', '-c', 'Failing'], project);
    expect(result.code).toBe(1);
    const records = manifestRecords(project);
    const failed = records.filter((r) => r.status === 'failed');
    const runs = runsOf(project, 'Failing');
    expect(failed.length).toBeGreaterThan(0);
    expect(records.filter((r) => r.status === 'ok')).toHaveLength(runs.length - failed.length);
    expect(result.stdout).toContain(
      `${runs.length} runs: ${runs.length - failed.length} ok, ${failed.length} failed`,
    );
    for (const record of failed) {
      expect(record.failure?.kind).toBe('simulation-error');
      expect(record.attempt).toBe(1);
      expect(result.stdout).toContain(
        `run ${record.runNumber} (${record.description}): ${record.failure?.message}`,
      );
      expect(result.stdout).toContain(
        `see ${path.join('results', `${resultFileStem('Failing', runsOf(project, 'Failing').find((r) => r.runNumber === record.runNumber)?.variables ?? [])}.out`)}`,
      );
    }

    // Deterministic failures are rerun on the next invocation (and fail again); the rest is kept.
    const again = await inetSwarm(['run', '-j', '2', '--json', './demo', '-c', 'Failing'], project);
    expect(again.code).toBe(1);
    const started = again.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { type: string; toRun?: number; reasons?: object });
    expect(started[0]).toMatchObject({
      type: 'campaign-started',
      toRun: failed.length,
      reasons: { failed: failed.length },
    });
  });
});

describe('resume', () => {
  it('skips intact runs and reruns missing, corrupt and --force runs', async () => {
    const project = demoProject('resume');
    expect((await inetSwarm(['run', '-j', '2', './demo', '-c', 'Quick'], project)).code).toBe(0);
    const runs = runsOf(project, 'Quick');
    const first = manifestRecords(project).length;

    const unchanged = await inetSwarm(['run', '-j', '2', './demo', '-c', 'Quick'], project);
    expect(unchanged.code).toBe(0);
    expect(unchanged.stdout).toContain(
      `${runs.length} runs: ${runs.length} ok (${runs.length} kept from earlier sessions)`,
    );
    expect(manifestRecords(project)).toHaveLength(first);

    const [a, b] = runs;
    const stemA = resultFileStem('Quick', a?.variables ?? []);
    const stemB = resultFileStem('Quick', b?.variables ?? []);
    rmSync(path.join(project, 'results', `${stemA}.vec`));
    const sca = path.join(project, 'results', `${stemB}.sca`);
    const text = readFileSync(sca, 'utf8');
    writeFileSync(
      sca,
      text.replace(/scalar (\S+) (\S+) (\S+)/, (_m, m: string, n: string) => `scalar ${m} ${n} 12345`),
    );

    const repaired = await inetSwarm(['run', '-j', '2', '--json', './demo', '-c', 'Quick'], project);
    expect(repaired.code).toBe(0);
    const events = repaired.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { type: string; record?: { runNumber: number }; reasons?: object });
    expect(events[0]).toMatchObject({ reasons: { 'missing-file': 1, 'changed-file': 1 } });
    expect(
      events
        .filter((e) => e.type === 'run-finished')
        .map((e) => e.record?.runNumber)
        .sort(),
    ).toEqual([a?.runNumber, b?.runNumber].sort());
    expect(existsSync(path.join(project, 'results', `${stemA}.vec`))).toBe(true);
    expect(readFileSync(sca, 'utf8')).not.toContain(' 12345');

    const forced = await inetSwarm(['run', '-j', '2', '--force', './demo', '-c', 'Quick'], project);
    expect(forced.code).toBe(0);
    expect(manifestRecords(project)).toHaveLength(first + 2 + runs.length);
  });

  it('survives SIGKILL midway: finished runs are not rerun, cut-off runs are, nothing is lost', async () => {
    const project = demoProject('sigkill');
    const runs = runsOf(project, 'Uniform');
    const child = startCli(['run', '-j', '2', './demo', '-c', 'Uniform'], project);
    const done = collect(child);
    const manifest = () => manifestRecords(project);
    await waitFor(() => manifest().length >= 10);
    child.kill('SIGKILL');
    await done;
    const before = manifest();
    expect(before.length).toBeLessThan(runs.length);
    const finishedBefore = new Map(before.map((r) => [r.runNumber, r]));
    const mtimes = new Map(
      before.flatMap((r) => r.files.map((f) => [f.path, statSync(path.join(project, f.path)).mtimeMs])),
    );

    const resumed = await inetSwarm(['run', '-j', '2', '--json', './demo', '-c', 'Uniform'], project);
    expect(resumed.code).toBe(0);
    const rerun = resumed.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { type: string; record?: { runNumber: number } })
      .filter((e) => e.type === 'run-finished')
      .map((e) => e.record?.runNumber ?? -1);
    expect(rerun.filter((n) => finishedBefore.has(n))).toEqual([]);
    expect(new Set([...finishedBefore.keys(), ...rerun]).size).toBe(runs.length);
    for (const [file, mtime] of mtimes) expect(statSync(path.join(project, file)).mtimeMs, file).toBe(mtime);

    // Every run's recorded files are complete: the checksums verify and a third session runs nothing.
    const verify = await inetSwarm(['run', '-j', '2', './demo', '-c', 'Uniform'], project);
    expect(verify.stdout).toContain(
      `${runs.length} runs: ${runs.length} ok (${runs.length} kept from earlier sessions)`,
    );
    expect(resultFiles(path.join(project, 'results'))).toHaveLength(runs.length * 4);
  });

  it('stops cleanly on SIGINT, exits 130, and the next run completes the campaign', async () => {
    const project = demoProject('sigint');
    const runs = runsOf(project, 'Uniform');
    const child = startCli(['run', '-j', '2', './demo', '-c', 'Uniform'], project);
    const done = collect(child);
    await waitFor(
      () =>
        existsSync(path.join(project, '.inet-swarm', 'campaigns')) && manifestRecords(project).length >= 4,
    );
    child.kill('SIGINT');
    const stopped = await done;
    expect(stopped.code).toBe(130);
    const records = manifestRecords(project);
    expect(records.filter((r) => r.status === 'interrupted').length).toBeGreaterThan(0);
    expect(records.length).toBeLessThan(runs.length);
    // No simulation outlives the CLI.
    expect(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })).not.toContain(`${project}/demo`);

    const resumed = await inetSwarm(['run', '-j', '2', './demo', '-c', 'Uniform'], project);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`${runs.length} runs: ${runs.length} ok`);
  });
});
