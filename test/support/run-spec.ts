import type { RunSpec } from '../../lib/core/campaign.js';

/** A run of config `C` with one variable `x` and a repetition, as planning would produce it. */
export function runSpec(
  runNumber: number,
  x = String(runNumber),
  repetition = '0',
  configName = 'C',
): RunSpec {
  const variables = [
    { name: 'x', value: x },
    { name: 'repetition', value: repetition },
  ];
  return {
    runNumber,
    configName,
    variables,
    description: `$x=${x}, $repetition=${repetition}`,
    resultStem: `${configName}-x=${x}-#${repetition}`,
  };
}
