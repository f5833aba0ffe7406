/**
 * What the dashboard shows of the swarm itself: its nodes, the stack's services and their tasks, in
 * the project's own types (Docker's API objects stay in the adapter). States are Docker's words
 * (`ready`, `running`, `failed`...), kept as strings so that a newer engine's states still show.
 */

export interface SwarmNode {
  readonly id: string;
  readonly hostname: string;
  /** `manager` or `worker`. */
  readonly role: string;
  /** `active`, `pause` or `drain`: whether the scheduler may place tasks there. */
  readonly availability: string;
  /** `ready`, `down`, `unknown` or `disconnected`. */
  readonly state: string;
  /** The manager that leads the swarm's Raft group. */
  readonly leader: boolean;
  readonly address: string | null;
  readonly cpus: number | null;
  readonly memoryBytes: number | null;
  readonly engineVersion: string | null;
}

export interface SwarmService {
  readonly id: string;
  readonly name: string;
  /** The image without its pinned digest. */
  readonly image: string;
  /** `replicated`, `global`, `replicated-job` or `global-job`. */
  readonly mode: string;
  /** Tasks the swarm wants running, and those that are (null from engines older than API 1.41). */
  readonly desiredTasks: number | null;
  readonly runningTasks: number | null;
}

export interface SwarmTask {
  readonly id: string;
  readonly serviceId: string;
  readonly nodeId: string | null;
  /** Replica number of a replicated service; null for a global service's tasks. */
  readonly slot: number | null;
  /** Where the task is (`running`, `failed`, `shutdown`...) and where the swarm wants it. */
  readonly state: string;
  readonly desiredState: string;
  readonly message: string;
  readonly error: string | null;
  readonly exitCode: number | null;
  readonly updatedAt: string;
}

/** Reads the swarm's current nodes, services and tasks (a manager's view). */
export interface SwarmInspector {
  nodes(): Promise<SwarmNode[]>;
  services(): Promise<SwarmService[]>;
  tasks(): Promise<SwarmTask[]>;
}
