import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSca, ScaFormatError, ScaParser, tokenizeLine } from '../../../lib/results/sca-file.js';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), 'utf8');

/** The error parseSca throws for `text`, which must be a ScaFormatError. */
function formatError(text: string): ScaFormatError {
  try {
    parseSca(text, 'results/bad.sca');
  } catch (error) {
    if (error instanceof ScaFormatError) return error;
    throw error;
  }
  throw new Error('no error thrown');
}

const HEADER = 'version 3\nrun R-0-20261124-10:00:00-1\nattr configname R\n';

describe('tokenizeLine (OMNeT++ LineTokenizer rules)', () => {
  it('splits on spaces and tabs, however many', () => {
    expect(tokenizeLine('bin\t-inf\t0')).toEqual(['bin', '-inf', '0']);
    expect(tokenizeLine('  scalar   Net.a  x:last 1  ')).toEqual(['scalar', 'Net.a', 'x:last', '1']);
  });

  it('keeps spaces inside quotes and undoes backslash escapes there', () => {
    expect(tokenizeLine('attr iterationvars "$numHosts=10, $iaMean=1"')).toEqual([
      'attr',
      'iterationvars',
      '$numHosts=10, $iaMean=1',
    ]);
    expect(tokenizeLine('par Aloha.server typename "\\"Server\\""')).toEqual([
      'par',
      'Aloha.server',
      'typename',
      '"Server"',
    ]);
    expect(tokenizeLine('attr x "tab\\there\\nline\\\\ \\x41\\x4a\\x7"')).toEqual([
      'attr',
      'x',
      'tab\there\nline\\ AJ\x07',
    ]);
    expect(tokenizeLine('attr empty ""')).toEqual(['attr', 'empty', '']);
  });

  it('leaves backslashes of unquoted tokens alone', () => {
    expect(tokenizeLine('attr path C:\\temp\\x')).toEqual(['attr', 'path', 'C:\\temp\\x']);
  });

  it('reports an unmatched quote', () => {
    expect(tokenizeLine('attr title "no end')).toBe('unmatched quote');
    expect(tokenizeLine('attr title "escaped end\\"')).toBe('unmatched quote');
  });
});

describe('parseSca', () => {
  it('reads the OMNeT++ 6.1 capture: header, parameters, scalars, histograms with their attributes', () => {
    const runs = parseSca(fixture('omnetpp-6.1/example-run0.sca'), 'example-run0.sca');
    expect(runs).toHaveLength(1);
    const [run] = runs;
    expect(run?.runName).toBe('AlohaCampaign-0-20261124-21:24:59-585');
    expect(run?.attributes.size).toBe(16);
    expect(run?.attributes.get('iterationvars')).toBe('$numHosts=10, $iaMean=1');
    expect(run?.attributes.get('runnumber')).toBe('0');
    expect([...(run?.itervars ?? [])]).toEqual([
      ['iaMean', '1'],
      ['numHosts', '10'],
    ]);
    // In file order, repeated keys included (the config's own entry, then the one it extends).
    expect(run?.config).toHaveLength(22);
    expect(run?.config[0]).toEqual(['cmdenv-redirect-output', 'true']);
    expect(run?.config.filter(([key]) => key === 'description')).toHaveLength(2);
    expect(run?.config.at(-1)).toEqual(['**.midTransmissionAnimationSpeed', '1e-1']);

    expect(run?.parameters).toHaveLength(118);
    expect(run?.parameters[0]).toEqual({
      module: 'Aloha.server',
      name: 'typename',
      value: '"Server"',
      attributes: new Map(),
    });
    expect(run?.parameters[1]).toEqual({
      module: 'Aloha.server',
      name: 'x',
      value: '548.814m',
      attributes: new Map([['unit', 'm']]),
    });

    expect(run?.scalars.map((s) => s.name)).toEqual([
      'duration',
      'collisionLength:mean',
      'collisionLength:sum',
      'collisionLength:max',
      'collidedFrames:last',
      'channelUtilization:last',
      'receivedFrames:last',
    ]);
    const utilization = run?.scalars.find((s) => s.name === 'channelUtilization:last');
    expect(utilization?.value).toBe(0.15789440694461);
    expect(utilization?.attributes).toEqual(
      new Map([
        ['interpolationmode', 'linear'],
        ['recordingmode', 'last'],
        ['source', 'timeavg(receive)'],
        ['title', 'channel utilization, last'],
      ]),
    );

    expect(run?.statistics.map((s) => s.name)).toEqual([
      'collisionLength:histogram',
      'collisionMultiplicity:histogram',
    ]);
    for (const statistic of run?.statistics ?? []) {
      // Every observation is in exactly one bin, underflow and overflow bins included.
      const total = statistic.bins.reduce((sum, bin) => sum + bin.value, 0);
      expect(total, statistic.name).toBe(statistic.fields.count);
      expect(statistic.bins[0]).toEqual({ lowerEdge: -Infinity, value: 0 });
    }
    const length = run?.statistics[0];
    expect(length?.bins).toHaveLength(72);
    expect(length?.fields).toEqual({
      count: 1650549,
      mean: 0.19785277295977,
      stddev: 0.087401338463167,
      min: 0.099166706828,
      max: 1.385569632984,
      sum: 326565.69655598,
      sqrsum: 77220.454828334,
    });
    expect(length?.attributes.get('title')).toBe('collision length');
  });

  it("reads the demo's awkward names: a quoted, unnamed iteration variable and a quoted result dir", () => {
    const [run, ...more] = parseSca(fixture('demo/odd.unnamed-quoted-itervar.sca'), 'odd.sca');
    expect(more).toEqual([]);
    expect(run?.itervars).toEqual(new Map([['0', 'uniform(0s, 1s)']]));
    expect(run?.attributes.get('resultdir')).toBe('results/odd names');
    expect(run?.scalars).toHaveLength(7);
    expect(run?.parameters).toHaveLength(13);
    expect(run?.statistics.map((s) => [s.name, s.bins.length > 0])).toEqual([
      ['waitingTime:stats', false],
      ['waitingTime:stats', false],
      ['lifeTime:histogram', true],
    ]);
  });

  it('reads several runs from one file, each with only its own items', () => {
    const text =
      'version 3\n' +
      'run A-0\nattr runnumber 0\nitervar x 1\nconfig repeat 2\n\nscalar Net a 1\nattr unit s\n' +
      'run A-1\nattr runnumber 1\nitervar x 2\n\nscalar Net a 2\nscalar Net b 3\n';
    const runs = parseSca(text, 'two.sca');
    expect(runs.map((r) => [r.runName, r.itervars.get('x'), r.scalars.map((s) => s.value)])).toEqual([
      ['A-0', '1', [1]],
      ['A-1', '2', [2, 3]],
    ]);
    expect(runs[0]?.scalars[0]?.attributes).toEqual(new Map([['unit', 's']]));
    expect(runs[1]?.config).toEqual([]);
    expect(runs[1]?.attributes).toEqual(new Map([['runnumber', '1']]));
  });

  it('streams: a run comes out as soon as the next one starts, the last one at the end', () => {
    const parser = new ScaParser('stream.sca');
    expect(parser.line('version 3')).toBeNull();
    expect(parser.line('run A-0')).toBeNull();
    expect(parser.line('scalar Net a 1\r')).toBeNull();
    expect(parser.line('run A-1')?.runName).toBe('A-0');
    expect(parser.end()?.runName).toBe('A-1');
    expect(parser.end()).toBeNull();
  });

  it('reads the non-finite values OMNeT++ writes, and comment lines', () => {
    const [run] = parseSca(
      `${HEADER}# a comment\nscalar Net a nan\nscalar Net b inf\nscalar Net c -inf\nscalar Net d 1e-06\n`,
      'x.sca',
    );
    expect(run?.scalars.map((s) => s.value)).toEqual([NaN, Infinity, -Infinity, 1e-6]);
  });

  it('merges bins whose edges print the same, as OMNeT++ does', () => {
    const [run] = parseSca(
      `${HEADER}statistic Net h\nfield count 6\nbin -inf 0\nbin 0 1\nbin 0.1 2\nbin 0.1 3\nbin 0.2 0\n`,
      'x.sca',
    );
    expect(run?.statistics[0]?.bins).toEqual([
      { lowerEdge: -Infinity, value: 0 },
      { lowerEdge: 0, value: 1 },
      { lowerEdge: 0.1, value: 5 },
      { lowerEdge: 0.2, value: 0 },
    ]);
  });

  it('is empty for a file without runs', () => {
    expect(parseSca('version 3\n\n', 'empty.sca')).toEqual([]);
    expect(parseSca('', 'empty.sca')).toEqual([]);
  });

  describe('malformed input: an error naming the file and the line', () => {
    const cases: [string, string, number, RegExp][] = [
      ['a scalar that is not a number', `${HEADER}scalar Net a 12abc\n`, 4, /invalid scalar value '12abc'/],
      ['a scalar line without its value', `${HEADER}scalar Net a\n`, 4, /incorrect 'scalar' line/],
      ['an unmatched quote', `${HEADER}attr title "collision\n`, 4, /unmatched quote/],
      ['an item before any run', 'version 3\nscalar Net a 1\n', 2, /stray 'scalar' line/],
      ['a field outside a statistic', `${HEADER}scalar Net a 1\nfield count 3\n`, 5, /stray 'field' line/],
      ['a count that is not whole', `${HEADER}statistic Net s\nfield count 2.5\n`, 5, /invalid count '2.5'/],
      [
        'decreasing bin edges',
        `${HEADER}statistic Net h\nbin 1 0\nbin 0.5 1\n`,
        6,
        /bin edges must be increasing/,
      ],
      ['an itervar after the results began', `${HEADER}scalar Net a 1\nitervar x 1\n`, 5, /stray 'itervar'/],
      ['an unsupported version', 'version 4\n', 1, /unsupported file version 4/],
      ['a line of something else', `${HEADER}<html>\n`, 4, /unrecognized line '<html>'/],
    ];
    it.each(cases)('%s', (_name, text, line, reason) => {
      const error = formatError(text);
      expect(error.file).toBe('results/bad.sca');
      expect(error.line).toBe(line);
      expect(error.message).toMatch(new RegExp(`^results/bad\\.sca:${line}: `));
      expect(error.message).toMatch(reason);
    });
  });

  it('counts lines from 1 across CRLF line ends', () => {
    expect(formatError('version 3\r\nrun R\r\nscalar Net a x\r\n').line).toBe(3);
  });
});
