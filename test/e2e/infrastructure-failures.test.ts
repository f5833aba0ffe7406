/** Retries are for infrastructure failures only: signals, memory, timeouts. */
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoProject, inetSwarm, manifestRecords, repoRoot } from './helpers.js';

describe('infrastructure failures', () => {
  it('retries runs killed by a signal until they succeed', async () => {
    const project = demoProject('killed');
    copyFileSync(
      path.join(repoRoot, 'test/fixtures/programs/killed-once.sh'),
      path.join(project, 'killed-once.sh'),
    );
    const result = await inetSwarm(
      ['run', '-j', '2', '--retry-delay', '0', './killed-once.sh', '-c', 'Quick', '-r', '0..3'],
      project,
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('4 runs: 4 ok');
    expect(result.stdout).toMatch(/retrying run 0 \(attempt 2\).*killed by SIGKILL/);
    const records = manifestRecords(project);
    for (const run of [0, 1, 2, 3]) {
      expect(records.filter((r) => r.runNumber === run).map((r) => [r.status, r.attempt])).toEqual([
        ['lost', 1],
        ['ok', 2],
      ]);
    }
  });

  it('kills a run over --run-timeout, retries it, and reports it lost', async () => {
    const project = demoProject('timeout');
    const result = await inetSwarm(
      [
        'run',
        '--run-timeout',
        '1',
        '--retries',
        '1',
        '--retry-delay',
        '0',
        './demo',
        '-c',
        'Quick',
        '-r',
        '0',
        '--sim-time-limit=9000000s',
      ],
      project,
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('1 runs: 0 ok, 1 lost');
    expect(result.stdout).toContain('exceeded --run-timeout');
    expect(manifestRecords(project).map((r) => [r.status, r.attempt, r.failure?.kind])).toEqual([
      ['lost', 1, 'timeout'],
      ['lost', 2, 'timeout'],
    ]);
  });
});
