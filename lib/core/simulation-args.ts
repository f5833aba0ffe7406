/**
 * Reading and rewriting the simulation program's own command line. Everything the user typed after the
 * program is kept as an argv array and passed through untouched, except the options this tool owns
 * per run (`-r`, and the Cmdenv switches `opp_runall` adds too).
 */
import { CampaignInputError } from './errors.js';

// OMNeT++ 6 single-letter options that take a value (`-f omnetpp.ini` or `-fomnetpp.ini`).
const OPTIONS_WITH_VALUE = new Set(['f', 'c', 'r', 'u', 'q', 'n', 'x', 'i', 'l', 'e', 'X', 'p']);

interface ParsedOption {
  readonly letter: string;
  readonly value: string;
  /** Index of the first and one past the last argv element this option occupies. */
  readonly from: number;
  readonly to: number;
}

function scanOptions(args: readonly string[]): ParsedOption[] {
  const options: ParsedOption[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg.length < 2 || !arg.startsWith('-') || arg.startsWith('--')) continue;
    const letter = arg[1] ?? '';
    if (!OPTIONS_WITH_VALUE.has(letter)) {
      options.push({ letter, value: '', from: i, to: i + 1 });
    } else if (arg.length > 2) {
      options.push({ letter, value: arg.slice(2), from: i, to: i + 1 });
    } else {
      const value = args[i + 1];
      if (value === undefined) throw new CampaignInputError(`option ${arg} of the simulation needs a value`);
      options.push({ letter, value, from: i, to: i + 2 });
      i++;
    }
  }
  return options;
}

function longOption(args: readonly string[], name: string): string | undefined {
  let found: string | undefined;
  for (const arg of args) if (arg.startsWith(`--${name}=`)) found = arg.slice(name.length + 3);
  return found;
}

/** What inet-swarm needs to know of a simulation command line. */
export interface SimulationInvocation {
  /** The user's arguments after the program, verbatim. */
  readonly args: readonly string[];
  /** `-c`, defaulting to `General` as OMNeT++ does. */
  readonly configName: string;
  /** `-r`, if given. */
  readonly runFilter: string | undefined;
  /** `-f` files in order; `omnetpp.ini` when none is given. */
  readonly iniFiles: readonly string[];
  /** `--result-dir=` as given on the command line (relative to the working directory). */
  readonly resultDirOption: string | undefined;
}

export function readInvocation(args: readonly string[]): SimulationInvocation {
  const options = scanOptions(args);
  const last = (letter: string) => options.filter((o) => o.letter === letter).at(-1)?.value;
  for (const owned of ['q', 'a', 'h', 'v', 'e']) {
    if (options.some((o) => o.letter === owned)) {
      throw new CampaignInputError(
        `the simulation arguments contain -${owned}, which is not a run option; inet-swarm plans and runs the campaign itself`,
      );
    }
  }
  const userInterface = last('u');
  if (userInterface !== undefined && userInterface !== 'Cmdenv') {
    throw new CampaignInputError(
      `-u ${userInterface}: campaigns run under Cmdenv only (omit -u or pass -u Cmdenv)`,
    );
  }
  const iniFiles = options.filter((o) => o.letter === 'f').map((o) => o.value);
  return {
    args,
    configName: last('c') ?? 'General',
    runFilter: last('r'),
    iniFiles: iniFiles.length > 0 ? iniFiles : ['omnetpp.ini'],
    resultDirOption: longOption(args, 'result-dir'),
  };
}

/** The user's arguments with every `-r` removed, the base of queries and runs. */
export function withoutRunFilter(args: readonly string[]): string[] {
  const drop = new Set<number>();
  for (const option of scanOptions(args)) {
    if (option.letter === 'r') for (let i = option.from; i < option.to; i++) drop.add(i);
  }
  return args.filter((_, i) => !drop.has(i));
}

/** Arguments of a query (`-s -q runs` etc.), with the user's run filter kept. */
export function queryArgs(invocation: SimulationInvocation, what: 'runnumbers' | 'runs'): string[] {
  const filter = invocation.runFilter === undefined ? [] : ['-r', invocation.runFilter];
  return [...withoutRunFilter(invocation.args), '-s', '-q', what, ...filter];
}

/**
 * Arguments that execute the given runs, as `opp_runall` builds them:
 * `<args> -s -u Cmdenv --cmdenv-redirect-output=true -r a,b,c`. Switches the user already gave are not
 * repeated, because OMNeT++ records command-line options in every result file.
 */
export function runArgs(invocation: SimulationInvocation, runNumbers: readonly number[]): string[] {
  const base = withoutRunFilter(invocation.args);
  const options = scanOptions(base);
  const extra: string[] = [];
  if (!options.some((o) => o.letter === 's')) extra.push('-s');
  if (!options.some((o) => o.letter === 'u')) extra.push('-u', 'Cmdenv');
  if (longOption(base, 'cmdenv-redirect-output') === undefined) extra.push('--cmdenv-redirect-output=true');
  return [...base, ...extra, '-r', runNumbers.join(',')];
}
