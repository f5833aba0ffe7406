import { describe, expect, it } from 'vitest';
import { resolveResultDir } from '../../../lib/core/result-dir.js';
import { readInvocation } from '../../../lib/core/simulation-args.js';

const files = (map: Record<string, string>) => (file: string) => map[file];

describe('result directory', () => {
  it('uses --result-dir relative to the working directory', () => {
    expect(resolveResultDir(readInvocation(['--result-dir=out/x']), '/w', files({}))).toBe('/w/out/x');
  });

  it('defaults to results beside the ini file', () => {
    const ini = files({ '/w/sims/my.ini': '[General]\nnetwork = Net\n' });
    expect(resolveResultDir(readInvocation(['-f', 'sims/my.ini']), '/w', ini)).toBe('/w/sims/results');
  });

  it('follows the config chain to the nearest result-dir', () => {
    const ini = files({
      '/w/omnetpp.ini':
        '[General]\nresult-dir = "general"\n[Config Base]\nresult-dir = base # comment\n[Config Study]\nextends = Base\n',
    });
    expect(resolveResultDir(readInvocation(['-c', 'Study']), '/w', ini)).toBe('/w/base');
    expect(resolveResultDir(readInvocation(['-c', 'Other']), '/w', ini)).toBe('/w/general');
  });

  it('reads included ini files', () => {
    const ini = files({
      '/w/omnetpp.ini': 'include common/base.ini\n',
      '/w/common/base.ini': '[General]\nresult-dir = r\n',
    });
    expect(resolveResultDir(readInvocation([]), '/w', ini)).toBe('/w/common/r');
  });

  it('refuses a result-dir with variables rather than guessing', () => {
    const ini = files({ '/w/omnetpp.ini': '[General]\nresult-dir = results/${configname}\n' });
    expect(() => resolveResultDir(readInvocation([]), '/w', ini)).toThrow(/pass --result-dir=DIR instead/);
  });

  it('reports a missing ini file', () => {
    expect(() => resolveResultDir(readInvocation(['-f', 'nope.ini']), '/w', files({}))).toThrow(
      /cannot read ini file \/w\/nope.ini/,
    );
  });
});
