/**
 * Parsers for what an OMNeT++ simulation program prints: query answers, Cmdenv progress and
 * termination lines, batch statistics. The formats are the ones captured from OMNeT++ 6.1 in
 * shared/OMNETPP.md; nothing here knows about any particular model.
 */

/** One `<!> ...` line, the way OMNeT++ reports errors and termination reasons. */
export function alertLines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line.startsWith('<!>'));
}

/** `-s -q runnumbers` prints one line of space-separated numbers (with a leading space). */
export function parseRunNumbers(stdout: string): number[] {
  const tokens = stdout.trim().split(/\s+/).filter(Boolean);
  return tokens.map((token) => {
    if (!/^\d+$/.test(token)) throw new Error(`unexpected token '${token}' in run number list`);
    return Number(token);
  });
}

/** An iteration variable of one run as `-q runs` shows it: `$numHosts=10` or, unnamed, `$0=...`. */
export interface IterationVariable {
  readonly name: string;
  readonly value: string;
}

export interface RunDescription {
  readonly runNumber: number;
  /** Every variable in the program's order, `repetition` included. */
  readonly variables: readonly IterationVariable[];
  /** The text after `Run N: ` exactly as printed, used as the run's identity in manifests. */
  readonly text: string;
}

const RUN_LINE = /^Run (\d+): ?(.*)$/;
// A variable starts at `$name=`; values may themselves contain ", " (e.g. `uniform(0s, 2s)`), so we
// split only where a comma is followed by the next `$name=`.
const VARIABLE_START = /(?:^|, )\$([A-Za-z_0-9]+)=/g;

/** `-s -q runs` prints `Run 0: $numHosts=10, $iaMean=1, $repetition=0` per run. */
export function parseRunDescriptions(stdout: string): RunDescription[] {
  const runs: RunDescription[] = [];
  for (const line of stdout.split('\n')) {
    const match = RUN_LINE.exec(line.trimEnd());
    if (!match) continue;
    const text = match[2] ?? '';
    runs.push({ runNumber: Number(match[1]), variables: parseVariables(text), text });
  }
  return runs;
}

function parseVariables(text: string): IterationVariable[] {
  const starts = [...text.matchAll(VARIABLE_START)];
  return starts.map((start, i) => {
    const valueFrom = (start.index ?? 0) + start[0].length;
    const valueTo = i + 1 < starts.length ? (starts[i + 1]?.index ?? text.length) : text.length;
    return { name: start[1] ?? '', value: text.slice(valueFrom, valueTo) };
  });
}

/** The figures of the last `** Event #N   t=T   Elapsed: Xs` line of a Cmdenv run. */
export interface RunProgress {
  readonly events: number;
  readonly simTime: string;
  readonly elapsedSeconds: number;
}

const EVENT_LINE = /^\*\* Event #(\d+)\s+t=(\S+)\s+Elapsed: ([0-9.eE+-]+)s/;

export interface CmdenvRunOutput {
  readonly progress: RunProgress | null;
  /** The last `<!>` line: the termination reason or the error. */
  readonly termination: string | null;
  readonly errors: readonly string[];
}

/** Reads a run's `.out` (or its stdout when output is not redirected). */
export function parseCmdenvOutput(text: string): CmdenvRunOutput {
  let progress: RunProgress | null = null;
  const alerts: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (line.startsWith('** Event #')) {
      const match = EVENT_LINE.exec(line);
      if (match) {
        progress = { events: Number(match[1]), simTime: match[2] ?? '', elapsedSeconds: Number(match[3]) };
      }
    } else if (line.startsWith('<!>')) {
      alerts.push(line);
    }
  }
  return {
    progress,
    termination: alerts.at(-1) ?? null,
    errors: alerts.filter((line) => line.startsWith('<!> Error')),
  };
}

/** Runs a batch invocation announced on stdout (`Config run 3: $x=1, $repetition=0`). */
export function startedRunsInBatch(stdout: string): number[] {
  const started: number[] = [];
  for (const line of stdout.split('\n')) {
    const match = /^\S+ run (\d+): /.exec(line);
    if (match) started.push(Number(match[1]));
  }
  return started;
}
