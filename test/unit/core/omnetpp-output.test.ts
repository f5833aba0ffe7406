import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  alertLines,
  parseCmdenvOutput,
  parseRunDescriptions,
  parseRunNumbers,
  startedRunsInBatch,
} from '../../../lib/core/omnetpp-output.js';

const reference = (name: string) =>
  readFileSync(new URL(`../../fixtures/omnetpp-6.1/${name}`, import.meta.url), 'utf8');

describe('query output parsing', () => {
  it('reads the one-line run number list with its leading space', () => {
    expect(parseRunNumbers(' 0 1 2 3 4 60\n')).toEqual([0, 1, 2, 3, 4, 60]);
  });

  it('reads an empty selection as no runs', () => {
    expect(parseRunNumbers('\n')).toEqual([]);
  });

  it('rejects anything that is not a run number', () => {
    expect(() => parseRunNumbers(' 0 1 x\n')).toThrow(/unexpected token 'x'/);
  });

  it('reads -q runs lines as captured from OMNeT++ 6.1', () => {
    const runs = parseRunDescriptions(
      'Run 0: $numHosts=10, $iaMean=1, $repetition=0\nRun 3: $numHosts=10, $iaMean=2, $repetition=0\n',
    );
    expect(runs).toEqual([
      {
        runNumber: 0,
        text: '$numHosts=10, $iaMean=1, $repetition=0',
        variables: [
          { name: 'numHosts', value: '10' },
          { name: 'iaMean', value: '1' },
          { name: 'repetition', value: '0' },
        ],
      },
      {
        runNumber: 3,
        text: '$numHosts=10, $iaMean=2, $repetition=0',
        variables: [
          { name: 'numHosts', value: '10' },
          { name: 'iaMean', value: '2' },
          { name: 'repetition', value: '0' },
        ],
      },
    ]);
  });

  it('keeps values that contain commas and spaces together', () => {
    const [run] = parseRunDescriptions('Run 1: $0=uniform(0s, 2s), $repetition=1\n');
    expect(run?.variables).toEqual([
      { name: '0', value: 'uniform(0s, 2s)' },
      { name: 'repetition', value: '1' },
    ]);
  });

  it('collects <!> lines from a query error', () => {
    const stderr =
      "\n<!> Error: Cannot evaluate run filter: Cannot evaluate expression 'numHosts==20': No such variable: 'numHosts'\nSetting up Cmdenv...\n";
    expect(alertLines(stderr)).toEqual([
      "<!> Error: Cannot evaluate run filter: Cannot evaluate expression 'numHosts==20': No such variable: 'numHosts'",
    ]);
  });
});

describe('Cmdenv output parsing', () => {
  it('takes events, simulated time and termination from a real .out', () => {
    const parsed = parseCmdenvOutput(reference('example-run0.out'));
    expect(parsed.progress).toEqual({ events: 22439170, simTime: '720000', elapsedSeconds: 6.5992 });
    expect(parsed.termination).toBe('<!> Simulation time limit reached -- at t=720000s, event #22439170');
    expect(parsed.errors).toEqual([]);
  });

  it('reports the error of a failed run', () => {
    const parsed = parseCmdenvOutput(
      '** Event #0   t=0   Elapsed: 1e-05s (0m 00s)\n\n<!> Error: Queue overflow -- in module (Queue) Net.queue[2] (id=5), at t=12.5s, event #1234\n',
    );
    expect(parsed.errors).toEqual([
      '<!> Error: Queue overflow -- in module (Queue) Net.queue[2] (id=5), at t=12.5s, event #1234',
    ]);
    expect(parsed.termination).toBe(parsed.errors[0]);
  });

  it('lists the runs a batch announced, in order', () => {
    const log = reference('opp_runall-j2-log-excerpt.txt');
    expect(startedRunsInBatch(log).slice(0, 4)).toEqual([0, 5, 6, 1]);
  });
});
