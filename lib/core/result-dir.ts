/**
 * Which directory a campaign's results go to, decided the way OMNeT++ decides it: `--result-dir=` on the
 * command line (relative to the working directory), else the `result-dir` entry of the selected config's
 * section chain in the ini files (relative to the ini file), else `results` beside the first ini file.
 */
import path from 'node:path';
import { CampaignInputError } from './errors.js';
import type { SimulationInvocation } from './simulation-args.js';

interface IniEntry {
  readonly key: string;
  readonly value: string;
  readonly file: string;
}

interface IniSections {
  /** Section name (`General`, or the config name) -> entries in file order. */
  readonly sections: Map<string, IniEntry[]>;
}

/** Reads the parts of an ini file we need: sections, keys, `include`. Values keep their quotes. */
export function parseIni(
  file: string,
  readFile: (file: string) => string | undefined,
  into: IniSections = { sections: new Map() },
  seen = new Set<string>(),
): IniSections {
  if (seen.has(file)) return into;
  seen.add(file);
  const text = readFile(file);
  if (text === undefined) throw new CampaignInputError(`cannot read ini file ${file}`);
  let current = 'General';
  for (const raw of text.split('\n')) {
    const line = stripComment(raw).trim();
    if (line === '') continue;
    const section = /^\[(?:Config\s+)?([^\]]+)\]$/.exec(line);
    if (section) {
      current = (section[1] ?? '').trim();
      continue;
    }
    const include = /^include\s+(.+)$/.exec(line);
    if (include) {
      parseIni(path.resolve(path.dirname(file), (include[1] ?? '').trim()), readFile, into, seen);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const entries = into.sections.get(current) ?? [];
    entries.push({ key: line.slice(0, eq).trim(), value: line.slice(eq + 1).trim(), file });
    into.sections.set(current, entries);
  }
  return into;
}

function stripComment(line: string): string {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === '"' && line[i - 1] !== '\\') quoted = !quoted;
    if (ch === '#' && !quoted) return line.slice(0, i);
  }
  return line;
}

/** The config, the configs it extends (depth first, in order), then General. */
function sectionChain(ini: IniSections, configName: string): string[] {
  const chain: string[] = [];
  const visit = (name: string) => {
    if (chain.includes(name) || name === 'General') return;
    chain.push(name);
    const extendsEntry = ini.sections.get(name)?.find((e) => e.key === 'extends');
    for (const parent of extendsEntry?.value.split(',') ?? []) visit(parent.trim());
  };
  visit(configName);
  chain.push('General');
  return chain;
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}

/** Absolute path of the directory the program writes this campaign's result files to. */
export function resolveResultDir(
  invocation: SimulationInvocation,
  workingDir: string,
  readFile: (file: string) => string | undefined,
): string {
  if (invocation.resultDirOption !== undefined) {
    return path.resolve(workingDir, unquote(invocation.resultDirOption));
  }
  const iniPaths = invocation.iniFiles.map((f) => path.resolve(workingDir, f));
  const ini: IniSections = { sections: new Map() };
  for (const file of iniPaths) parseIni(file, readFile, ini);
  for (const section of sectionChain(ini, invocation.configName)) {
    const entries = ini.sections.get(section) ?? [];
    if (entries.some((e) => e.key === 'resultdir-subdivision' && unquote(e.value) === 'true')) {
      throw new CampaignInputError(
        `resultdir-subdivision = true (in [${section}]) is not supported yet; its per-run folders cannot be tracked`,
      );
    }
    const entry = entries.find((e) => e.key === 'result-dir');
    if (entry) {
      const value = unquote(entry.value);
      if (value.includes('${')) {
        throw new CampaignInputError(
          `result-dir = ${entry.value} (in ${entry.file}) uses variables, which inet-swarm cannot resolve before running; pass --result-dir=DIR instead`,
        );
      }
      return path.resolve(path.dirname(entry.file), value);
    }
  }
  return path.resolve(path.dirname(iniPaths[0] ?? path.join(workingDir, 'omnetpp.ini')), 'results');
}
