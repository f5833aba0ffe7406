import { describe, expect, it } from 'vitest';
import { queryArgs, readInvocation, runArgs } from '../../../lib/core/simulation-args.js';

describe('reading the simulation command line', () => {
  it('finds config, filter, ini files and result dir', () => {
    const invocation = readInvocation([
      '-f',
      'a.ini',
      '-fb.ini',
      '-c',
      'Study',
      '-r',
      '$x==1',
      '--result-dir=out',
    ]);
    expect(invocation).toMatchObject({
      configName: 'Study',
      runFilter: '$x==1',
      iniFiles: ['a.ini', 'b.ini'],
      resultDirOption: 'out',
    });
  });

  it('defaults like OMNeT++: General and omnetpp.ini', () => {
    expect(readInvocation([])).toMatchObject({
      configName: 'General',
      iniFiles: ['omnetpp.ini'],
      runFilter: undefined,
    });
  });

  it('refuses query options, which would make every run a query', () => {
    expect(() => readInvocation(['-q', 'runs'])).toThrow(/-q, which is not a run option/);
  });

  it('refuses a graphical user interface', () => {
    expect(() => readInvocation(['-u', 'Qtenv'])).toThrow(/Cmdenv only/);
  });

  it('complains about an option without its value', () => {
    expect(() => readInvocation(['-c'])).toThrow(/option -c of the simulation needs a value/);
  });
});

describe('building argv', () => {
  const invocation = readInvocation(['-n', '../src', '-c', 'My Study', '-r', '0..9', '**.x=1;echo']);

  it('queries with the user filter kept', () => {
    expect(queryArgs(invocation, 'runnumbers')).toEqual([
      '-n',
      '../src',
      '-c',
      'My Study',
      '**.x=1;echo',
      '-s',
      '-q',
      'runnumbers',
      '-r',
      '0..9',
    ]);
  });

  it('runs like opp_runall, replacing the user filter with the runs of this process', () => {
    expect(runArgs(invocation, [3, 4])).toEqual([
      '-n',
      '../src',
      '-c',
      'My Study',
      '**.x=1;echo',
      '-s',
      '-u',
      'Cmdenv',
      '--cmdenv-redirect-output=true',
      '-r',
      '3,4',
    ]);
  });

  it('does not repeat switches the user gave, since OMNeT++ records them in the results', () => {
    const own = readInvocation(['-s', '-u', 'Cmdenv', '--cmdenv-redirect-output=true', '-c', 'A']);
    expect(runArgs(own, [0])).toEqual([
      '-s',
      '-u',
      'Cmdenv',
      '--cmdenv-redirect-output=true',
      '-c',
      'A',
      '-r',
      '0',
    ]);
  });
});
