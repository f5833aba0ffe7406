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
import { reportCommand, type ReportCommandOptions } from './commands/report.js';
import { reportError } from './exit-codes.js';
import { CampaignInputError } from '../lib/core/errors.js';
import type { ConnectOptions } from './commands/aws.js';

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
      .option('--no-build', 'swarm/aws: run the source as it is, without building')
      .option('--max-source-mb <n>', 'swarm/aws: refuse a source snapshot larger than this', '512')
      .option(
        '--aws',
        'run on a cluster created for this campaign in AWS (control plane: --api, INET_SWARM_AWS_API or `inet-swarm aws configure`)',
      )
      .option('--api <url>', 'aws: the control plane API (default: INET_SWARM_AWS_API, then the saved one)')
      .option('--region <region>', "aws: the cluster's region (default: the control plane's)")
      .option('--instance-type <type>', 'aws: worker instance type (default: c6i.xlarge)')
      .option('--manager-instance-type <type>', 'aws: swarm manager instance type (default: t3.medium)')
      .option('--cluster-size <n>', 'aws: worker instances (default: 2)')
      .option('--manager-size <n>', 'aws: swarm managers, 1, 3 or 5 (default: 1)')
      .option('--spot', 'aws: workers above --on-demand-base on spot capacity (the default)')
      .option('--no-spot', 'aws: every worker on demand')
      .option('--on-demand-base <n>', 'aws: workers on demand before spot ones (default: 0)')
      .option('--key-name <name>', 'aws: EC2 key pair of the managers, for `inet-swarm aws connect`')
      .option('--ssh-cidr <cidr>', 'aws: who may SSH to the managers, e.g. 203.0.113.7/32 (default: nobody)')
      .option(
        '--worker-image <image>',
        "aws: image of the runners, gateway and dashboard, pullable without credentials (default: the template's)",
      )
      .option(
        '--builder-image <image>',
        "aws: image of the builder and distcc, pullable without credentials (default: the template's)",
      )
      .option('--budget <usd>', 'aws: tear the cluster down when actual or projected cost passes this')
      .option('--max-lifetime <minutes>', 'aws: tear the cluster down after this long (default: 1440)')
      .option('--idle-grace <minutes>', 'aws: keep the cluster this long after the last run (default: 5)')
      .option('--name <label>', 'aws: a label for the campaign')
      .option('-y, --yes', 'aws: create the cluster without asking (required without a terminal)')
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
    'Start a campaign on a swarm (or with --aws on AWS) and return once it runs; collect results with `attach`.',
    true,
  );

  /** The swarm a campaign command talks to. */
  const swarmOption = () => new Option('--swarm <name>', 'the swarm (default: the last one deployed)');
  /** `--aws` selects the AWS control plane instead of a swarm; `--api` names it. */
  const awsOption = () => new Option('--aws', 'a campaign of the AWS control plane, not of a swarm');
  const apiOption = () =>
    new Option('--api <url>', 'aws: the control plane API (default: INET_SWARM_AWS_API, then the saved one)');
  /** Refuses --swarm with --aws: they name different backends. */
  const oneBackend = (options: { aws?: boolean; swarm?: string }): boolean => {
    if (options.aws === true && options.swarm !== undefined)
      throw new CampaignInputError('--aws and --swarm choose different backends; pass one of them');
    return options.aws === true;
  };
  const awsCommands = () => import('./commands/aws-campaign.js');

  program
    .command('attach')
    .description(
      'Collect the results of a swarm (or --aws) campaign submitted (or interrupted) earlier from this directory.',
    )
    .argument('[campaign]', 'campaign id or a unique prefix (default: the only one)')
    .option('-C, --directory <dir>', 'working directory of the simulation', '.')
    .option('--state-dir <dir>', 'state directory (default: <directory>/.inet-swarm)')
    .addOption(swarmOption())
    .addOption(awsOption())
    .addOption(apiOption())
    .option('--json', 'print progress as NDJSON events on stdout', false)
    .option('-V, --verbose', 'more output', false)
    .action(
      async (
        campaign: string | undefined,
        options: AttachCommandOptions & { aws?: boolean; api?: string },
      ) => {
        process.exitCode = oneBackend(options)
          ? await (await awsCommands()).attachAwsCommand(campaign, options)
          : await attachCommand(campaign, options);
      },
    );

  program
    .command('report')
    .description(
      'Write a self-contained HTML report of a campaign (any backend): run times, a timeline per node, ' +
        'failures and retries, build time, cost, provenance.',
    )
    .argument(
      '[campaign]',
      'campaign id, a unique prefix of one, or its config name (default: the last one run)',
    )
    .option('-C, --directory <dir>', 'working directory of the simulation', '.')
    .option('--state-dir <dir>', 'state directory (default: <directory>/.inet-swarm)')
    .option(
      '-o, --output <file>',
      'the HTML file (default: inet-swarm-report-<campaign>.html in the result directory)',
    )
    .action(async (campaign: string | undefined, options: ReportCommandOptions) => {
      process.exitCode = await reportCommand(campaign, options);
    });

  program
    .command('results')
    .description(
      'Download the results of an AWS campaign that are not here yet (or are damaged here) into results/ and the manifest.',
    )
    .argument('[campaign]', 'AWS campaign id or a unique prefix (default: the only one)')
    .option('-C, --directory <dir>', 'working directory of the simulation', '.')
    .option('--state-dir <dir>', 'state directory (default: <directory>/.inet-swarm)')
    .addOption(awsOption())
    .addOption(apiOption())
    .option('--json', 'print NDJSON on stdout', false)
    .option('-V, --verbose', 'more output', false)
    .action(
      async (
        campaign: string | undefined,
        options: {
          aws?: boolean;
          api?: string;
          directory: string;
          stateDir?: string;
          json: boolean;
          verbose: boolean;
        },
      ) => {
        if (options.aws !== true)
          throw new CampaignInputError(
            'results: only AWS campaigns keep their results remotely; pass --aws (a swarm campaign: `inet-swarm attach`)',
          );
        process.exitCode = await (await awsCommands()).resultsAwsCommand(campaign, options);
      },
    );

  program
    .command('cancel')
    .description(
      'Remove the queued runs of a swarm campaign (running ones finish and are kept); with --aws, stop the campaign and tear its cluster down.',
    )
    .argument('<campaign>', 'campaign id')
    .addOption(swarmOption())
    .addOption(awsOption())
    .addOption(apiOption())
    .action(async (campaign: string, options: { swarm?: string; aws?: boolean; api?: string }) => {
      process.exitCode = oneBackend(options)
        ? await (await awsCommands()).cancelAwsCommand(campaign, options)
        : await cancelCommand(campaign, options);
    });

  program
    .command('status')
    .description('Campaigns in the swarm (or with --aws, of the AWS control plane) with their progress.')
    .argument('[campaign]', 'campaign id (swarm: or prefix; default: all)')
    .addOption(swarmOption())
    .addOption(awsOption())
    .addOption(apiOption())
    .option('--json', 'print JSON', false)
    .action(
      async (
        campaign: string | undefined,
        options: { swarm?: string; aws?: boolean; api?: string; json: boolean },
      ) => {
        process.exitCode = oneBackend(options)
          ? await (await awsCommands()).statusAwsCommand(campaign, options)
          : await statusCommand(campaign, options);
      },
    );

  program
    .command('logs')
    .description(
      "The end of a run's output in the swarm (or --aws); without a run, the campaign's build log.",
    )
    .argument('<campaign>', 'campaign id')
    .argument('[run]', 'run number')
    .addOption(swarmOption())
    .addOption(awsOption())
    .addOption(apiOption())
    .action(
      async (
        campaign: string,
        run: string | undefined,
        options: { swarm?: string; aws?: boolean; api?: string },
      ) => {
        process.exitCode = oneBackend(options)
          ? await (await awsCommands()).logsAwsCommand(campaign, run, options)
          : await logsCommand(campaign, run, options);
      },
    );

  program
    .command('index')
    .description(
      'Build or update the SQLite index of the scalars in a result directory (inet-swarm-index.sqlite there), ' +
        'from every .sca file below it; campaigns keep it current as runs finish.',
    )
    .argument('[result-dir]', 'the result directory, relative to --directory (default: results)')
    .option('-C, --directory <dir>', 'working directory of the simulation', '.')
    .option('--json', 'print the summary as JSON', false)
    .action(async (resultDir: string | undefined, options: { directory: string; json: boolean }) => {
      const { indexResultsCommand } = await import('./commands/index-results.js');
      process.exitCode = await indexResultsCommand(resultDir, options);
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
  const aws = program
    .command('aws')
    .description('The AWS control plane: where it is, and tunnels to the dashboards of its clusters.');
  const awsModule = () => import('./commands/aws.js');
  aws
    .command('configure')
    .description('Save the control plane API (an output of `sls deploy`) for every aws command.')
    .requiredOption(
      '--api <url>',
      'the HTTP API URL, e.g. https://abc123.execute-api.eu-central-1.amazonaws.com',
    )
    .option('--region <region>', "the API's region (default: from the URL)")
    .action(async (options: { api: string; region?: string }) => {
      process.exitCode = await (await awsModule()).awsConfigureCommand(options);
    });
  aws
    .command('connect')
    .description("Open an SSH tunnel to a campaign cluster's dashboard and print its local URL.")
    .argument('<campaign>', 'AWS campaign id')
    .addOption(apiOption())
    .option('--local-port <port>', 'local end of the tunnel (default: the dashboard port, 8081)')
    .option('-i, --identity <file>', 'private key of the EC2 key pair given with --key-name')
    .option('--user <name>', 'login on the managers', 'ec2-user')
    .option('-C, --directory <dir>', 'project directory (its state directory keeps the tunnel PID)', '.')
    .option('--state-dir <dir>', 'state directory (default: <directory>/.inet-swarm)')
    .action(async (campaign: string, options: ConnectOptions) => {
      process.exitCode = await (await awsModule()).awsConnectCommand(campaign, options);
    });
  aws
    .command('disconnect')
    .description('Close the tunnel `aws connect` opened.')
    .argument('<campaign>', 'AWS campaign id')
    .option('-C, --directory <dir>', 'project directory', '.')
    .option('--state-dir <dir>', 'state directory (default: <directory>/.inet-swarm)')
    .action(async (campaign: string, options: { directory: string; stateDir?: string }) => {
      process.exitCode = await (await awsModule()).awsDisconnectCommand(campaign, options);
    });
  return program;
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  process.exitCode = reportError(error, process.stderr);
}
