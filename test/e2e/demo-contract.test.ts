/**
 * The demo simulation (examples/demo) must honour the OMNeT++ 6.1 command-line and result-file
 * contract, so that code driving it drives the real `opp_run`/`inet` unchanged. Query outputs are
 * compared with captures from a real OMNeT++ 6.1 (test/fixtures/omnetpp-6.1), using an ini file
 * that mirrors the one those captures were made with.
 */
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../support/repo.js';
import { beforeAll, describe, expect, it } from 'vitest';

const demoDir = path.join(repoRoot, 'examples/demo');
const demoBin = path.join(demoDir, 'demo');
const demoIni = path.join(demoDir, 'omnetpp.ini');
const batch = ['-s', '-u', 'Cmdenv', '--cmdenv-redirect-output=true'];

interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function demo(args: readonly string[], cwd = demoDir): Result {
  const r = spawnSync(demoBin, args, { cwd, encoding: 'utf8' });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tempDir(label: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `demo-contract-${label}-`));
}

function read(file: string): string {
  return readFileSync(file, 'utf8');
}

/** Event count and simulation time from the last `** Event #N   t=T` status line. */
function finalEvent(out: string): { events: number; time: string } {
  const last = out
    .split('\n')
    .filter((line) => line.startsWith('** Event #'))
    .at(-1);
  const m = /^\*\* Event #(\d+)\s+t=(\S+)\s+Elapsed: /.exec(last ?? '');
  if (!m) throw new Error(`no status line in:\n${out}`);
  return { events: Number(m[1]), time: m[2] ?? '' };
}

/** `Run 3: $a=1, $repetition=0` lines -> run number -> variable values. */
function runTable(stdout: string): Map<number, Record<string, string>> {
  const table = new Map<number, Record<string, string>>();
  for (const line of stdout.split('\n')) {
    const m = /^Run (\d+): (.*)$/.exec(line);
    if (!m) continue;
    const vars: Record<string, string> = {};
    for (const part of (m[2] ?? '').split(', $')) {
      const eq = part.indexOf('=');
      vars[part.slice(0, eq).replace(/^\$/, '')] = part.slice(eq + 1);
    }
    table.set(Number(m[1]), vars);
  }
  return table;
}

/**
 * Checks every index line of a .vci against the bytes of its .vec and returns the number of blocks.
 * Also checks that the blocks cover every data line of the .vec exactly once.
 */
function checkVectorIndex(vecFile: string): number {
  const vec = readFileSync(vecFile);
  const index = read(vecFile.replace(/\.vec$/, '.vci')).split('\n');
  const fingerprint = /^file (\d+) (\d+) *$/.exec(index[0] ?? '');
  expect(index[0]).toHaveLength(64);
  expect(Number(fingerprint?.[1])).toBe(vec.length);
  expect(Number(fingerprint?.[2])).toBe(Math.floor(statSync(vecFile).mtimeMs / 1000));
  expect(index[1]).toBe('version 3');

  let covered = 0;
  const blocks = index.filter((line) => /^\d+\t/.test(line));
  for (const block of blocks) {
    const [id, rest] = block.split('\t');
    const [offset, length, firstEvent, lastEvent, firstTime, lastTime, count, min, max, sum] = (
      rest ?? ''
    ).split(' ');
    const start = Number(offset);
    const bytes = vec.subarray(start, start + Number(length)).toString('utf8');
    expect(start === 0 || vec[start - 1] === 0x0a).toBe(true);
    expect(bytes.endsWith('\n')).toBe(true);
    const rows = bytes
      .slice(0, -1)
      .split('\n')
      .map((row) => row.split('\t'));
    expect(rows.every((row) => row[0] === id && row.length === 4)).toBe(true);
    expect(rows).toHaveLength(Number(count));
    expect(rows[0]?.[1]).toBe(firstEvent);
    expect(rows.at(-1)?.[1]).toBe(lastEvent);
    expect(rows[0]?.[2]).toBe(firstTime);
    expect(rows.at(-1)?.[2]).toBe(lastTime);
    const values = rows.map((row) => Number(row[3]));
    expect(Math.min(...values)).toBe(Number(min));
    expect(Math.max(...values)).toBe(Number(max));
    expect(values.reduce((a, b) => a + b, 0)).toBeCloseTo(Number(sum), 6);
    covered += Number(length);
  }
  const dataBytes = vec
    .toString('utf8')
    .split('\n')
    .filter((line) => /^\d+\t/.test(line))
    .reduce((n, line) => n + line.length + 1, 0);
  expect(covered).toBe(dataBytes);
  return blocks.length;
}

beforeAll(() => {
  execFileSync('make', ['-s', '-C', demoDir], { stdio: 'inherit' });
});

describe('queries reproduce the output of OMNeT++ 6.1', () => {
  // The ini file the reference captures were made with (the Aloha sample's campaign), as far as the
  // captures show it; `network` does not exist in the demo, which queries do not need.
  const campaignIni = `[General]
network = Aloha
Aloha.numHosts = 20
Aloha.slotTime = 0s    # no slots
Aloha.txRate = 9.6kbps
Aloha.host[*].pkLenBits = 952b #=119 bytes
**.x = uniform(0m, 1000m)
**.y = uniform(0m, 1000m)
**.animationHoldTimeOnCollision = 0s
**.idleAnimationSpeed = 1
**.transmissionEdgeAnimationSpeed = 1e-6
**.midTransmissionAnimationSpeed = 1e-1

[Config PureAloha1]
[Config PureAloha2]
[Config PureAloha3]

[Config PureAlohaExperiment]
description = "Channel utilization in the function of packet generation frequency"
repeat = 2
sim-time-limit = 90min
Aloha.numHosts = \${numHosts=10,15,20}
Aloha.host[*].iaTime = exponential(\${iaMean=1,2,3,4,5,7,9}s)

[Config SlottedAloha1]
[Config SlottedAloha2]
[Config SlottedAloha3]

[Config AlohaCampaign]
description = "PureAlohaExperiment grid (numHosts x iaMean), 3 reps, long sim time, no vectors"
extends = PureAlohaExperiment
repeat = 3
sim-time-limit = 200h
**.vector-recording = false

[Config AlohaCampaignSkewed]
repeat = 2
Aloha.numHosts = \${numHosts=10..29}
`;
  let dir = '';
  const reference = new Map<string, string>();
  const base = ['-n', '.', '-f', 'campaign.ini', '-c', 'AlohaCampaign'];

  beforeAll(() => {
    dir = tempDir('aloha');
    writeFileSync(path.join(dir, 'campaign.ini'), campaignIni);
    let command = '';
    let lines: string[] = [];
    const flush = (): void => {
      if (command) reference.set(command, lines.join('\n').replace(/\n+$/, '') + '\n');
    };
    for (const line of read(path.join(repoRoot, 'test/fixtures/omnetpp-6.1/query-outputs.txt')).split('\n')) {
      if (line.startsWith('$ ')) {
        flush();
        command = line;
        lines = [];
      } else lines.push(line);
    }
    flush();
  });

  const expected = (command: string): string => {
    const text = reference.get(command);
    if (text === undefined) throw new Error(`no reference output for: ${command}`);
    return text;
  };
  /** stdout without the 4 banner lines, whose text names the demo instead of OMNeT++. */
  const afterBanner = (stdout: string): string => stdout.split('\n').slice(4).join('\n');

  it('-q numruns, with and without -s', () => {
    const verbose = demo(base.concat(['-q', 'numruns']), dir);
    expect(verbose.code).toBe(0);
    expect(verbose.stdout.split('\n')[1]).toMatch(/^Version: \S+, build: \S+, edition: /);
    expect(afterBanner(verbose.stdout)).toBe(
      afterBanner(expected('$ aloha -n $A -f campaign.ini -c AlohaCampaign -q numruns')),
    );
    expect(demo(base.concat(['-s', '-q', 'numruns']), dir).stdout).toBe(expected('$ ... -s -q numruns'));
    expect(demo(base.concat(['-s', '-q', 'numruns', '-r', '$numHosts==20']), dir).stdout).toBe(
      expected('$ ... -s -q numruns -r "$numHosts==20"'),
    );
  });

  it('a filter without $ fails with the same message, on stderr, exit code 1', () => {
    const r = demo(base.concat(['-q', 'numruns', '-r', 'numHosts==20']), dir);
    expect(r.code).toBe(1);
    expect(r.stderr + afterBanner(r.stdout)).toBe(
      expected('$ ... -q numruns -r "numHosts==20"  (not silent)'),
    );
  });

  it('-q runnumbers, runs, rundetails, sectioninheritance, runconfig', () => {
    const cases: [string[], string][] = [
      [['-q', 'runnumbers'], '$ ... -s -q runnumbers'],
      [['-q', 'runnumbers', '-r', '0..4,60'], '$ ... -s -q runnumbers -r 0..4,60'],
      [['-q', 'runs', '-r', '0..3'], '$ ... -s -q runs -r 0..3'],
      [['-q', 'rundetails', '-r', '0,1'], '$ ... -s -q rundetails -r 0,1'],
      [['-q', 'sectioninheritance'], '$ ... -s -q sectioninheritance'],
      [['-q', 'runconfig', '-r', '0'], '$ ... -s -q runconfig -r 0'],
    ];
    for (const [args, command] of cases) {
      const r = demo(base.concat(['-s'], args), dir);
      expect({ command, code: r.code, stdout: r.stdout }).toEqual({
        command,
        code: 0,
        stdout: expected(command),
      });
    }
  });

  it('-a lists every config with its number of runs', () => {
    expect(demo(['-s', '-f', 'campaign.ini', '-a'], dir).stdout).toBe(
      expected('$ opp_run -a (list configs)'),
    );
  });
});

describe('queries on the demo campaigns', () => {
  it('-a: General first, then the configs in file order', () => {
    const r = demo(['-s', '-a']);
    expect(r.code).toBe(0);
    const counts = Object.fromEntries(
      r.stdout
        .trim()
        .split('\n')
        .map((line) => {
          const m = /^Config (\S+): (\d+)$/.exec(line);
          return [m?.[1] ?? line, Number(m?.[2])];
        }),
    ) as Record<string, number>;
    expect(Object.keys(counts)).toEqual([
      'General',
      'Quick',
      'Uniform',
      'Skewed',
      'Failing',
      'Empty',
      'Odd',
      'Huge',
      'SkewedLarge',
      'Huge100k',
    ]);
    expect(counts.General).toBe(1);
    expect(counts.SkewedLarge).toBe(200);
    expect(counts.Huge100k).toBe(100_000);
    expect(counts.Quick).toBeGreaterThanOrEqual(12);
    expect(counts.Quick).toBeLessThanOrEqual(24);
    expect(counts.Uniform).toBeGreaterThanOrEqual(60);
    expect(counts.Skewed).toBe(40);
    expect(counts.Failing).toBeGreaterThanOrEqual(10);
    expect(counts.Empty).toBeGreaterThanOrEqual(200);
    expect(counts.Huge).toBe(20000);
  });

  it('the first declared variable is the outermost loop, $repetition the innermost', () => {
    const r = demo(['-s', '-c', 'Quick', '-q', 'runs']);
    expect(r.stdout.split('\n').slice(0, 4)).toEqual([
      'Run 0: $numStations=2, $serviceMean=0.4, $repetition=0',
      'Run 1: $numStations=2, $serviceMean=0.4, $repetition=1',
      'Run 2: $numStations=2, $serviceMean=0.4, $repetition=2',
      'Run 3: $numStations=2, $serviceMean=0.6, $repetition=0',
    ]);
    expect(r.stdout).toContain('Run 9: $numStations=3, $serviceMean=0.4, $repetition=0\n');
  });

  it('-q rundetails shows the expanded entries; unnamed variables are $0, $1, ...', () => {
    expect(demo(['-s', '-c', 'Quick', '-q', 'rundetails', '-r', '4']).stdout).toBe(
      'Run 4: $numStations=2, $serviceMean=0.6, $repetition=1\n' +
        '\tNet.numStations = 2\n' +
        '\tNet.queue[*].serviceTime = exponential(0.6s)\n',
    );
    expect(demo(['-s', '-c', 'Odd', '-q', 'runs', '-r', '2']).stdout).toBe(
      'Run 2: $0=uniform(0s, 1s), $repetition=0\n',
    );
  });

  it('run filters: lists, ranges and $ expressions', () => {
    const numbers = (filter: string, config = 'Quick'): string =>
      demo(['-s', '-c', config, '-q', 'runnumbers', '-r', filter]).stdout;
    expect(numbers('0..2,17')).toBe(' 0 1 2 17\n');
    expect(numbers('5-7, 1')).toBe(' 5 6 7 1\n');
    expect(numbers('$numStations==3 && $repetition<2')).toBe(' 9 10 12 13 15 16\n');
    expect(numbers('($serviceMean>=0.8 || $numStations!=2) && !($repetition>0)')).toBe(' 6 9 12 15\n');
    expect(numbers('$0=="uniform(0s, 1s)"', 'Odd')).toBe(' 2 3\n');
    expect(numbers('$runnumber>16')).toBe(' 17\n');
  });

  it('a filter matching no run is not an error', () => {
    expect(demo(['-s', '-c', 'Quick', '-q', 'numruns', '-r', '$numStations==7'])).toEqual({
      code: 0,
      stdout: '0\n',
      stderr: '',
    });
    expect(demo(['-s', '-c', 'Quick', '-q', 'runnumbers', '-r', '$numStations==7']).stdout).toBe('\n');
  });

  it('errors: <!> Error on stderr, nothing on stdout with -s, exit code 1', () => {
    const cases: [string[], string][] = [
      [
        ['-c', 'Quick', '-q', 'numruns', '-r', 'numStations==2'],
        "Cannot evaluate run filter: Cannot evaluate expression 'numStations==2': No such variable: 'numStations'",
      ],
      [
        ['-c', 'Quick', '-q', 'runnumbers', '-r', '999'],
        "Run number 999 in run list '999' is out of range 0..17",
      ],
      [['-c', 'NoSuch', '-q', 'numruns'], 'No such config: NoSuch'],
      [['-c', 'NoSuch', '-u', 'Cmdenv'], 'No such config: NoSuch'],
    ];
    for (const [args, message] of cases) {
      expect(demo(['-s', ...args])).toEqual({ code: 1, stdout: '', stderr: `\n<!> Error: ${message}\n` });
    }
  });
});

describe('command line', () => {
  it('-v prints version and build information', () => {
    const r = demo(['-s', '-v']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Build: \S+ \S+\nCompiler: .+\nOptions: .+\n$/);
  });

  it('-h prints the usage', () => {
    const r = demo(['-s', '-h']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Command line options:');
    expect(r.stdout).toContain('-q <what>');
  });

  it('rejects other user interfaces, unknown options and missing ini files', () => {
    const cases: [string[], string, string?][] = [
      [['-u', 'Qtenv'], "Could not start user interface 'Qtenv'"],
      [['-z'], 'Invalid command-line option -z, try -h for help'],
      [['--no-such-option=1'], 'Unknown command-line configuration option --no-such-option'],
      [['-f', 'nosuch.ini'], "Cannot open ini file 'nosuch.ini'"],
      [['-c', 'Quick'], "Cannot open ini file 'omnetpp.ini'", tempDir('no-ini')],
    ];
    for (const [args, message, cwd] of cases) {
      const r = demo(['-s', ...args], cwd);
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({
        args,
        code: 1,
        stderr: `\n<!> Error: ${message}\n`,
      });
    }
  });

  it('the verbose banner and the closing End.', () => {
    const r = demo(['-c', 'Quick', '-q', 'numruns']);
    expect(r.stdout).toMatch(
      /^.+Discrete Event Simulation.+\nVersion: .+\n.+\n\nSetting up Cmdenv\.\.\.\n\n/,
    );
    expect(r.stdout).toMatch(/Config: Quick\nNumber of runs: 18\n\nEnd\.\n$/);
  });
});

describe('running', () => {
  it('one run writes <Config>-<iterationvarsf>#<repetition>.{sca,vec,vci,out}', () => {
    const results = tempDir('single');
    const r = demo(['-f', demoIni, '-c', 'Quick', '-r', '4', ...batch, `--result-dir=${results}`]);
    expect(r).toEqual({
      code: 0,
      stdout: 'Quick run 4: $numStations=2, $serviceMean=0.6, $repetition=1\n',
      stderr: '',
    });
    const stem = 'Quick-numStations=2,serviceMean=0.6-#1';
    expect(readdirSync(results).sort()).toEqual(['out', 'sca', 'vci', 'vec'].map((ext) => `${stem}.${ext}`));

    const out = read(path.join(results, `${stem}.out`));
    const { events, time } = finalEvent(out);
    expect(time).toBe('40000');
    expect(out).toMatch(
      /^\*\* Event #0 {3}t=0 {3}Elapsed: \S+s \(0m 00s\) {2}0% completed {2}\(0% total\)\n {5}Speed: {5}ev\/sec=/,
    );
    expect(out).toContain(`\n\n<!> Simulation time limit reached -- at t=40000s, event #${events}\n[INFO]\t`);
    expect(checkVectorIndex(path.join(results, `${stem}.vec`))).toBeGreaterThan(0);
  });

  it('result file headers: attributes, itervars, then config entries (command line first)', () => {
    const dir = tempDir('header');
    writeFileSync(
      path.join(dir, 'test.ini'),
      `[General]
network = Net
sim-time-limit = 100s
**.samplingPeriod = 10s
Net.queue[*].serviceTime = uniform(0s, 1s)   # has spaces: recorded quoted

[Config Base]
description = "the base"
Net.numStations = \${numStations=1,2}

[Config Derived]
extends = Base
description = "derived: \\"quoted\\" words"
repeat = 2
Net.source.interArrivalTime = exponential(\${ia=2,3}s)
`,
    );
    const r = demo(['-f', 'test.ini', '-c', 'Derived', '-r', '6', ...batch, '--sim-time-limit=50s'], dir);
    expect(r.code).toBe(0);
    const sca = read(path.join(dir, 'results', 'Derived-ia=3,numStations=2-#0.sca')).split('\n');
    const header = sca.slice(0, sca.indexOf(''));
    const datetime = /^attr datetime (\d{8}-\d\d:\d\d:\d\d)$/.exec(header[3] ?? '')?.[1] ?? '';
    const pid = /^attr processid (\d+)$/.exec(header[12] ?? '')?.[1] ?? '';
    expect(header).toEqual([
      'version 3',
      `run Derived-6-${datetime}-${pid}`,
      'attr configname Derived',
      `attr datetime ${datetime}`,
      `attr datetimef ${datetime.replace(/:/g, '')}`,
      'attr experiment Derived',
      'attr inifile test.ini',
      'attr iterationvars "$ia=3, $numStations=2"',
      'attr iterationvarsd ia=3/numStations=2',
      'attr iterationvarsf ia=3,numStations=2-',
      'attr measurement "$ia=3, $numStations=2"',
      'attr network Net',
      `attr processid ${pid}`,
      'attr repetition 0',
      'attr replication #0',
      'attr resultdir results',
      'attr runnumber 6',
      'attr seedset 6',
      'itervar ia 3',
      'itervar numStations 2',
      'config cmdenv-redirect-output true',
      'config sim-time-limit 50s',
      'config extends Base',
      'config description "derived: \\"quoted\\" words"',
      'config repeat 2',
      'config Net.source.interArrivalTime exponential(3s)',
      'config description "the base"',
      'config Net.numStations 2',
      'config network Net',
      'config sim-time-limit 100s',
      'config **.samplingPeriod 10s',
      'config Net.queue[*].serviceTime "uniform(0s, 1s)"',
    ]);
    expect(sca.slice(header.length, header.length + 4)).toEqual([
      '',
      'par Net.source typename "\\"Source\\""',
      'par Net.source interArrivalTime exponential(3s)',
      'attr unit s',
    ]);
    expect(sca.at(-2)).toBe('');
    expect(sca.at(-1)).toBe('');
    const vec = read(path.join(dir, 'results', 'Derived-ia=3,numStations=2-#0.vec')).split('\n');
    expect(vec.slice(0, header.length)).toEqual(header);
    expect(finalEvent(read(path.join(dir, 'results', 'Derived-ia=3,numStations=2-#0.out'))).time).toBe('50');
  });

  it('result-dir is relative to the ini file, --result-dir to the working directory', () => {
    const cwd = tempDir('resultdir');
    mkdirSync(path.join(cwd, 'sub'));
    writeFileSync(path.join(cwd, 'sub', 'omnetpp.ini'), read(demoIni));
    expect(demo(['-f', 'sub/omnetpp.ini', '-c', 'Odd', '-r', '2', ...batch], cwd).code).toBe(0);
    expect(readdirSync(path.join(cwd, 'sub', 'results', 'odd names')).sort()).toEqual(
      ['out', 'sca', 'vci', 'vec'].map((ext) => `Odd-uniform(0s,_1s)-#0.${ext}`),
    );
    expect(
      demo(['-f', 'sub/omnetpp.ini', '-c', 'Quick', '-r', '0', ...batch, '--result-dir=mine'], cwd).code,
    ).toBe(0);
    expect(existsSync(path.join(cwd, 'mine', 'Quick-numStations=2,serviceMean=0.4-#0.sca'))).toBe(true);
  });

  it('without redirection the run output goes to stdout and there is no .out file', () => {
    const results = tempDir('stdout');
    const r = demo(['-s', '-c', 'Quick', '-r', '0', `--result-dir=${results}`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^Quick run 0: \$numStations=2, \$serviceMean=0\.4, \$repetition=0\n\*\* Event #0 /,
    );
    expect(r.stdout).toContain('\n<!> Simulation time limit reached -- at t=40000s, event #');
    expect(readdirSync(results).filter((f) => f.endsWith('.out'))).toEqual([]);
  });

  it('two executions of a run differ only in run id, datetime, datetimef, processid and timings', () => {
    const [a, b] = [tempDir('det-a'), tempDir('det-b')];
    for (const cwd of [a, b]) {
      expect(
        demo(['-f', demoIni, '-c', 'Quick', '-r', '7', ...batch, '--result-dir=results'], cwd).code,
      ).toBe(0);
    }
    const files = readdirSync(path.join(a, 'results')).sort();
    expect(files).toEqual(readdirSync(path.join(b, 'results')).sort());
    expect(files).toHaveLength(4);
    const allowed = /^(run |attr (datetime|datetimef|processid) |file |\*\* Event #| {5}Speed: )/;
    for (const file of files) {
      const x = read(path.join(a, 'results', file)).split('\n');
      const y = read(path.join(b, 'results', file)).split('\n');
      expect(x).toHaveLength(y.length);
      x.forEach((line, i) => {
        if (line === y[i]) return;
        expect(allowed.test(line), `${file}: ${line}`).toBe(true);
        if (line.startsWith('** Event #')) {
          // only the elapsed time may differ, not the event number or the simulation time
          expect(line.replace(/Elapsed: .*/, '')).toBe(y[i]?.replace(/Elapsed: .*/, ''));
        }
      });
    }
  });

  it('the .vci indexes the .vec blocks; vector-recording=false keeps only the declarations', () => {
    const results = tempDir('vectors');
    const args = ['-c', 'Quick', '-r', '11', ...batch, `--result-dir=${results}`];
    expect(demo([...args, '--**.vector-buffer=1KiB']).code).toBe(0);
    const vec = path.join(results, 'Quick-numStations=3,serviceMean=0.4-#2.vec');
    expect(checkVectorIndex(vec)).toBeGreaterThan(3); // several blocks per vector

    expect(demo([...args, '--**.vector-recording=false']).code).toBe(0);
    const lines = read(vec).split('\n');
    expect(lines.filter((line) => line.startsWith('vector '))).toEqual([
      'vector 0 Net.queue[0] queueLength:vector ETV',
      'vector 1 Net.queue[1] queueLength:vector ETV',
      'vector 2 Net.queue[2] queueLength:vector ETV',
    ]);
    expect(lines.filter((line) => /^\d/.test(line))).toEqual([]);
    expect(checkVectorIndex(vec)).toBe(0);
  });

  it('a failed run in a batch skips the rest of the batch (cmdenv-stop-batch-on-error)', () => {
    const results = tempDir('batch');
    const failedOut = path.join(results, 'Failing-iaMean=0.5-#0.out');
    const r = demo(['-c', 'Failing', '-r', '5,6,9', ...batch, `--result-dir=${results}`]);
    expect(r).toEqual({
      code: 1,
      stdout: 'Failing run 5: $iaMean=2, $repetition=2\nFailing run 6: $iaMean=0.5, $repetition=0\n',
      stderr: `<!> Error -- see ${failedOut} for details\n`,
    });
    expect(read(failedOut)).toMatch(
      /\n\n<!> Error: Queue overflow: capacity 50000 exceeded -- in module \(Queue\) Net\.queue\[0\] \(id=3\), at t=[\d.]+s, event #\d+\n$/,
    );
    expect(readdirSync(results).sort()).toEqual([
      'Failing-iaMean=0.5-#0.out', // no .sca: the run ended before finish()
      'Failing-iaMean=0.5-#0.vci',
      'Failing-iaMean=0.5-#0.vec',
      'Failing-iaMean=2-#2.out',
      'Failing-iaMean=2-#2.sca',
      'Failing-iaMean=2-#2.vci',
      'Failing-iaMean=2-#2.vec',
    ]);

    // Run statistics are printed in verbose mode only, as in OMNeT++ (so never under opp_runall's -s)
    const verbose = demo(['-c', 'Failing', '-r', '5,6,9', `--result-dir=${results}`]);
    expect(verbose.code).toBe(1);
    expect(verbose.stdout).toContain(
      '\nRun statistics: total 3, successful 1, errors 1, skipped 1\n\nEnd.\n',
    );
    expect(verbose.stderr).toContain('\n<!> Error: Queue overflow: capacity 50000 exceeded');
  });

  it('with cmdenv-stop-batch-on-error=false every run is tried; the exit code still reports the error', () => {
    const results = tempDir('no-stop');
    const r = demo([
      '-c',
      'Failing',
      ...batch,
      '--cmdenv-stop-batch-on-error=false',
      `--result-dir=${results}`,
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout.trim().split('\n')).toHaveLength(12);
    const failed = r.stderr.match(/Failing-iaMean=[^ ]+\.out/g) ?? [];
    expect(failed).toEqual([
      'Failing-iaMean=0.5-#0.out',
      'Failing-iaMean=0.5-#1.out',
      'Failing-iaMean=0.5-#2.out',
    ]);
    expect(readdirSync(results).filter((f) => f.endsWith('.sca'))).toHaveLength(9);

    const verbose = demo([
      '-c',
      'Failing',
      '-r',
      '5,6,9',
      '--cmdenv-stop-batch-on-error=false',
      `--result-dir=${results}`,
    ]);
    expect(verbose.stdout).toContain('\nRun statistics: total 3, successful 2, errors 1\n');
  });

  it('parameters can be overridden from the command line with wildcards', () => {
    const results = tempDir('override');
    const r = demo(['-c', 'Quick', '-r', '6', ...batch, '--**.capacity=1', `--result-dir=${results}`]);
    expect(r.code).toBe(1);
    const out = read(path.join(results, 'Quick-numStations=2,serviceMean=0.8-#0.out'));
    expect(out).toMatch(
      /<!> Error: Queue overflow: capacity 1 exceeded -- in module \(Queue\) Net\.queue\[\d\] \(id=\d\), at t=/,
    );
  });

  it('an unwritable result directory is an error of the run', () => {
    const dir = tempDir('unwritable');
    writeFileSync(path.join(dir, 'file'), '');
    const r = demo(['-c', 'Quick', '-r', '0', ...batch, `--result-dir=${path.join(dir, 'file', 'results')}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^\n<!> Error: Cannot create directory '.*': Not a directory\n$/);
  });

  it('SIGTERM ends the run at the next event, records results, skips the rest, exit code 2', async () => {
    const results = tempDir('sigterm');
    const out = path.join(results, 'Skewed-simTime=432000-#0.out');
    const child = spawn(demoBin, ['-c', 'Skewed', '-r', '38,39', ...batch, `--result-dir=${results}`], {
      cwd: demoDir,
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // the first status line is written once the simulation (and its signal handler) has started
    while (!(existsSync(out) && read(out).includes('** Event #0'))) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    child.kill('SIGTERM');
    expect(await exited).toBe(2);
    expect(read(out)).toMatch(
      /\n\n<!> SIGINT or SIGTERM received, exiting -- at t=[\d.]+s, event #\d+\n\[INFO\]\t/,
    );
    expect(read(out.replace(/\.out$/, '.sca'))).toContain('statistic Net.sink lifeTime:histogram');
    expect(existsSync(path.join(results, 'Skewed-simTime=432000-#1.out'))).toBe(false);
  });
});

describe('campaign shapes', () => {
  it('Skewed: the heaviest runs come last, at least 20x the light ones (by event count)', () => {
    const table = runTable(demo(['-s', '-c', 'Skewed', '-q', 'runs']).stdout);
    const simTime = (run: number): number => Number(table.get(run)?.simTime);
    const light = Array.from({ length: 34 }, (_, run) => simTime(run));
    const heavy = Array.from({ length: 6 }, (_, k) => simTime(34 + k));
    expect(Math.min(...heavy)).toBeGreaterThan(5 * Math.max(...light));
    expect(heavy).toEqual([...heavy].sort((x, y) => x - y));

    const results = tempDir('skewed');
    expect(demo(['-c', 'Skewed', '-r', '0,33,39', ...batch, `--result-dir=${results}`]).code).toBe(0);
    const events = (stem: string): number => finalEvent(read(path.join(results, `${stem}.out`))).events;
    const first = events('Skewed-simTime=14400-#0');
    const lastLight = events('Skewed-simTime=14416-#1');
    const last = events('Skewed-simTime=432000-#1');
    expect(lastLight / first).toBeLessThan(1.1);
    expect(last / first).toBeGreaterThanOrEqual(20);
  });

  it('Failing: the overloaded runs (iaMean=0.5) are runs 6-8, the ones that fail above', () => {
    const table = runTable(demo(['-s', '-c', 'Failing', '-q', 'runs']).stdout);
    const overloaded = [...table].filter(([, vars]) => vars.iaMean === '0.5').map(([run]) => run);
    expect(overloaded).toEqual([6, 7, 8]);
  });

  it('Empty: near-empty runs without iteration variables', () => {
    const results = tempDir('empty');
    const r = demo(['-c', 'Empty', '-r', '0..4', ...batch, `--result-dir=${results}`]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('Empty run 0: , $repetition=0');
    expect(finalEvent(read(path.join(results, 'Empty-#4.out'))).events).toBeLessThan(100);
  });
});
