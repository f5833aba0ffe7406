#!/usr/bin/env -S node --max-semi-space-size=8
// The flag caps V8's young generation: a campaign allocates per run at a steady rate, and by default V8
// grows its nursery to ~100 MB for that, which doubled the CLI's RSS on a 20,000-run campaign (measured
// in bench:local) without making it faster.
/** The `inet-swarm` command line. Each command lives in commands/; errors map to exit codes in one place. */
import { Command, Option } from 'commander';
import { createRequire } from 'node:module';
import { defaultJobs, runCommand, type RunOptions } from './commands/run.js';
import { reportError } from './exit-codes.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

function buildProgram(): Command {
  const program = new Command('inet-swarm')
    .description('Run OMNeT++/INET simulation campaigns on every core you have.')
    .version(version, '--version')
    .enablePositionalOptions()
    .showHelpAfterError();

  program
    .command('run')
    .description(
      "Run a campaign on this machine, like opp_runall: plans with the program's own -q queries, " +
        'runs longest-first on all cores, resumes by default.',
    )
    .argument('<program>', 'simulation program: opp_run, inet, ./mymodel ...')
    .argument('[args...]', 'simulation arguments (-f, -c, -r, ...), passed through untouched')
    .option('-j, --jobs <n>', 'runs at the same time', String(defaultJobs()))
    .option(
      '-b, --batch-size <n>',
      'most runs per process; runs share a process only when start-up dominates',
      '10',
    )
    .option('-C, --directory <dir>', 'working directory of the simulation', '.')
    .option('-e, --export <file>', 'write the plan as JSON to <file> instead of running')
    .option('-V, --verbose', 'print every simulation command', false)
    .option('--force', 'rerun every selected run, even those with intact results', false)
    .option('--json', 'print progress as NDJSON events on stdout', false)
    .option('--run-timeout <seconds>', 'kill and retry a run that takes longer than this')
    .option('--retries <n>', 'extra attempts for runs lost to signals, memory or timeouts', '2')
    .addOption(new Option('--retry-delay <seconds>', 'delay before the first retry (doubles)').default('1'))
    .option(
      '--state-dir <dir>',
      'where manifests and run-time history live (default: <directory>/.inet-swarm)',
    )
    .passThroughOptions()
    .action(async (prog: string, args: string[], options: RunOptions) => {
      process.exitCode = await runCommand(prog, args, options);
    });
  return program;
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  process.exitCode = reportError(error, process.stderr);
}
