/**
 * Deploys, inspects and removes the inet-swarm stack through the Docker Engine API (dockerode): the
 * local socket, `DOCKER_HOST`, `tcp://host:port` or `ssh://user@host`. Deploying is idempotent:
 * missing secrets and networks are created, existing services updated in place (their tasks restart
 * only if their spec changed), so `swarm up` twice is harmless.
 */
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { DockerUnreachableError, NotSwarmManagerError, SwarmNotReadyError } from '../../core/errors.js';
import { scopedName, serviceSpec, STACK_LABEL, type StackFile } from './stack-file.js';

/** dockerode options for a `--docker` address; none: the local socket or DOCKER_HOST. */
export function dockerOptions(host: string | undefined): Docker.DockerOptions {
  if (host === undefined || host === '') return {};
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  if (host.startsWith('/')) return { socketPath: host };
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    throw new DockerUnreachableError(
      `'${host}' is not a Docker address (unix:///path, tcp://host:port, ssh://user@host)`,
    );
  }
  if (url.protocol === 'tcp:' || url.protocol === 'http:')
    return { protocol: 'http', host: url.hostname, port: Number(url.port || 2375) };
  if (url.protocol === 'ssh:')
    return {
      protocol: 'ssh',
      host: url.hostname,
      port: Number(url.port || 22),
      username: url.username || undefined,
      sshOptions: { agent: process.env.SSH_AUTH_SOCK },
    } as Docker.DockerOptions;
  throw new DockerUnreachableError(`unsupported Docker address '${host}'`);
}

export interface ServiceStatus {
  readonly name: string;
  readonly mode: 'global' | 'replicated';
  readonly running: number;
  readonly desired: number;
  /** Why tasks are not running, if Docker says (image missing, no suitable node...). */
  readonly problems: readonly string[];
}

export interface NodeStatus {
  readonly hostname: string;
  readonly role: string;
  readonly state: string;
  readonly availability: string;
  readonly address: string;
}

export interface StackStatus {
  readonly services: readonly ServiceStatus[];
  readonly nodes: readonly NodeStatus[];
}

/** The parts of the Engine API's task and node objects we read (dockerode types them as any). */
interface TaskInfo {
  readonly ServiceID?: string;
  readonly NodeID?: string;
  readonly DesiredState?: string;
  readonly Status?: { readonly State?: string; readonly Err?: string };
}
interface NodeInfo {
  readonly ID: string;
  readonly Description?: { readonly Hostname?: string };
  readonly Spec?: { readonly Role?: string; readonly Availability?: string };
  readonly Status?: { readonly State?: string; readonly Addr?: string };
}

export class DockerSwarmControl {
  private readonly docker: Docker;

  constructor(
    readonly host: string | undefined,
    private readonly stack: string,
  ) {
    this.docker = new Docker(dockerOptions(host));
  }

  /** Fails clearly unless the engine answers and is a swarm manager. */
  async checkManager(): Promise<void> {
    let info: { Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean } };
    try {
      info = (await this.docker.info()) as typeof info;
    } catch (error) {
      throw new DockerUnreachableError(
        `cannot reach Docker at ${this.host ?? process.env.DOCKER_HOST ?? 'the local socket'}: ${(error as Error).message}`,
      );
    }
    if (info.Swarm?.LocalNodeState !== 'active')
      throw new NotSwarmManagerError(
        'this Docker engine is not part of a swarm: run `docker swarm init` on it first (or name a manager with --docker)',
      );
    if (info.Swarm.ControlAvailable !== true)
      throw new NotSwarmManagerError(
        'this Docker engine is a swarm worker; name a manager node with --docker',
      );
  }

  /**
   * Creates the secrets that do not exist yet with fresh random values and returns the values it
   * created (Docker never gives a secret back, so only a new one can be returned).
   */
  async ensureSecrets(names: readonly string[], given: Readonly<Record<string, string>> = {}) {
    const existing = new Map(
      (await this.docker.listSecrets()).map((secret) => [secret.Spec?.Name ?? '', secret.ID]),
    );
    const created: Record<string, string> = {};
    const ids: Record<string, string> = {};
    for (const name of names) {
      const id = existing.get(name);
      if (id !== undefined) {
        ids[name] = id;
        continue;
      }
      const value = given[name] ?? randomBytes(24).toString('base64url');
      const secret = (await this.docker.createSecret({
        Name: name,
        Labels: { [STACK_LABEL]: this.stack },
        Data: Buffer.from(value).toString('base64'),
      })) as { id: string };
      ids[name] = secret.id;
      created[name] = value;
    }
    return { ids, created };
  }

  async deploy(file: StackFile, secretIds: Readonly<Record<string, string>>): Promise<void> {
    const labels = { [STACK_LABEL]: this.stack };
    const networks = new Set((await this.docker.listNetworks()).map((network) => network.Name));
    for (const name of Object.keys(file.networks ?? {})) {
      const scoped = scopedName(this.stack, name);
      if (!networks.has(scoped))
        await this.docker.createNetwork({
          Name: scoped,
          Driver: 'overlay',
          Labels: labels,
          Attachable: false,
        });
    }
    const services = new Map(
      (await this.docker.listServices({ filters: { label: [`${STACK_LABEL}=${this.stack}`] } })).map(
        (service) => [service.Spec?.Name ?? '', service],
      ),
    );
    for (const [name, definition] of Object.entries(file.services)) {
      const spec = serviceSpec(name, definition, file, { stack: this.stack, secretIds });
      const current = services.get(spec.Name);
      if (current === undefined) {
        await this.docker.createService(spec as Docker.CreateServiceOptions);
      } else {
        await this.docker
          .getService(current.ID)
          .update({ ...spec, version: current.Version?.Index } as unknown as Docker.ServiceSpec);
      }
    }
  }

  async status(): Promise<StackStatus> {
    const [services, nodes] = await Promise.all([
      this.docker.listServices({ filters: { label: [`${STACK_LABEL}=${this.stack}`] } }),
      this.docker.listNodes() as Promise<NodeInfo[]>,
    ]);
    const tasks = await this.tasksOf(services.map((service) => service.ID));
    const readyNodes = nodes.filter((n) => n.Status?.State === 'ready' && n.Spec?.Availability === 'active');
    return {
      services: services
        .map((service): ServiceStatus => {
          const own = tasks.filter((task) => task.ServiceID === service.ID);
          const wanted = own.filter((task) => task.DesiredState === 'running');
          const global = service.Spec?.Mode?.Global !== undefined;
          return {
            name: service.Spec?.Name ?? service.ID,
            mode: global ? 'global' : 'replicated',
            running: wanted.filter((task) => task.Status?.State === 'running').length,
            desired: global ? readyNodes.length : (service.Spec?.Mode?.Replicated?.Replicas ?? 0),
            problems: [
              ...new Set(
                wanted
                  .filter((task) => task.Status?.State !== 'running' && task.Status?.Err)
                  .map((task) => String(task.Status?.Err)),
              ),
            ],
          };
        })
        .sort((a, b) => a.name.localeCompare(b.name)),
      nodes: nodes.map((node) => ({
        hostname: node.Description?.Hostname ?? node.ID,
        role: node.Spec?.Role ?? '?',
        state: node.Status?.State ?? '?',
        availability: node.Spec?.Availability ?? '?',
        address: node.Status?.Addr ?? '?',
      })),
    };
  }

  /** Waits until every service runs all its tasks (health checks included: Docker only calls a task running once healthy starts count). */
  async waitUntilRunning(timeoutMs: number, onWait: (status: StackStatus) => void): Promise<StackStatus> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = await this.status();
      // A global service wants one task per ready node, so 0 means not yet; a replicated service
      // scaled to 0 (the aws-only agent in swarm mode) is as ready as it will get.
      const waiting = status.services.filter(
        (s) => s.running < s.desired || (s.desired === 0 && s.mode === 'global'),
      );
      if (status.services.length > 0 && waiting.length === 0) return status;
      if (Date.now() > deadline) {
        throw new SwarmNotReadyError(
          `the stack is not running after ${Math.round(timeoutMs / 1000)} s:\n` +
            waiting
              .map(
                (s) =>
                  `  ${s.name}: ${s.running}/${s.desired} running${s.problems.length > 0 ? ` (${s.problems.join('; ')})` : ''}`,
              )
              .join('\n'),
        );
      }
      onWait(status);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }

  /** The address of the node running the service's task: where its host-mode port is published. */
  async addressOf(service: string): Promise<string> {
    const tasks = (await this.docker.listTasks({
      filters: { service: [scopedName(this.stack, service)], 'desired-state': ['running'] },
    })) as TaskInfo[];
    const nodeId = tasks.find((task) => task.Status?.State === 'running')?.NodeID;
    if (nodeId === undefined) throw new SwarmNotReadyError(`no running ${service} task`);
    const node = (await this.docker.getNode(nodeId).inspect()) as NodeInfo;
    return node.Status?.Addr ?? '127.0.0.1';
  }

  /** The tasks of these services. (A `service` filter naming a removed service is a 404, hence the local filter.) */
  private async tasksOf(serviceIds: readonly string[]): Promise<TaskInfo[]> {
    if (serviceIds.length === 0) return [];
    const wanted = new Set(serviceIds);
    return ((await this.docker.listTasks()) as TaskInfo[]).filter((task) => wanted.has(task.ServiceID ?? ''));
  }

  /** Removes the stack's services and networks; with `purge` also its secrets and this node's volumes. */
  async remove(purge: boolean): Promise<{ services: number; volumes: number }> {
    const filters = { label: [`${STACK_LABEL}=${this.stack}`] };
    const services = await this.docker.listServices({ filters });
    for (const service of services) await this.docker.getService(service.ID).remove().catch(ignoreGone);
    // Networks can only go once the tasks using them are gone.
    for (let i = 0; i < 60; i++) {
      if ((await this.tasksOf(services.map((service) => service.ID))).length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    for (const network of await this.docker.listNetworks({ filters })) {
      await this.docker
        .getNetwork(network.Id)
        .remove()
        .catch(() => undefined);
    }
    let volumes = 0;
    if (purge) {
      for (const secret of await this.docker.listSecrets({ filters }))
        await this.docker.getSecret(secret.ID).remove().catch(ignoreGone);
      // Containers release their volumes shortly after their tasks are removed.
      for (let i = 0; i < 30; i++) {
        const remaining = (await this.docker.listVolumes({ filters })).Volumes ?? [];
        const results = await Promise.all(
          remaining.map((volume) =>
            this.docker
              .getVolume(volume.Name)
              .remove()
              .then(
                () => true,
                () => false,
              ),
          ),
        );
        volumes += results.filter(Boolean).length;
        if (results.every(Boolean)) break;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
    return { services: services.length, volumes };
  }
}

/** Removing something already gone (another `down`, Docker's own clean-up) is not an error. */
function ignoreGone(error: unknown): void {
  if ((error as { statusCode?: number }).statusCode !== 404) throw error;
}
