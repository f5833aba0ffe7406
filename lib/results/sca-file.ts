/**
 * A reader of OMNeT++ scalar files (`.sca`, text format version 2 and 3, as OMNeT++ 6.1 writes them).
 * It follows OMNeT++'s own loader (src/scave/omnetppresultfileloader.cc) and tokenizer
 * (src/common/linetokenizer.cc) rather than the manual's prose, so that whatever the IDE and
 * opp_scavetool accept is read the same way here: `attr` lines belong to the item above them (the run,
 * or the last scalar/par/statistic), `field` and `bin` lines to the statistic above them, `#` starts a
 * comment line, vector declarations and data lines are skipped, anything else is an error.
 *
 * Pure: it sees lines, not files. `ScaParser` takes one line at a time so that a large file can be
 * streamed; `parseSca` reads a whole text.
 */

/** A file's content does not follow the format; carries where. */
export class ScaFormatError extends Error {
  override readonly name = 'ScaFormatError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
  }
}

export interface ScaScalar {
  readonly module: string;
  readonly name: string;
  /** NaN and +-Infinity are legal values (`nan`, `inf`, `-inf` in the file). */
  readonly value: number;
  readonly attributes: ReadonlyMap<string, string>;
}

/** A `par` line: a module parameter's value as text (`exponential(1s)`, `"\"Host\""`, `9600bps`). */
export interface ScaParameter {
  readonly module: string;
  readonly name: string;
  readonly value: string;
  readonly attributes: ReadonlyMap<string, string>;
}

/** The `field` names OMNeT++ writes; others are ignored, as OMNeT++ ignores them. */
export const STATISTIC_FIELDS = [
  'count',
  'mean',
  'stddev',
  'min',
  'max',
  'sum',
  'sqrsum',
  'weights',
  'weightedSum',
  'sqrSumWeights',
  'weightedSqrSum',
] as const;
export type StatisticField = (typeof STATISTIC_FIELDS)[number];

export interface HistogramBin {
  /** The first bin's edge is -Infinity (underflows); the last bin holds the overflows. */
  readonly lowerEdge: number;
  readonly value: number;
}

/** A `statistic` with its `field` lines; a histogram when it has `bin` lines. */
export interface ScaStatistic {
  readonly module: string;
  readonly name: string;
  readonly fields: Readonly<Partial<Record<StatisticField, number>>>;
  readonly bins: readonly HistogramBin[];
  readonly attributes: ReadonlyMap<string, string>;
}

/** One `run` of a file with everything recorded under it. */
export interface ScaRun {
  /** The `run` line's id, e.g. `AlohaCampaign-0-20261124-21:24:59-585`: unique per execution. */
  readonly runName: string;
  readonly attributes: ReadonlyMap<string, string>;
  readonly itervars: ReadonlyMap<string, string>;
  /** `config` lines in file order; keys repeat (an entry of the config and of the one it extends). */
  readonly config: readonly (readonly [key: string, value: string])[];
  readonly scalars: readonly ScaScalar[];
  readonly parameters: readonly ScaParameter[];
  readonly statistics: readonly ScaStatistic[];
}

const SEPARATORS = /[ \t]+/;

/**
 * Splits a line into tokens as OMNeT++'s LineTokenizer does: separated by spaces and tabs; a token in
 * double quotes may contain them, with backslash escapes (`\"`, `\\`, `\n`, `\t`, `\xHH`...) undone.
 * @returns the tokens, or a string describing the problem
 */
export function tokenizeLine(line: string): string[] | string {
  // Most lines quote nothing; splitting them is several times faster than the loop below.
  if (!line.includes('"')) return line.split(SEPARATORS).filter((token) => token !== '');
  const tokens: string[] = [];
  let i = 0;
  while (i < line.length) {
    const ch = line[i];
    if (ch === ' ' || ch === '\t') {
      i++;
      continue;
    }
    if (ch === '"') {
      let token = '';
      i++;
      while (i < line.length && line[i] !== '"') {
        if (line[i] !== '\\') {
          token += line[i++];
          continue;
        }
        i++;
        const escaped = unescape(line, i);
        token += escaped.text;
        i = escaped.next;
      }
      if (i >= line.length) return 'unmatched quote';
      i++; // the closing quote; like OMNeT++, whatever follows it starts the next token
      tokens.push(token);
      continue;
    }
    const start = i;
    while (i < line.length && line[i] !== ' ' && line[i] !== '\t') i++;
    tokens.push(line.slice(start, i));
  }
  return tokens;
}

const ESCAPES: Readonly<Record<string, string>> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** The escape sequence whose backslash is just before `i` (opp_parsequotedstr's rules). */
function unescape(line: string, i: number): { text: string; next: number } {
  const ch = line[i];
  if (ch === undefined) return { text: '', next: i }; // a stray backslash at the end
  if (ch === 'x') {
    // Up to two hex digits; none gives a NUL character, as in OMNeT++.
    const hex = /^[0-9a-fA-F]{0,2}/.exec(line.slice(i + 1, i + 3))?.[0] ?? '';
    return { text: String.fromCharCode(hex === '' ? 0 : parseInt(hex, 16)), next: i + 1 + hex.length };
  }
  return { text: ESCAPES[ch] ?? ch, next: i + 1 };
}

/** OMNeT++ writes doubles with `%.14g`, and non-finite ones as `nan`, `inf`, `-inf`. */
function parseDouble(token: string): number | null {
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(token);
  if (special !== null) {
    if (special[2]?.toLowerCase() === 'nan') return NaN;
    return special[1] === '-' ? -Infinity : Infinity;
  }
  if (token === '' || /\s/.test(token)) return null;
  const value = Number(token);
  return Number.isNaN(value) ? null : value;
}

interface ItemBase {
  module: string;
  name: string;
  attributes: Map<string, string>;
}
type Item =
  | (ItemBase & { kind: 'scalar'; value: number })
  | (ItemBase & { kind: 'parameter'; value: string })
  | (ItemBase & { kind: 'statistic'; fields: Partial<Record<StatisticField, number>>; bins: HistogramBin[] })
  /** Declared in a .sca only by mistake; read and dropped, as it has no place in a scalar index. */
  | (ItemBase & { kind: 'vector' });

interface RunUnderConstruction {
  runName: string;
  attributes: Map<string, string>;
  itervars: Map<string, string>;
  config: [string, string][];
  scalars: ScaScalar[];
  parameters: ScaParameter[];
  statistics: ScaStatistic[];
}

const STATISTIC_FIELD_SET: ReadonlySet<string> = new Set(STATISTIC_FIELDS);

/** Reads a scalar file one line at a time; runs come out as soon as they are complete. */
export class ScaParser {
  private lineNumber = 0;
  private run: RunUnderConstruction | null = null;
  private item: Item | null = null;

  /** @param file the name errors carry (a path relative to the result directory reads best) */
  constructor(private readonly file: string) {}

  /**
   * Feeds the next line (a trailing `\r` is ignored).
   * @returns the previous run once a `run` line starts the next one, else null
   * @throws ScaFormatError
   */
  line(text: string): ScaRun | null {
    this.lineNumber++;
    const tokens = tokenizeLine(text.endsWith('\r') ? text.slice(0, -1) : text);
    if (typeof tokens === 'string') this.fail(tokens);
    const [keyword, ...args] = tokens;
    if (keyword === undefined || keyword.startsWith('#')) return null;
    switch (keyword) {
      case 'version': {
        this.expect(args.length === 1, "incorrect 'version' line -- version <number> expected");
        this.expect(
          args[0] === '2' || args[0] === '3',
          `unsupported file version ${args[0]} (version 2 or version 3 expected)`,
        );
        return null;
      }
      case 'run': {
        this.expect(args.length === 1, "incorrect 'run' line -- run <runId> expected");
        const finished = this.finishRun();
        this.run = {
          runName: args[0] as string,
          attributes: new Map(),
          itervars: new Map(),
          config: [],
          scalars: [],
          parameters: [],
          statistics: [],
        };
        return finished;
      }
      case 'attr': {
        this.expect(this.run !== null, "stray 'attr' line, must be under a 'run'");
        this.expect(args.length === 2, "incorrect 'attr' line -- attr <name> <value> expected");
        (this.item ?? this.currentRun()).attributes.set(args[0] as string, args[1] as string);
        return null;
      }
      case 'itervar':
      case 'config':
      case 'param': {
        // `param` is the pre-5.0 spelling of `config`, which OMNeT++ still reads as such.
        this.expect(
          this.run !== null && this.item === null,
          `stray '${keyword}' line, must be under a 'run' line`,
        );
        this.expect(args.length === 2, `incorrect '${keyword}' line -- ${keyword} <name> <value> expected`);
        const [name, value] = args as [string, string];
        if (keyword === 'itervar') this.currentRun().itervars.set(name, value);
        else this.currentRun().config.push([name, value]);
        return null;
      }
      case 'scalar': {
        this.startItem(keyword);
        this.expect(args.length === 3, "incorrect 'scalar' line -- scalar <module> <name> <value> expected");
        const value = parseDouble(args[2] as string);
        this.expect(value !== null, `invalid scalar value '${args[2]}'`);
        this.item = { kind: 'scalar', ...this.named(args), value };
        return null;
      }
      case 'par': {
        this.startItem(keyword);
        this.expect(args.length === 3, "incorrect 'par' line -- par <module> <name> <value> expected");
        this.item = { kind: 'parameter', ...this.named(args), value: args[2] as string };
        return null;
      }
      case 'statistic': {
        this.startItem(keyword);
        this.expect(args.length === 2, "incorrect 'statistic' line -- statistic <module> <name> expected");
        this.item = { kind: 'statistic', ...this.named(args), fields: {}, bins: [] };
        return null;
      }
      case 'vector': {
        this.startItem(keyword);
        this.expect(
          args.length === 3 || args.length === 4,
          "incorrect 'vector' line -- vector <id> <module> <name> [<columns>] expected",
        );
        this.item = { kind: 'vector', ...this.named(args.slice(1)) };
        return null;
      }
      case 'field': {
        const statistic = this.item?.kind === 'statistic' ? this.item : null;
        this.expect(statistic !== null, "stray 'field' line, must be under a 'statistic'");
        this.expect(args.length === 2, "incorrect 'field' line -- field <name> <value> expected");
        const value = parseDouble(args[1] as string);
        this.expect(value !== null, `invalid field value '${args[1]}'`);
        const name = args[0] as string;
        // A count is what every consumer divides by: anything but a whole number means a damaged file.
        this.expect(
          name !== 'count' || (Number.isInteger(value) && value >= 0),
          `invalid count '${args[1]}'`,
        );
        if (STATISTIC_FIELD_SET.has(name)) statistic.fields[name as StatisticField] = value;
        return null;
      }
      case 'bin': {
        const statistic = this.item?.kind === 'statistic' ? this.item : null;
        this.expect(statistic !== null, "stray 'bin' line, must be under a 'statistic'");
        this.expect(args.length === 2, "incorrect 'bin' line -- bin <lowerEdge> <value> expected");
        const lowerEdge = parseDouble(args[0] as string);
        const value = parseDouble(args[1] as string);
        // NaN passes OMNeT++'s reader but no writer produces it, and its SQLite schema cannot hold it.
        this.expect(lowerEdge !== null && !Number.isNaN(lowerEdge), `invalid bin edge '${args[0]}'`);
        this.expect(value !== null && !Number.isNaN(value), `invalid bin value '${args[1]}'`);
        this.addBin(statistic, lowerEdge, value);
        return null;
      }
      default:
        // Vector data (`<id> <event> <time> <value>`) can only be skipped; anything else is not ours.
        this.expect(
          /^\d/.test(keyword) && (args.length === 2 || args.length === 3),
          `unrecognized line '${text.length > 60 ? `${text.slice(0, 60)}...` : text}'`,
        );
        return null;
    }
  }

  /** Ends the input. @returns the last run, if the file had any */
  end(): ScaRun | null {
    return this.finishRun();
  }

  private addBin(statistic: Extract<Item, { kind: 'statistic' }>, lowerEdge: number, value: number): void {
    const last = statistic.bins.at(-1);
    if (last === undefined || lowerEdge > last.lowerEdge) {
      statistic.bins.push({ lowerEdge, value });
      return;
    }
    // Nearly equal edges printed with too few digits come out the same: OMNeT++ merges those bins.
    this.expect(lowerEdge === last.lowerEdge, 'bin edges must be increasing');
    statistic.bins[statistic.bins.length - 1] = { lowerEdge, value: last.value + value };
  }

  private named(args: readonly string[]): ItemBase {
    return { module: args[0] as string, name: args[1] as string, attributes: new Map() };
  }

  private startItem(keyword: string): void {
    this.expect(this.run !== null, `stray '${keyword}' line, must be under a 'run'`);
    this.finishItem();
  }

  private finishItem(): void {
    const item = this.item;
    this.item = null;
    if (item === null) return;
    const run = this.currentRun();
    const { module, name, attributes } = item;
    switch (item.kind) {
      case 'scalar':
        run.scalars.push({ module, name, value: item.value, attributes });
        break;
      case 'parameter':
        run.parameters.push({ module, name, value: item.value, attributes });
        break;
      case 'statistic':
        run.statistics.push({ module, name, fields: item.fields, bins: item.bins, attributes });
        break;
      case 'vector':
        break;
    }
  }

  private finishRun(): ScaRun | null {
    if (this.run === null) return null;
    this.finishItem();
    const run = this.run;
    this.run = null;
    return run;
  }

  private currentRun(): RunUnderConstruction {
    if (this.run === null) this.fail("line must be preceded by a 'run' line");
    return this.run;
  }

  private expect(condition: boolean, reason: string): asserts condition {
    if (!condition) this.fail(reason);
  }

  private fail(reason: string): never {
    throw new ScaFormatError(this.file, this.lineNumber, reason);
  }
}

/**
 * Every run of a scalar file's text.
 * @param file the name errors carry
 * @throws ScaFormatError
 */
export function parseSca(text: string, file: string): ScaRun[] {
  const parser = new ScaParser(file);
  const runs: ScaRun[] = [];
  const lines = text.split('\n');
  // The text of a complete file ends with a newline, which leaves an empty last element.
  if (lines.at(-1) === '') lines.pop();
  for (const line of lines) {
    const run = parser.line(line);
    if (run !== null) runs.push(run);
  }
  const last = parser.end();
  if (last !== null) runs.push(last);
  return runs;
}
