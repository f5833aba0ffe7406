/** On a terminal the campaign shows a live progress bar; elsewhere plain lines or NDJSON. */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoProject, inetSwarm, repoRoot } from './helpers.js';

describe('terminal output', () => {
  it('draws a progress bar with counts and an ETA on a TTY', () => {
    const project = demoProject('tty');
    const cli = path.join(repoRoot, 'dist/cli/main.js');
    // util-linux `script` gives the CLI a pseudo-terminal, as an interactive shell would.
    const screen = execFileSync(
      'script',
      ['-qfec', `'${process.execPath}' '${cli}' run -j 2 ./demo -c Quick`, '/dev/null'],
      { cwd: project, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', COLUMNS: '120' } },
    );
    expect(screen).toMatch(/\d+\/18 runs \| ok \d+ failed 0 running \d+ \| ETA /);
    expect(screen).toContain('18/18 runs | ok 18 failed 0 running 0');
    expect(screen).toContain('18 runs: 18 ok');
    expect(screen).not.toContain('[1/18]'); // plain lines are for pipes and logs
  });

  it('prints one plain line per finished run when not on a terminal', async () => {
    const project = demoProject('plain');
    const result = await inetSwarm(['run', '-j', '2', './demo', '-c', 'Quick'], project);
    const lines = result.stdout.split('\n').filter((l) => /^\[\d+\/18\] ok/.test(l));
    expect(lines).toHaveLength(18);
  });

  it('emits NDJSON events with --json, ending with the campaign summary', async () => {
    const project = demoProject('json');
    const result = await inetSwarm(['run', '-j', '2', '--json', './demo', '-c', 'Failing'], project);
    const events = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; counts?: { ok: number; failed: number } });
    expect(events[0]?.type).toBe('campaign-started');
    expect(events.filter((e) => e.type === 'run-finished')).toHaveLength(12);
    expect(events.at(-1)).toMatchObject({ type: 'campaign-finished', counts: { ok: 9, failed: 3 } });
  });
});
