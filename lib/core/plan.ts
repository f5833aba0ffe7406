/**
 * Planning: expand the user's simulation command into runs with the program's own queries
 * (`-s -q runnumbers` and `-s -q runs`), so that filters, iteration variables and run numbers mean
 * exactly what they mean to OMNeT++. Everything is validated here, before anything is started.
 */
import { createHash } from 'node:crypto';
import type { CampaignPlan, RunSpec } from './campaign.js';
import { CampaignInputError, SimulationQueryError } from './errors.js';
import { alertLines, parseRunDescriptions, parseRunNumbers } from './omnetpp-output.js';
import { resolveResultDir } from './result-dir.js';
import { resultFileStem } from './result-names.js';
import { queryArgs, readInvocation, withoutRunFilter, type SimulationInvocation } from './simulation-args.js';
import type { ProgramOutput, SimulationProgram } from '../ports/simulation-program.js';

export interface PlanRequest {
  /** The program as the user typed it (resolved against `workingDir` by the SimulationProgram). */
  readonly program: string;
  readonly args: readonly string[];
  readonly workingDir: string;
}

export interface PlanDeps {
  readonly program: SimulationProgram;
  /** Reads an ini file (absolute path); undefined if it cannot be read. */
  readonly readFile: (file: string) => string | undefined;
}

function checkQuery(output: ProgramOutput, what: string): void {
  if (output.exitCode === 0) return;
  const messages = alertLines(`${output.stderr}\n${output.stdout}`);
  const detail =
    messages.length > 0
      ? messages.join('\n')
      : output.stderr.trim() || `exit code ${String(output.exitCode)}`;
  throw new SimulationQueryError(`the simulation rejected the campaign (${what}):\n${detail}`, messages);
}

/** Stable across resubmissions of the same study; `-r` is excluded so that filters share one manifest. */
export function campaignIdOf(request: PlanRequest, invocation: SimulationInvocation): string {
  const key = JSON.stringify([request.program, withoutRunFilter(invocation.args), request.workingDir]);
  return `${invocation.configName.replace(/[^A-Za-z0-9_-]/g, '_')}-${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
}

export async function planCampaign(request: PlanRequest, deps: PlanDeps): Promise<CampaignPlan> {
  const invocation = readInvocation(request.args);
  const resultDir = resolveResultDir(invocation, request.workingDir, deps.readFile);
  const [numbersOutput, runsOutput] = await Promise.all([
    deps.program.invoke(queryArgs(invocation, 'runnumbers')),
    deps.program.invoke(queryArgs(invocation, 'runs')),
  ]);
  checkQuery(numbersOutput, '-q runnumbers');
  checkQuery(runsOutput, '-q runs');

  const runNumbers = parseRunNumbers(numbersOutput.stdout);
  if (runNumbers.length === 0) {
    const filter = invocation.runFilter === undefined ? '' : ` with run filter '${invocation.runFilter}'`;
    throw new CampaignInputError(`config ${invocation.configName}${filter} selects no runs; nothing to do`);
  }
  const descriptions = new Map(parseRunDescriptions(runsOutput.stdout).map((d) => [d.runNumber, d]));
  const runs: RunSpec[] = runNumbers.map((runNumber) => {
    const description = descriptions.get(runNumber);
    if (description === undefined) {
      throw new SimulationQueryError(
        `the program listed run ${runNumber} in -q runnumbers but not in -q runs`,
        [],
      );
    }
    return {
      runNumber,
      configName: invocation.configName,
      variables: description.variables,
      description: description.text,
      resultStem: resultFileStem(invocation.configName, description.variables),
    };
  });

  return {
    campaignId: campaignIdOf(request, invocation),
    program: request.program,
    args: request.args,
    workingDir: request.workingDir,
    resultDir,
    configName: invocation.configName,
    runs,
    startupMs: Math.min(numbersOutput.durationMs, runsOutput.durationMs),
  };
}
