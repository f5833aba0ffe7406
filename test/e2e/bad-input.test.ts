/**
 * Bad input gets a clear message quoting the simulation's own `<!>` text, exit code 2, and nothing is
 * started: no result directory, no manifest.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoProject, inetSwarm, manifestRecords } from './helpers.js';

const cases: { name: string; args: string[]; message: RegExp }[] = [
  {
    name: 'a missing program',
    args: ['./nope', '-c', 'Quick'],
    message: /simulation program \.\/nope not found in/,
  },
  {
    name: 'a program that is not executable',
    args: ['./omnetpp.ini', '-c', 'Quick'],
    message: /omnetpp\.ini is not executable/,
  },
  {
    name: 'an unknown config',
    args: ['./demo', '-c', 'NoSuch'],
    message: /<!> Error: No such config: NoSuch/,
  },
  {
    name: 'a filter without $',
    args: ['./demo', '-c', 'Quick', '-r', 'repetition==1'],
    message: /<!> Error: Cannot evaluate run filter: .*No such variable: 'repetition'/,
  },
  {
    name: 'a run number out of range',
    args: ['./demo', '-c', 'Quick', '-r', '999'],
    message: /<!> Error: Run number 999 in run list '999' is out of range/,
  },
  {
    name: 'a filter selecting no runs',
    args: ['./demo', '-c', 'Quick', '-r', '$repetition==99'],
    message: /config Quick with run filter '\$repetition==99' selects no runs/,
  },
  {
    name: 'a missing ini file',
    args: ['./demo', '-f', 'nope.ini', '-c', 'Quick'],
    message: /cannot read ini file .*nope\.ini/,
  },
  {
    name: 'a graphical user interface',
    args: ['./demo', '-u', 'Qtenv', '-c', 'Quick'],
    message: /Cmdenv only/,
  },
  {
    name: 'an unwritable result directory',
    args: ['./demo', '-c', 'Quick', '--result-dir=omnetpp.ini/results'],
    message: /result directory .* is not writable \(ENOTDIR\)/,
  },
  { name: '-j 0', args: ['-j', '0', './demo', '-c', 'Quick'], message: /-j\/--jobs must be at least 1/ },
  { name: '-j many', args: ['-j', 'many', './demo', '-c', 'Quick'], message: /-j\/--jobs must be a number/ },
  { name: 'a negative --retries', args: ['--retries', '-1', './demo', '-c', 'Quick'], message: /retries/ },
  {
    name: 'a missing working directory',
    args: ['-C', 'nowhere', './demo', '-c', 'Quick'],
    message: /working directory .*nowhere does not exist/,
  },
];

describe('bad input', () => {
  for (const { name, args, message } of cases) {
    it(`rejects ${name} before starting anything`, async () => {
      const project = demoProject('bad');
      const result = await inetSwarm(['run', ...args], project);
      expect(result.stderr).toMatch(message);
      expect(result.code).toBe(2);
      expect(existsSync(path.join(project, 'results'))).toBe(false);
      expect(existsSync(path.join(project, '.inet-swarm', 'campaigns'))).toBe(false);
    });
  }

  it('refuses a second concurrent session of the same campaign', async () => {
    const project = demoProject('locked');
    const first = await inetSwarm(['run', './demo', '-c', 'Quick', '-r', '0'], project);
    expect(first.code).toBe(0);
    const campaigns = path.join(project, '.inet-swarm', 'campaigns');
    const [id] = readdirSync(campaigns);
    // A lock held by a live process (this test runner) on this host.
    writeFileSync(path.join(campaigns, id ?? '', 'lock'), `${process.pid} ${os.hostname()}\n`);
    const second = await inetSwarm(['run', './demo', '-c', 'Quick', '-r', '0'], project);
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(
      new RegExp(`another inet-swarm \\(pid ${process.pid}\\) is running this campaign`),
    );
  });
});

describe('arguments are argv, never shell text', () => {
  it('passes paths and values with spaces, quotes, # and shell syntax through unharmed', async () => {
    const base = demoProject('argv');
    const project = path.join(base, `a b;$(touch PWNED)&'x'`);
    mkdirSync(project);
    renameSync(path.join(base, 'demo'), path.join(project, 'demo'));
    renameSync(path.join(base, 'omnetpp.ini'), path.join(project, 'my study #1.ini'));
    const args = ['-f', 'my study #1.ini', '-c', 'Quick', '-r', '$repetition==0 && $repetition!=1'];
    const result = await inetSwarm(['run', '-C', project, './demo', ...args], base);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(existsSync(path.join(base, 'PWNED'))).toBe(false);
    expect(existsSync(path.join(project, 'PWNED'))).toBe(false);
    const [record] = manifestRecords(project);
    expect(record?.argv.slice(0, 5)).toEqual(['./demo', '-f', 'my study #1.ini', '-c', 'Quick']);
    expect(readdirSync(path.join(project, 'results')).length).toBeGreaterThan(0);
  });
});

describe('--export', () => {
  it('writes the plan and runs nothing', async () => {
    const project = demoProject('export');
    const result = await inetSwarm(['run', '-e', 'plan.json', './demo', '-c', 'Quick'], project);
    expect(result.code).toBe(0);
    const plan = JSON.parse(readFileSync(path.join(project, 'plan.json'), 'utf8')) as {
      runs: { runNumber: number; argv: string[] }[];
    };
    expect(plan.runs.length).toBeGreaterThan(0);
    expect(plan.runs[0]?.argv).toEqual([
      './demo',
      '-c',
      'Quick',
      '-s',
      '-u',
      'Cmdenv',
      '--cmdenv-redirect-output=true',
      '-r',
      String(plan.runs[0]?.runNumber),
    ]);
    expect(existsSync(path.join(project, 'results'))).toBe(false);
  });
});
