import { describe, expect, it } from 'vitest';
import { planCampaign } from '../../../lib/core/plan.js';
import type { ProgramOutput, SimulationProgram } from '../../../lib/ports/simulation-program.js';

/** A program that answers queries from a table keyed by the `-q` kind, recording what it was asked. */
class ScriptedProgram implements SimulationProgram {
  readonly calls: string[][] = [];
  constructor(private readonly answers: Record<string, Partial<ProgramOutput>>) {}
  invoke(args: readonly string[]): Promise<ProgramOutput> {
    this.calls.push([...args]);
    const kind = args[args.indexOf('-q') + 1] ?? '';
    return Promise.resolve({ exitCode: 0, stdout: '', stderr: '', durationMs: 7, ...this.answers[kind] });
  }
}

const ini = { '/w/omnetpp.ini': '[General]\nnetwork = Net\n' };
const readFile = (file: string) => ini[file as keyof typeof ini];

describe('planning', () => {
  it('expands the campaign with the program queries, keeping the user filter', async () => {
    const program = new ScriptedProgram({
      runnumbers: { stdout: ' 0 2\n' },
      runs: { stdout: 'Run 0: $x=1, $repetition=0\nRun 2: $x=2, $repetition=0\n' },
    });
    const plan = await planCampaign(
      { program: './sim', args: ['-c', 'S', '-r', '$x>0'], workingDir: '/w' },
      { program, readFile },
    );
    expect(program.calls).toContainEqual(['-c', 'S', '-s', '-q', 'runnumbers', '-r', '$x>0']);
    expect(plan.runs.map((r) => [r.runNumber, r.resultStem])).toEqual([
      [0, 'S-x=1-#0'],
      [2, 'S-x=2-#0'],
    ]);
    expect(plan.resultDir).toBe('/w/results');
    expect(plan.startupMs).toBe(7);
  });

  it('gives the same campaign id whatever the run filter', async () => {
    const program = new ScriptedProgram({
      runnumbers: { stdout: ' 0\n' },
      runs: { stdout: 'Run 0: $repetition=0\n' },
    });
    const a = await planCampaign(
      { program: './sim', args: ['-c', 'S', '-r', '0'], workingDir: '/w' },
      { program, readFile },
    );
    const b = await planCampaign(
      { program: './sim', args: ['-c', 'S'], workingDir: '/w' },
      { program, readFile },
    );
    const c = await planCampaign(
      { program: './sim', args: ['-c', 'T'], workingDir: '/w' },
      { program, readFile },
    );
    expect(a.campaignId).toBe(b.campaignId);
    expect(a.campaignId).not.toBe(c.campaignId);
  });

  it("quotes the program's own <!> error", async () => {
    const program = new ScriptedProgram({
      runnumbers: { exitCode: 1, stderr: '\n<!> Error: No such config: NoSuch\n' },
      runs: { exitCode: 1, stderr: '\n<!> Error: No such config: NoSuch\n' },
    });
    await expect(
      planCampaign({ program: './sim', args: ['-c', 'NoSuch'], workingDir: '/w' }, { program, readFile }),
    ).rejects.toThrow(/<!> Error: No such config: NoSuch/);
  });

  it('refuses an empty selection', async () => {
    const program = new ScriptedProgram({ runnumbers: { stdout: '\n' }, runs: { stdout: '' } });
    await expect(
      planCampaign(
        { program: './sim', args: ['-c', 'S', '-r', '$x>9'], workingDir: '/w' },
        { program, readFile },
      ),
    ).rejects.toThrow("config S with run filter '$x>9' selects no runs");
  });
});
