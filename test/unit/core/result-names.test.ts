import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseRunDescriptions } from '../../../lib/core/omnetpp-output.js';
import { encodeForFilename, iterationVarsF, resultFileStem } from '../../../lib/core/result-names.js';

describe('result file names', () => {
  it('matches the names OMNeT++ 6.1 wrote for AlohaCampaign', () => {
    const names = readFileSync(
      new URL('../../fixtures/omnetpp-6.1/result-file-names.txt', import.meta.url),
      'utf8',
    );
    const [run1] = parseRunDescriptions('Run 1: $numHosts=10, $iaMean=1, $repetition=1\n');
    expect(names).toContain(`${resultFileStem('AlohaCampaign', run1?.variables ?? [])}.sca`);
    expect(resultFileStem('AlohaCampaign', run1?.variables ?? [])).toBe(
      'AlohaCampaign-numHosts=10,iaMean=1-#1',
    );
  });

  it('names unnamed variables by their value only', () => {
    expect(
      resultFileStem('Broken', [
        { name: '0', value: 'bogus(1s)' },
        { name: 'repetition', value: '0' },
      ]),
    ).toBe('Broken-bogus(1s)-#0');
  });

  it('leaves the iteration part empty for a config without variables', () => {
    expect(iterationVarsF([{ name: 'repetition', value: '0' }])).toBe('');
    expect(resultFileStem('Quick', [{ name: 'repetition', value: '2' }])).toBe('Quick-#2');
  });

  it('encodes characters the way opp_filenameencode does', () => {
    expect(encodeForFilename('uniform(0s, 2s)')).toBe('uniform(0s,_2s)');
    expect(encodeForFilename('a_b#c')).toBe('a#_b##c');
    expect(encodeForFilename('x/y:z')).toBe('x#2fy#3az');
  });

  it('drops the quotes of a string value', () => {
    expect(iterationVarsF([{ name: 'app', value: '"UdpBasicApp"' }])).toBe('app=UdpBasicApp-');
  });
});
