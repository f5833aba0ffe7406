import type { SwarmInspector, SwarmNode, SwarmService, SwarmTask } from './swarm-inspector.js';

/** A swarm that is whatever the test says it is. */
export class InMemorySwarmInspector implements SwarmInspector {
  constructor(
    private readonly swarm: {
      readonly nodes: readonly SwarmNode[];
      readonly services: readonly SwarmService[];
      readonly tasks: readonly SwarmTask[];
    },
  ) {}

  nodes(): Promise<SwarmNode[]> {
    return Promise.resolve([...this.swarm.nodes]);
  }

  services(): Promise<SwarmService[]> {
    return Promise.resolve([...this.swarm.services]);
  }

  tasks(): Promise<SwarmTask[]> {
    return Promise.resolve([...this.swarm.tasks]);
  }
}
