/**
 * The swarm backend on a real three-node Docker Swarm (one dockerd per network namespace, see
 * test/support/netns-swarm.ts): `swarm up` deploys the real stack file with the real images, the
 * builder compiles through distcc daemons on several nodes, and a 200-run campaign survives killed
 * runners, a killed node, a restarted Redis and a killed client, with results equal to the local
 * backend's. Redis and MongoDB are the offline stand-in images (MongoDB: FerretDB), see ENVIRONMENT.md.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../lib/core/campaign.js';
import {
  collect,
  demoProject,
  demoSourceProject,
  inetSwarm,
  manifestRecords,
  normalisedResult,
  resultFiles,
  startCli,
  waitFor,
} from '../e2e/helpers.js';
import { startNetnsSwarm, type NetnsSwarm } from '../support/netns-swarm.js';

const STACK = 'inet-swarm';
let cluster: NetnsSwarm;
let env: Record<string, string>;

/** The stand-ins for the official images, and no silent local compiles. */
function stackEnv(configHome: string): Record<string, string> {
  return {
    XDG_CONFIG_HOME: configHome,
    REDIS_IMAGE: 'inet-swarm/redis:test',
    MONGO_IMAGE: 'inet-swarm/mongo:test',
    DISTCC_FALLBACK: '0',
  };
}

const docker = (node: number) => new Docker({ socketPath: cluster.nodes[node - 1]?.socketPath ?? '' });

/** SIGKILLs the containers of a stack service on one node; returns how many. */
async function killContainers(node: number, service: string): Promise<number> {
  const engine = docker(node);
  const containers = await engine.listContainers({
    filters: { label: [`com.docker.swarm.service.name=${STACK}_${service}`] },
  });
  await Promise.all(
    containers.map((c) =>
      engine
        .getContainer(c.Id)
        .kill()
        .catch(() => undefined),
    ),
  );
  return containers.length;
}

const okRuns = (records: readonly RunRecord[]) => records.filter((r) => r.status === 'ok');

beforeAll(async () => {
  cluster = await startNetnsSwarm('iss', 3);
  env = stackEnv(mkdtempSync(path.join(os.tmpdir(), 'swarm-config-')));
  const up = await inetSwarm(
    ['swarm', 'up', '--docker', cluster.manager.dockerHost, '--timeout', '300'],
    os.tmpdir(),
    env,
  );
  if (up.code !== 0) throw new Error(`swarm up failed (${up.code}):\n${up.stdout}\n${up.stderr}`);
}, 600_000);

afterAll(async () => {
  await inetSwarm(
    ['swarm', 'down', '--purge', '--docker', cluster.manager.dockerHost],
    os.tmpdir(),
    env,
  ).catch(() => undefined);
  await cluster?.stop();
}, 300_000);

describe('swarm up / status / down', () => {
  it('is idempotent, and status shows every service running on the right nodes', async () => {
    const again = await inetSwarm(['swarm', 'up', '--docker', cluster.manager.dockerHost], os.tmpdir(), env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/gateway: +http:\/\/10\.[\d.]+:8080/);
    const status = await inetSwarm(
      ['swarm', 'status', '--docker', cluster.manager.dockerHost],
      os.tmpdir(),
      env,
    );
    expect(status.code).toBe(0);
    for (const [service, mode, count] of [
      ['redis', 'replicated', '1/1'],
      ['mongo', 'replicated', '1/1'],
      ['gateway', 'replicated', '1/1'],
      ['dashboard', 'replicated', '1/1'],
      ['builder', 'replicated', '1/1'],
      ['distcc', 'global', '3/3'],
      ['runner', 'global', '3/3'],
      // aws mode only: deployed with no replicas, which must not hold up `swarm up`.
      ['agent', 'replicated', '0/0'],
    ])
      expect(status.stdout).toMatch(new RegExp(`${STACK}_${service} +${mode} +${count}`));
    // Redis and MongoDB are not published anywhere.
    const services = await docker(1).listServices();
    for (const service of services.filter((s) => /_(redis|mongo)$/.test(s.Spec?.Name ?? '')))
      expect(service.Endpoint?.Ports ?? []).toEqual([]);
  });

  it('refuses an unreachable engine and a worker node with clear errors', async () => {
    const unreachable = await inetSwarm(
      ['swarm', 'up', '--docker', 'unix:///run/no-such-docker.sock'],
      os.tmpdir(),
      env,
    );
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toContain('cannot reach Docker');
    const worker = await inetSwarm(
      ['swarm', 'status', '--docker', cluster.nodes[1]?.dockerHost ?? ''],
      os.tmpdir(),
      env,
    );
    expect(worker.code).toBe(2);
    expect(worker.stderr).toContain('swarm worker');
  });
});

describe('a campaign on the swarm', () => {
  it('builds through distcc daemons on at least two nodes (DISTCC_FALLBACK=0)', async () => {
    const project = demoSourceProject('swarm-distcc');
    const result = await inetSwarm(['run', '--swarm', '-C', project, './demo', '-c', 'Quick'], project, env);
    expect(result.code, result.stderr).toBe(0);
    const daemons = /on (\d+) distcc daemon\(s\) \(([^)]*)\)/.exec(result.stdout);
    expect(daemons, result.stdout).not.toBeNull();
    const addresses = (daemons?.[2] ?? '').split(', ').map((entry) => entry.split(':')[0]);
    // Which node each daemon address belongs to, from the distcc service's tasks.
    const tasks = (await docker(1).listTasks({
      filters: { service: [`${STACK}_distcc`], 'desired-state': ['running'] },
    })) as {
      NodeID: string;
      NetworksAttachments?: { Addresses?: string[] }[];
    }[];
    const nodeOf = new Map<string, string>();
    for (const task of tasks)
      for (const attachment of task.NetworksAttachments ?? [])
        for (const address of attachment.Addresses ?? [])
          nodeOf.set(address.split('/')[0] ?? '', task.NodeID);
    const nodes = new Set(addresses.map((a) => nodeOf.get(a ?? '')).filter(Boolean));
    expect(nodes.size, `daemons ${addresses.join(', ')}`).toBeGreaterThanOrEqual(2);
  });

  it('completes 200 runs through killed runners, a killed node, a Redis restart and a killed client', async () => {
    const project = demoSourceProject('swarm-chaos');
    const args = ['-C', project, './demo', '-c', 'SkewedLarge'];
    const client = startCli(['run', '--swarm', ...args], project, env);
    const clientDone = collect(client);
    const stored = () => okRuns(manifestRecords(project)).length;

    await waitFor(() => stored() >= 20, 300_000);
    expect(await killContainers(1, 'runner')).toBeGreaterThan(0);
    await killContainers(2, 'runner');
    await waitFor(() => stored() >= 50, 300_000);
    await cluster.killNode(3);
    await waitFor(() => stored() >= 80, 300_000);
    expect(await killContainers(1, 'redis')).toBe(1);
    await waitFor(() => stored() >= 110, 300_000);
    client.kill('SIGKILL');
    await clientDone;
    const finishedBeforeKill = new Set(okRuns(manifestRecords(project)).map((r) => r.runNumber));

    const attach = startCli(['attach', '-C', project], project, env);
    const attachDone = collect(attach);
    await waitFor(() => stored() >= 150, 300_000);
    await killContainers(2, 'runner');
    const attached = await attachDone;
    expect(attached.code, `${attached.stdout}\n${attached.stderr}`).toBe(0);
    expect(attached.stdout).toContain('200 runs: 200 ok');

    const records = manifestRecords(project);
    const ok = okRuns(records);
    // Each run's results stored exactly once, and no run finished before the kill ran again.
    expect(new Set(ok.map((r) => r.runNumber)).size).toBe(200);
    expect(ok).toHaveLength(200);
    for (const run of finishedBeforeKill) expect(ok.filter((r) => r.runNumber === run)).toHaveLength(1);
    for (const record of ok)
      for (const file of record.files)
        expect(
          createHash('sha256')
            .update(readFileSync(path.join(project, file.path)))
            .digest('hex'),
        ).toBe(file.sha256);

    // One report over both sessions (client killed, then attach): the swarm's build and the nodes.
    // Written outside results/, which is compared with the local backend's below.
    const reportFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'swarm-report-')), 'report.html');
    const report = await inetSwarm(['report', '-C', project, '-o', reportFile], project);
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toContain('200 runs');
    const html = readFileSync(reportFile, 'utf8');
    const build = /<section id="build">([\s\S]*?)<\/section>/.exec(html)?.[1] ?? '';
    expect(build).toContain('swarm');
    expect(build).not.toContain('No builds');
    for (const host of new Set(ok.map((r) => r.host))) expect(html).toContain(host);

    // Identical to the local backend, apart from the lines that name the execution.
    const local = demoProject('swarm-chaos-local');
    const localRun = await inetSwarm(['run', '-C', local, './demo', '-c', 'SkewedLarge'], local);
    expect(localRun.code).toBe(0);
    const names = resultFiles(path.join(project, 'results'));
    expect(names).toEqual(resultFiles(path.join(local, 'results')));
    for (const name of names.filter((n) => n.endsWith('.sca')))
      expect(normalisedResult(path.join(project, 'results', name)), name).toBe(
        normalisedResult(path.join(local, 'results', name)),
      );
  }, 1_200_000);
});

describe('swarm down', () => {
  it('removes the services but keeps the volumes unless --purge', async () => {
    const down = await inetSwarm(['swarm', 'down', '--docker', cluster.manager.dockerHost], os.tmpdir(), env);
    expect(down.code, down.stderr).toBe(0);
    expect(
      await docker(1).listServices({ filters: { label: [`com.docker.stack.namespace=${STACK}`] } }),
    ).toEqual([]);
    const volumes = async () =>
      (
        (await docker(1).listVolumes({ filters: { label: [`com.docker.stack.namespace=${STACK}`] } }))
          .Volumes ?? []
      ).map((v) => v.Name);
    expect(await volumes()).toEqual(expect.arrayContaining([`${STACK}_redis-data`, `${STACK}_mongo-data`]));
    const purge = await inetSwarm(
      ['swarm', 'down', '--purge', '--docker', cluster.manager.dockerHost],
      os.tmpdir(),
      env,
    );
    expect(purge.code, purge.stderr).toBe(0);
    expect(await volumes()).toEqual([]);
    expect((await docker(1).listSecrets()).map((secret) => secret.Spec?.Name)).not.toContain(
      'inet_swarm_gateway_token',
    );
  }, 300_000);
});
