#!/usr/bin/env -S node --max-semi-space-size=8
// The flag caps V8's young generation: a campaign allocates per run at a steady rate, and by default V8
// grows its nursery to ~100 MB for that, which doubled the CLI's RSS on a 20,000-run campaign (measured
// in bench:local) without making it faster.
/** The `inet-swarm` command line. Each command lives in commands/; errors map to exit codes in one place. */
import { Command, Option } from 'commander';
import { createRequire } from 'node:module';
import { defaultJobs, runCommand, type RunOptions } from './commands/run.js';
import {
  attachCommand,
  cancelCommand,
  logsCommand,
  statusCommand,
  type AttachCommandOptions,
} from './commands/swarm-campaign.js';
import {
  swarmDownCommand,
  swarmStatusCommand,
  swarmUpCommand,
  type SwarmDownOptions,
  type SwarmUpOptions,
} from './commands/swarm.js';
import { reportError } from './exit-codes.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

function buildProgram(): Command {
  const program = new Command('inet-swarm')
    .description('Run OMNeT++/INET simulation campaigns on every core you have.')
    .version(version, '--version')
    .enablePositionalOptions()
    .showHelpAfterError();

  /** `run` and `submit` share every option: submit is `run --swarm` that returns once the runs are queued. */
  const campaignCommand = (name: string, description: string, detach: boolean) =>
    program
      .command(name)
      .description(description)
      .argument('<program>', 'simulation program: opp_run, inet, ./mymodel ...')
      .argument('[args...]', 'simulation arguments (-f, -c, -r, ...), passed through untouched')
      .option('-j, --jobs <n>', 'runs at the same time (local backend)', String(defaultJobs()))
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
      .option('--retries <n>', 'extra attempts for runs lost to signals, memory, timeouts or lost nodes', '2')
      .addOption(new Option('--retry-delay <seconds>', 'delay before the first retry (doubles)').default('1'))
      .option(
        '--state-dir <dir>',
        'where manifests and run-time history live (default: <directory>/.inet-swarm)',
      )
      .option(
        '--swarm [name]',
        'run on a Docker Swarm deployed with `inet-swarm swarm up` (default: the last one)',
      )
      .option(
        '--build <command>',
        'swarm: build command run in the working directory (default: make, if there is a Makefile)',
      )
      .option('--no-build', 'swarm: run the source as it is, without building')
      .option('--max-source-mb <n>', 'swarm: refuse a source snapshot larger than this', '512')
      .passThroughOptions()
      .action(
        async (
          prog: string,
          args: string[],
          options: Omit<RunOptions, 'build'> & { build?: string | boolean },
        ) => {
          // commander's --no-build turns `build` into false; our schema keeps the command and the switch apart.
          const { build, ...rest } = options;
          process.exitCode = await runCommand(
            prog,
            args,
            { ...rest, ...(typeof build === 'string' ? { build } : {}), noBuild: build === false },
            detach,
          );
        },
      );

  campaignCommand(
    'run',
    "Run a campaign like opp_runall: plans with the program's own -q queries, runs longest-first on all " +
      'cores of this machine (or of a swarm with --swarm), resumes by default.',
    false,
  );
  campaignCommand(
    'submit',
    'Start a campaign on a swarm and return once its runs are queued; collect results with `attach`.',
    true,
  );

  /** The swarm a campaign command talks to. */
  const swarmOption = () => new Option('--swarm <name>', 'the swarm (default: the last one deployed)');

  program
    .command('attach')
    .description(
      'Collect the results of a swarm campaign submitted (or interrupted) earlier from this directory.',
    )
    .argument('[campaign]', 'swarm campaign id or a unique prefix (default: the only one)')
    .option('-C, --directory <dir>', 'working directory of the simulation', '.')
    .option('--state-dir <dir>', 'state directory (default: <directory>/.inet-swarm)')
    .addOption(swarmOption())
    .option('--json', 'print progress as NDJSON events on stdout', false)
    .option('-V, --verbose', 'more output', false)
    .action(async (campaign: string | undefined, options: AttachCommandOptions) => {
      process.exitCode = await attachCommand(campaign, options);
    });

  program
    .command('cancel')
    .description('Remove the queued runs of a swarm campaign; running ones finish and are kept.')
    .argument('<campaign>', 'swarm campaign id')
    .addOption(swarmOption())
    .action(async (campaign: string, options: { swarm?: string }) => {
      process.exitCode = await cancelCommand(campaign, options);
    });

  program
    .command('status')
    .description('Campaigns in the swarm with their progress.')
    .argument('[campaign]', 'swarm campaign id or prefix (default: all)')
    .addOption(swarmOption())
    .option('--json', 'print JSON', false)
    .action(async (campaign: string | undefined, options: { swarm?: string; json: boolean }) => {
      process.exitCode = await statusCommand(campaign, options);
    });

  program
    .command('logs')
    .description("The end of a run's output in the swarm; without a run, the campaign's build log.")
    .argument('<campaign>', 'swarm campaign id')
    .argument('[run]', 'run number')
    .addOption(swarmOption())
    .action(async (campaign: string, run: string | undefined, options: { swarm?: string }) => {
      process.exitCode = await logsCommand(campaign, run, options);
    });

  const swarm = program
    .command('swarm')
    .description('Deploy, inspect or remove the inet-swarm stack on a Docker Swarm.');
  const dockerOption = () =>
    new Option(
      '--docker <host>',
      'Docker API of a swarm manager: unix:///path, tcp://host:port, ssh://user@host (default: DOCKER_HOST or the local socket)',
    );
  swarm
    .command('up')
    .description('Deploy or update the stack, wait until it is healthy, and remember its gateway and token.')
    .addOption(dockerOption())
    .option('--stack <name>', 'stack name', 'inet-swarm')
    .option('--name <name>', 'name to remember the swarm by (default: the stack name)')
    .option('-f, --file <stack.yml>', 'stack file (default: the one shipped with inet-swarm)')
    .option(
      '--token-file <file>',
      'gateway token to use (default: a new random one, or the one saved before)',
    )
    .option('--timeout <seconds>', 'how long to wait for the services', '300')
    .action(async (options: SwarmUpOptions) => {
      process.exitCode = await swarmUpCommand(options);
    });
  swarm
    .command('down')
    .description('Remove the stack; volumes (queue, database, build cache) are kept unless --purge.')
    .addOption(dockerOption())
    .option('--stack <name>', 'stack name', 'inet-swarm')
    .option('--name <name>', 'the saved swarm to forget with --purge (default: the stack name)')
    .option('--purge', 'also delete the secrets and the volumes on this node', false)
    .action(async (options: SwarmDownOptions) => {
      process.exitCode = await swarmDownCommand(options);
    });
  swarm
    .command('status')
    .description('Services with their running/desired tasks, and the nodes of the swarm.')
    .addOption(dockerOption())
    .option('--stack <name>', 'stack name', 'inet-swarm')
    .action(async (options: { docker?: string; stack: string }) => {
      process.exitCode = await swarmStatusCommand(options);
    });
  return program;
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  process.exitCode = reportError(error, process.stderr);
}
