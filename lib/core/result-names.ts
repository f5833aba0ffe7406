/**
 * Where OMNeT++ writes a run's result files, so that we can checksum exactly those files and nothing
 * else. The rules mirror OMNeT++'s own (`${configname}-${iterationvarsf}#${repetition}` with the
 * filename encoding of its `opp_filenameencode`), so results land where `opp_runall` puts them.
 */
import type { IterationVariable } from './omnetpp-output.js';

/** Extensions OMNeT++ may write per run: scalars, vectors, vector index, Cmdenv output, event log. */
export const RESULT_EXTENSIONS = ['sca', 'vec', 'vci', 'out', 'elog'] as const;

const FILENAME_UNSAFE = new Set('/\\:?*<>|\'`"$%{}^&');

/** OMNeT++'s `opp_filenameencode`: `_`->`#_`, `#`->`##`, space->`_`, unsafe -> `#xx`. */
export function encodeForFilename(value: string): string {
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === ' ') out += '_';
    else if (ch === '_') out += '#_';
    else if (ch === '#') out += '##';
    else if (code < 0x20 || code >= 0x7f || FILENAME_UNSAFE.has(ch))
      out += `#${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out;
}

/** Removes one level of double quotes, as OMNeT++ does before encoding a value. */
function unquote(value: string): string {
  const trimmed = value.trim();
  if (trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"')) {
    return trimmed.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  return value;
}

/** `${iterationvarsf}`: `numHosts=10,iaMean=1-`, unnamed variables by value only, `` without any. */
export function iterationVarsF(variables: readonly IterationVariable[]): string {
  const segments = variables
    .filter((v) => v.name !== 'repetition')
    .map((v) => (/^[A-Za-z_]/.test(v.name) ? `${v.name}=` : '') + encodeForFilename(unquote(v.value)));
  return segments.length === 0 ? '' : `${segments.join(',')}-`;
}

/** The file name stem of a run's results, e.g. `AlohaCampaign-numHosts=10,iaMean=1-#0`. */
export function resultFileStem(configName: string, variables: readonly IterationVariable[]): string {
  const repetition = variables.find((v) => v.name === 'repetition')?.value ?? '0';
  return `${configName}-${iterationVarsF(variables)}#${repetition}`;
}
