/**
 * A campaign's EC2 cluster, played by a real Docker Swarm (test/support/netns-swarm.ts: one dockerd
 * per network namespace) running the scripts the cluster template installs on its managers, rendered
 * from swarm/cluster.cfn.yaml exactly as CloudFormation's Fn::Sub renders them:
 *
 * - report-ready.sh, which the managers' systemd unit keeps running: it counts the swarm's Ready nodes
 *   with `docker node ls` and writes them to SSM (moto) with the AWS CLI, where WaitForSwarm reads them;
 * - deploy.sh, which the DeployStack step runs through SSM Run Command: it fetches the campaign's stack
 *   file from S3 (moto), creates the swarm secrets (the gateway token also into SSM) and runs
 *   `docker stack deploy` with the agent.
 *
 * What differs from EC2, and why:
 * - The images are the offline ones of scripts/build-images.sh (template parameters WorkerImage,
 *   BuilderImage, RedisImage, MongoImage; MongoDB is FerretDB, see ENVIRONMENT.md).
 * - Nodes have no instance role and no route to AWS: after deploy.sh, the agent service is given the
 *   test's endpoints (moto for S3, the callback endpoint for Step Functions) and static test
 *   credentials with one `docker service update`. Before that its first task cannot reach anything.
 * - Terminating the instances is removing the stack, its secrets and its volumes from every node, and
 *   stopping report-ready.sh; the nodes themselves are reused by the next campaign.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import type { AgentSettings } from '../../lib/ports/cluster-swarm.js';
import { loadClusterTemplate, renderSub, userDataSub, heredocFile } from '../support/cluster-template.js';
import type { NetnsSwarm } from '../support/netns-swarm.js';
import { repoRoot } from '../support/repo.js';

const execFileAsync = promisify(execFile);

/** The stack name deploy.sh uses. */
export const DOCKER_STACK = 'inet-swarm';
/** Everything `docker stack deploy` made for the stack carries this label. */
const STACK_FILTER = { label: [`com.docker.stack.namespace=${DOCKER_STACK}`] };
const AWS_CLI_DIR = path.join(repoRoot, '.tools/awscli/bin');

export interface AwsEndpoints {
  readonly region: string;
  /** moto: S3 and SSM, for the scripts and the agent. */
  readonly moto: string;
  /** Step Functions' SendTask* API, for the agent. */
  readonly stepFunctions: string;
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
}

export class DockerSwarmCluster {
  private readonly template = loadClusterTemplate();
  private readonly scripts = mkdtempSync(path.join(os.tmpdir(), 'cluster-scripts-'));
  private reporter: ChildProcess | null = null;
  private stackName: string | null = null;

  constructor(
    readonly swarm: NetnsSwarm,
    private readonly aws: AwsEndpoints,
  ) {}

  /** dockerode on node `i` (1-based). */
  docker(i = 1): Docker {
    const node = this.swarm.nodes[i - 1];
    if (node === undefined) throw new RangeError(`no node ${i}`);
    return new Docker({ socketPath: node.socketPath });
  }

  /** The environment of a manager's scripts: its engine, the AWS CLI and the AWS endpoint. */
  private scriptEnv(): NodeJS.ProcessEnv {
    return {
      PATH: `${AWS_CLI_DIR}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      HOME: this.scripts,
      DOCKER_HOST: this.swarm.manager.dockerHost,
      AWS_ENDPOINT_URL: this.aws.moto,
      AWS_ACCESS_KEY_ID: this.aws.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: this.aws.credentials.secretAccessKey,
      AWS_DEFAULT_REGION: this.aws.region,
    };
  }

  /** Writes the manager's scripts for this stack, rendered from the template's user data. */
  private renderScripts(stackName: string, campaignId: string): { deploy: string; reportReady: string } {
    const userData = renderSub(userDataSub(this.template, 'ManagerLaunchTemplate'), {
      'AWS::StackName': stackName,
      'AWS::Region': this.aws.region,
      CampaignId: campaignId,
      StackUuid: 'test',
      SpotWatch: '0',
      ClusterUsdPerHour: '',
      WorkerImage: 'inet-swarm/worker:dev',
      BuilderImage: 'inet-swarm/builder:dev',
      RedisImage: 'inet-swarm/redis:test',
      MongoImage: 'inet-swarm/mongo:test',
    });
    const write = (name: string, file: string): string => {
      const target = path.join(this.scripts, name);
      writeFileSync(target, heredocFile(userData, file));
      chmodSync(target, 0o755);
      return target;
    };
    return {
      deploy: write('deploy.sh', '/opt/inet-swarm/deploy.sh'),
      reportReady: write('report-ready.sh', '/opt/inet-swarm/report-ready.sh'),
    };
  }

  /** The cluster stack's instances have booted: the managers' ready-node reporter runs. */
  boot(stackName: string, campaignId: string): void {
    this.stackName = stackName;
    const { reportReady } = this.renderScripts(stackName, campaignId);
    this.reporter = spawn(reportReady, [], { env: this.scriptEnv(), stdio: 'ignore', detached: true });
  }

  /** What DeployStack's Run Command does on a manager: deploy.sh with the campaign's arguments. */
  async deploy(settings: AgentSettings): Promise<void> {
    if (this.stackName === null) throw new Error('deploy before boot');
    const { deploy } = this.renderScripts(this.stackName, settings.campaignId);
    await this.run(deploy, [settings.campaignId, settings.bucket, settings.region], 180_000);
    // Stands in for the instance role and AWS's own endpoints (see the header).
    await this.run(
      'docker',
      [
        'service',
        'update',
        '--detach',
        '--env-add',
        `AWS_ENDPOINT_URL=${this.aws.moto}`,
        '--env-add',
        `AWS_ENDPOINT_URL_SFN=${this.aws.stepFunctions}`,
        '--env-add',
        `AWS_ACCESS_KEY_ID=${this.aws.credentials.accessKeyId}`,
        '--env-add',
        `AWS_SECRET_ACCESS_KEY=${this.aws.credentials.secretAccessKey}`,
        `${DOCKER_STACK}_agent`,
      ],
      60_000,
    );
  }

  private async run(file: string, args: string[], timeout: number): Promise<string> {
    try {
      const { stdout } = await execFileAsync(file, args, { env: this.scriptEnv(), timeout });
      return stdout;
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: string; stderr?: string };
      throw new Error(`${path.basename(file)} ${args.join(' ')} failed:\n${stdout ?? ''}${stderr ?? ''}`, {
        cause: error,
      });
    }
  }

  /**
   * Waits until node `i`'s runner container runs a simulation (a process of the demo program) and
   * returns the run numbers it was given (`-r a,b,c`).
   */
  async simulationsOn(i: number, timeoutMs = 120_000): Promise<number[]> {
    const engine = this.docker(i);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const runners = await engine.listContainers({
        filters: { label: [`com.docker.swarm.service.name=${DOCKER_STACK}_runner`] },
      });
      for (const runner of runners) {
        const top = (await engine
          .getContainer(runner.Id)
          // Docker needs the pid column to pick the container's processes out of ps's output.
          .top({ ps_args: '-eo pid,args' })
          .catch(() => null)) as { Processes?: string[][] } | null;
        for (const row of top?.Processes ?? []) {
          const args = row.at(-1) ?? '';
          const runs = /(?:^|\/)demo .* -r ([\d,]+)$/.exec(args)?.[1];
          if (runs !== undefined) return runs.split(',').map(Number);
        }
      }
      if (Date.now() > deadline) throw new Error(`no simulation ran on node ${i} within ${timeoutMs} ms`);
      await sleep(200);
    }
  }

  /** The campaign's agent stops answering: its service is scaled to nothing. */
  async silenceAgent(): Promise<void> {
    await this.run('docker', ['service', 'scale', '--detach', `${DOCKER_STACK}_agent=0`], 60_000);
  }

  /** The agent's log lines (JSON), for failure messages. */
  async agentLog(): Promise<string> {
    return this.run('docker', ['service', 'logs', '--raw', `${DOCKER_STACK}_agent`], 30_000).catch(
      (error: unknown) => String(error),
    );
  }

  /** The instances are terminated: the stack, its secrets and volumes go, and the reporter stops. */
  async terminate(): Promise<void> {
    if (this.reporter?.pid !== undefined) {
      try {
        process.kill(-this.reporter.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    this.reporter = null;
    this.stackName = null;
    await this.run('docker', ['stack', 'rm', DOCKER_STACK], 60_000).catch(() => undefined);
    // Containers and the stack's networks go asynchronously; the next deploy needs the names free.
    // Containers a killed engine left behind (exited, never reaped) go the way the disk would.
    const deadline = Date.now() + 120_000;
    for (let round = 0; ; round++) {
      const containers = await this.stackContainers();
      if (round === 30)
        for (const { engine, id } of containers)
          await engine
            .getContainer(id)
            .remove({ force: true })
            .catch(() => undefined);
      const left = [...containers.map((c) => c.label), ...(await this.networksLeft())];
      if (left.length === 0) break;
      if (Date.now() > deadline) throw new Error(`still there after docker stack rm: ${left.join(', ')}`);
      await sleep(1000);
    }
    for (const secret of await this.docker().listSecrets())
      await this.docker()
        .getSecret(secret.ID)
        .remove()
        .catch(() => undefined);
    for (const { engine, name } of await this.stackVolumes())
      await engine.getVolume(name).remove({ force: true });
  }

  /** `collect` over every node's engine, results in node order. */
  private async onEveryNode<T>(collect: (engine: Docker, node: string) => Promise<T[]>): Promise<T[]> {
    const found: T[] = [];
    for (const [i, node] of this.swarm.nodes.entries())
      found.push(...(await collect(this.docker(i + 1), node.name)));
    return found;
  }

  /** The stack's containers on every node, running or not. */
  private stackContainers(): Promise<{ engine: Docker; id: string; label: string }[]> {
    return this.onEveryNode(async (engine, node) =>
      (await engine.listContainers({ all: true, filters: STACK_FILTER })).map((c) => ({
        engine,
        id: c.Id,
        label: `container ${node}:${c.Names.join(',')}`,
      })),
    );
  }

  private stackVolumes(): Promise<{ engine: Docker; name: string; label: string }[]> {
    return this.onEveryNode(async (engine, node) => {
      const { Volumes = [] } = await engine.listVolumes({ filters: STACK_FILTER });
      return Volumes.map((v) => ({ engine, name: v.Name, label: `volume ${node}:${v.Name}` }));
    });
  }

  private async networksLeft(): Promise<string[]> {
    const networks = await this.docker().listNetworks({ filters: STACK_FILTER });
    return networks.map((n) => `network ${n.Name}`);
  }

  /** Whatever of a campaign is still on the swarm: services, containers, secrets, volumes, networks. */
  async leftovers(): Promise<string[]> {
    const manager = this.docker();
    const services = await manager.listServices({ filters: STACK_FILTER });
    const secrets = await manager.listSecrets();
    return [
      ...services.map((s) => `service ${s.Spec?.Name}`),
      ...(await this.stackContainers()).map((c) => c.label),
      ...secrets.map((s) => `secret ${s.Spec?.Name}`),
      ...(await this.networksLeft()),
      ...(await this.stackVolumes()).map((v) => v.label),
      ...(this.reporter === null ? [] : ['report-ready.sh']),
    ];
  }
}
