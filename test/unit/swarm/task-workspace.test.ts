import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
  existsSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTaskWorkspace } from '../../../lib/swarm/task-workspace.js';
import { repoRoot } from '../../support/repo.js';

const tmp = (label: string) => mkdtempSync(path.join(os.tmpdir(), `workspace-${label}-`));

/** An unpacked artifact as a runner node holds it: the demo project under `sims/`, stale results included. */
function artifact(): string {
  const tree = tmp('artifact');
  mkdirSync(path.join(tree, 'sims', 'results'), { recursive: true });
  copyFileSync(path.join(repoRoot, 'examples/demo/demo'), path.join(tree, 'sims', 'demo'));
  copyFileSync(path.join(repoRoot, 'examples/demo/omnetpp.ini'), path.join(tree, 'sims', 'omnetpp.ini'));
  writeFileSync(path.join(tree, 'sims', 'results', 'stale.sca'), 'from the build machine');
  symlinkSync('sims/omnetpp.ini', path.join(tree, 'default.ini'));
  return tree;
}

describe('task workspaces', () => {
  it('mirror the artifact, with a private empty result directory', async () => {
    const tree = artifact();
    const workspace = await createTaskWorkspace(tree, tmp('scratch'), 'sims/results');
    expect(readdirSync(workspace.resultDir)).toEqual([]);
    expect(readFileSync(path.join(workspace.root, 'default.ini'), 'utf8')).toContain('[General]');
    await workspace.dispose();
    expect(existsSync(workspace.root)).toBe(false);
    expect(readdirSync(path.join(tree, 'sims', 'results'))).toEqual(['stale.sca']);
  });

  it('let a simulation run as it would locally, writing only into the task', async () => {
    const tree = artifact();
    const scratch = tmp('scratch');
    const [a, b] = await Promise.all([
      createTaskWorkspace(tree, scratch, 'sims/results'),
      createTaskWorkspace(tree, scratch, 'sims/results'),
    ]);
    const args = ['-c', 'Quick', '-s', '-u', 'Cmdenv', '--cmdenv-redirect-output=true'];
    execFileSync('./demo', [...args, '-r', '0'], { cwd: path.join(a.root, 'sims') });
    execFileSync('./demo', [...args, '-r', '1'], { cwd: path.join(b.root, 'sims') });
    expect(readdirSync(a.resultDir).filter((f) => f.endsWith('.sca'))).toEqual([
      'Quick-numStations=2,serviceMean=0.4-#0.sca',
    ]);
    expect(readdirSync(b.resultDir).filter((f) => f.endsWith('.sca'))).toEqual([
      'Quick-numStations=2,serviceMean=0.4-#1.sca',
    ]);
    // No --result-dir was needed, so the results record the same directory a local run does.
    expect(
      readFileSync(path.join(a.resultDir, 'Quick-numStations=2,serviceMean=0.4-#0.sca'), 'utf8'),
    ).toMatch(/^attr resultdir results$/m);
    expect(readdirSync(path.join(tree, 'sims', 'results'))).toEqual(['stale.sca']);
  });

  it('refuse a result directory outside the project', async () => {
    await expect(createTaskWorkspace(artifact(), tmp('scratch'), '../elsewhere')).rejects.toThrow(
      /must lie inside the project/,
    );
  });
});
