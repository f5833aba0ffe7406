/**
 * A real multi-node Docker Swarm for tests: one dockerd per network namespace on this machine, built
 * by scripts/netns-swarm.sh with the images of scripts/build-images.sh loaded into every node.
 * Needs root. Ports published with `mode: host` are reachable from the test process at
 * `http://<node ip>:<port>`.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { repoRoot } from './repo.js';

const execFileAsync = promisify(execFile);

export interface NetnsSwarmNode {
  /** Also the node's host name in the swarm (`docker node ls`) and its network namespace. */
  readonly name: string;
  /** Its address on the cluster's private bridge, reachable from the test process. */
  readonly ip: string;
  /** `unix:///run/inet-swarm-netns/<cluster>/<node>/docker.sock`, for `docker -H`. */
  readonly dockerHost: string;
  /** The same socket as a path, for dockerode's `socketPath`. */
  readonly socketPath: string;
  readonly role: 'manager' | 'worker';
}

export interface NetnsSwarm {
  readonly name: string;
  /** The test process's own address on the cluster's bridge: how containers reach its servers. */
  readonly hostIp: string;
  /** In order: nodes[0] is node 1, the only manager. */
  readonly nodes: readonly NetnsSwarmNode[];
  readonly manager: NetnsSwarmNode;
  /** Fails node `i` (1-based, as in the node names): its engine and all its containers are SIGKILLed. */
  killNode(i: number): Promise<void>;
  /** Starts node `i`'s engine again; it rejoins the swarm with its old identity. */
  startNode(i: number): Promise<void>;
  /** Removes the cluster: engines, containers, namespaces, data. */
  stop(): Promise<void>;
}

export interface StartNetnsSwarmOptions {
  /**
   * Run scripts/build-images.sh first (default true). It costs ~2 s when nothing changed, a few
   * seconds more after dist/ changed and about 1.5 minutes on a fresh machine.
   */
  readonly buildImages?: boolean;
  /** Image archive to load into every node (default: the one build-images.sh writes). */
  readonly imagesTar?: string;
}

const clusterSchema = z.object({
  name: z.string(),
  subnet: z.string(),
  hostIp: z.string(),
  nodes: z
    .array(
      z.object({
        name: z.string(),
        ip: z.string(),
        dockerHost: z.string().startsWith('unix://'),
        role: z.enum(['manager', 'worker']),
      }),
    )
    .min(1),
});

export const defaultImagesTar = path.join(repoRoot, '.tools/images/inet-swarm-images.tar');
const script = (name: string) => path.join(repoRoot, 'scripts', name);

/** Runs a repository script, failing with its stderr in the message. */
async function runScript(name: string, args: readonly string[], timeoutMs: number): Promise<string> {
  try {
    const { stdout } = await execFileAsync('bash', [script(name), ...args], {
      cwd: repoRoot,
      timeout: timeoutMs,
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const stderr = (error as { stderr?: unknown }).stderr;
    const detail = typeof stderr === 'string' && stderr.trim() !== '' ? `:\n${stderr.trim()}` : '';
    throw new Error(`scripts/${name} ${args.join(' ')} failed${detail}`, { cause: error });
  }
}

/**
 * Starts a cluster of `nodes` engines named `<name>1`..`<name><nodes>` (`name`: [a-z][a-z0-9]{0,7});
 * an existing cluster of that name is replaced. Node 1 is the manager.
 */
export async function startNetnsSwarm(
  name: string,
  nodes: number,
  options: StartNetnsSwarmOptions = {},
): Promise<NetnsSwarm> {
  await runScript('ensure-docker.sh', [], 120_000);
  if (options.buildImages ?? true) await runScript('build-images.sh', [], 600_000);
  await runScript(
    'netns-swarm.sh',
    ['up', name, String(nodes), options.imagesTar ?? defaultImagesTar],
    300_000,
  );
  const cluster = clusterSchema.parse(
    JSON.parse(await readFile(`/run/inet-swarm-netns/${name}/cluster.json`, 'utf8')),
  );
  const parsed = cluster.nodes.map((node) => ({
    ...node,
    socketPath: node.dockerHost.slice('unix://'.length),
  }));
  const manager = parsed.find((node) => node.role === 'manager');
  if (manager === undefined) throw new Error(`cluster ${name} has no manager`);
  const nodeIndex = (i: number): string => {
    if (!Number.isInteger(i) || i < 1 || i > parsed.length) {
      throw new RangeError(`node index ${i} is not in 1..${parsed.length}`);
    }
    return String(i);
  };
  return {
    name: cluster.name,
    hostIp: cluster.hostIp,
    nodes: parsed,
    manager,
    killNode: async (i) => {
      await runScript('netns-swarm.sh', ['kill-node', name, nodeIndex(i)], 60_000);
    },
    startNode: async (i) => {
      await runScript('netns-swarm.sh', ['start-node', name, nodeIndex(i)], 60_000);
    },
    stop: async () => {
      await runScript('netns-swarm.sh', ['down', name], 120_000);
    },
  };
}
