/**
 * The multi-node test swarm itself: three engines in their own network namespaces joined into one
 * swarm, the project's worker image on every node, and ports published in host mode reachable from
 * the test process, as the swarm backend's end-to-end tests rely on.
 */
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startNetnsSwarm, type NetnsSwarm } from '../support/netns-swarm.js';

const taskSchema = z.object({
  NodeID: z.string(),
  Status: z.object({ State: z.string() }),
});
const nodeSchema = z.object({ ID: z.string(), Description: z.object({ Hostname: z.string() }) });

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`, { cause: last });
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

// Answers with the name of the node it runs on, which the swarm fills into its environment.
const server = `require('node:http').createServer((_, res) => res.end(process.env.NODE_HOSTNAME)).listen(8080)`;

describe('a swarm of network namespaces', () => {
  let swarm: NetnsSwarm | undefined;
  beforeAll(async () => {
    // Building the images from scratch takes ~1.5 minutes on a fresh machine; later ~2 s.
    swarm = await startNetnsSwarm('nsmoke', 3);
  }, 400_000);
  afterAll(async () => {
    await swarm?.stop();
  });

  it('runs a global service on every node and reaches a host-mode port on node 2', async () => {
    if (swarm === undefined) throw new Error('the swarm did not start');
    const docker = new Docker({ socketPath: swarm.manager.socketPath });

    await docker.createService({
      Name: 'probe',
      Mode: { Global: {} },
      TaskTemplate: {
        ContainerSpec: {
          Image: 'inet-swarm/worker:dev',
          Command: ['node', '-e', server],
          Env: ['NODE_HOSTNAME={{.Node.Hostname}}'],
          Init: true,
        },
      },
      // No IPVS in our kernels: no virtual IP, no routing mesh.
      EndpointSpec: {
        Mode: 'dnsrr',
        Ports: [{ Protocol: 'tcp', TargetPort: 8080, PublishedPort: 8080, PublishMode: 'host' }],
      },
    });

    const hostnames = new Map(
      z
        .array(nodeSchema)
        .parse(await docker.listNodes())
        .map((node) => [node.ID, node.Description.Hostname]),
    );
    const running = await waitFor('a running task on each node', 30_000, async () => {
      const tasks = z
        .array(taskSchema)
        .parse(await docker.listTasks({ filters: { service: ['probe'], 'desired-state': ['running'] } }));
      const nodes = tasks
        .filter((task) => task.Status.State === 'running')
        .map((task) => hostnames.get(task.NodeID));
      return nodes.length >= 3 ? nodes.sort() : undefined;
    });
    expect(running).toEqual(['nsmoke1', 'nsmoke2', 'nsmoke3']);

    const node2 = swarm.nodes[1];
    if (node2 === undefined) throw new Error('no node 2');
    // The task is running before its server listens: retry until it answers.
    const answer = await waitFor(`http://${node2.ip}:8080/`, 15_000, async () => {
      const response = await fetch(`http://${node2.ip}:8080/`, { signal: AbortSignal.timeout(2_000) });
      return response.ok ? response.text() : undefined;
    });
    expect(answer).toBe('nsmoke2');
  });

  it('starts a killed node again: it rejoins with its old identity and runs its global task again', async () => {
    if (swarm === undefined) throw new Error('the swarm did not start');
    const docker = new Docker({ socketPath: swarm.manager.socketPath });
    const node2 = swarm.nodes[1];
    if (node2 === undefined) throw new Error('no node 2');
    // Twice: a restarted node must survive being killed again.
    for (let round = 0; round < 2; round++) {
      await swarm.killNode(2);
      await expect(
        fetch(`http://${node2.ip}:8080/`, { signal: AbortSignal.timeout(2_000) }),
      ).rejects.toThrow();
      await swarm.startNode(2);
      const nodes = z.array(nodeSchema).parse(await docker.listNodes());
      expect(nodes.filter((node) => node.Description.Hostname === 'nsmoke2')).toHaveLength(1);
      const answer = await waitFor(`http://${node2.ip}:8080/ after the restart`, 60_000, async () => {
        const response = await fetch(`http://${node2.ip}:8080/`, { signal: AbortSignal.timeout(2_000) });
        return response.ok ? response.text() : undefined;
      });
      expect(answer).toBe('nsmoke2');
    }
  });
});
