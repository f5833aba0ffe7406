/**
 * The SwarmInspector on the Docker Engine API through dockerode, run on a manager (only managers
 * answer for the whole swarm). dockerode types most of these answers as `any`, so each is parsed with
 * zod into the dashboard's types: a field Docker leaves out becomes null instead of a crash far away.
 */
import type Docker from 'dockerode';
import { z } from 'zod';
import type { SwarmInspector, SwarmNode, SwarmService, SwarmTask } from './swarm-inspector.js';

const nodeSchema = z
  .object({
    ID: z.string(),
    Spec: z.object({ Role: z.string(), Availability: z.string() }),
    Description: z.object({
      Hostname: z.string(),
      Resources: z.object({ NanoCPUs: z.number().nullish(), MemoryBytes: z.number().nullish() }).nullish(),
      Engine: z.object({ EngineVersion: z.string().nullish() }).nullish(),
    }),
    Status: z.object({ State: z.string(), Addr: z.string().nullish() }),
    ManagerStatus: z.object({ Leader: z.boolean().nullish() }).nullish(),
  })
  .transform(
    (node): SwarmNode => ({
      id: node.ID,
      hostname: node.Description.Hostname,
      role: node.Spec.Role,
      availability: node.Spec.Availability,
      state: node.Status.State,
      leader: node.ManagerStatus?.Leader === true,
      address: node.Status.Addr ?? null,
      cpus:
        typeof node.Description.Resources?.NanoCPUs === 'number'
          ? node.Description.Resources.NanoCPUs / 1e9
          : null,
      memoryBytes: node.Description.Resources?.MemoryBytes ?? null,
      engineVersion: node.Description.Engine?.EngineVersion ?? null,
    }),
  );

/** Docker's mode object has exactly one key: Replicated, Global, ReplicatedJob or GlobalJob. */
const MODES: Record<string, string> = {
  Replicated: 'replicated',
  Global: 'global',
  ReplicatedJob: 'replicated-job',
  GlobalJob: 'global-job',
};

const serviceSchema = z
  .object({
    ID: z.string(),
    Spec: z.object({
      Name: z.string(),
      TaskTemplate: z.object({ ContainerSpec: z.object({ Image: z.string() }).nullish() }),
      Mode: z.record(z.string(), z.unknown()),
    }),
    ServiceStatus: z.object({ RunningTasks: z.number(), DesiredTasks: z.number() }).nullish(),
  })
  .transform(
    (service): SwarmService => ({
      id: service.ID,
      name: service.Spec.Name,
      // `docker stack deploy` pins images as name:tag@sha256:…; the digest is noise on a dashboard.
      image: (service.Spec.TaskTemplate.ContainerSpec?.Image ?? '').replace(/@sha256:[0-9a-f]+$/, ''),
      mode: Object.keys(service.Spec.Mode)
        .map((key) => MODES[key] ?? key)
        .join(', '),
      desiredTasks: service.ServiceStatus?.DesiredTasks ?? null,
      runningTasks: service.ServiceStatus?.RunningTasks ?? null,
    }),
  );

const taskSchema = z
  .object({
    ID: z.string(),
    ServiceID: z.string(),
    NodeID: z.string().nullish(),
    Slot: z.number().nullish(),
    UpdatedAt: z.string(),
    DesiredState: z.string(),
    Status: z.object({
      State: z.string(),
      Message: z.string().nullish(),
      Err: z.string().nullish(),
      ContainerStatus: z.object({ ExitCode: z.number().nullish() }).nullish(),
    }),
  })
  .transform(
    (task): SwarmTask => ({
      id: task.ID,
      serviceId: task.ServiceID,
      nodeId: task.NodeID ?? null,
      slot: task.Slot ?? null,
      state: task.Status.State,
      desiredState: task.DesiredState,
      message: task.Status.Message ?? '',
      error: task.Status.Err ?? null,
      // Docker reports 0 for containers still running; only a finished task has a meaningful code.
      exitCode: ['complete', 'failed', 'rejected', 'shutdown'].includes(task.Status.State)
        ? (task.Status.ContainerStatus?.ExitCode ?? null)
        : null,
      updatedAt: task.UpdatedAt,
    }),
  );

/** The three dockerode calls this needs, so that tests can answer them with recorded API output. */
export type DockerSwarmApi = Pick<Docker, 'listNodes' | 'listServices' | 'listTasks'>;

export class DockerSwarmInspector implements SwarmInspector {
  constructor(private readonly docker: DockerSwarmApi) {}

  async nodes(): Promise<SwarmNode[]> {
    return z.array(nodeSchema).parse(await this.docker.listNodes());
  }

  async services(): Promise<SwarmService[]> {
    // status=true adds the running/desired task counts `docker service ls` shows (API 1.41+).
    return z.array(serviceSchema).parse(await this.docker.listServices({ status: true }));
  }

  async tasks(): Promise<SwarmTask[]> {
    return z.array(taskSchema).parse(await this.docker.listTasks());
  }
}
