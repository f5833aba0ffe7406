/**
 * `aws connect` / `aws disconnect`: an SSH tunnel from a local port to a cluster's dashboard, run as a
 * detached `ssh -N -L` whose PID is kept in `<state>/aws-tunnels/<campaign>.pid` (its stderr beside it,
 * `.log`). One tunnel per campaign; a PID file whose process is gone is stale and simply replaced.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { AwsTunnelError } from './client-errors.js';
import { sleep } from './retry-policy.js';

export interface TunnelRequest {
  readonly campaignId: string;
  readonly managerAddress: string;
  readonly remotePort: number;
  readonly localPort: number;
  /** The login of the cluster's AMI. */
  readonly user: string;
  /** Private key for the cluster's EC2 key pair; null: ssh's own defaults and agent. */
  readonly identityFile: string | null;
  /** `<state>/aws-tunnels`. */
  readonly tunnelsDir: string;
  /** The ssh program (a name on PATH). */
  readonly ssh?: string;
  /** How long to wait for the local port to accept connections. */
  readonly readyTimeoutMs?: number;
}

export interface OpenTunnel {
  readonly pid: number;
  readonly url: string;
}

export function tunnelPidFile(tunnelsDir: string, campaignId: string): string {
  return path.join(tunnelsDir, `${campaignId}.pid`);
}

/** ssh's arguments: no remote command, fail rather than run without the forward, notice a dead link. */
export function sshArgv(request: Omit<TunnelRequest, 'tunnelsDir'>): string[] {
  return [
    '-N',
    '-L',
    `${request.localPort}:localhost:${request.remotePort}`,
    '-o',
    'ExitOnForwardFailure=yes',
    '-o',
    'ServerAliveInterval=30',
    '-o',
    'ServerAliveCountMax=3',
    // Detached, ssh cannot ask for a password or about a host key: fail instead of hanging. A new
    // cluster's key is accepted on first sight (its managers are new machines every campaign).
    '-o',
    'BatchMode=yes',
    '-o',
    'StrictHostKeyChecking=accept-new',
    ...(request.identityFile === null ? [] : ['-i', request.identityFile]),
    `${request.user}@${request.managerAddress}`,
  ];
}

/** Whether `pid` is a live process (a zombie left for an absent reaper counts as gone). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // /proc/<pid>/stat is "pid (comm) S ...": the state follows the last ')'. Not Linux: kill(0) is all.
  const stat = readFileSyncOrNull(`/proc/${pid}/stat`);
  return stat === null || stat.charAt(stat.lastIndexOf(')') + 2) !== 'Z';
}

function readFileSyncOrNull(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

async function readPid(file: string): Promise<number | null> {
  const text = await readFile(file, 'utf8').catch(() => null);
  if (text === null) return null;
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Starts the tunnel and returns once its local port accepts connections.
 * @throws AwsTunnelError when one is open already, the port is taken, or ssh gives up
 */
export async function openTunnel(request: TunnelRequest): Promise<OpenTunnel> {
  const pidFile = tunnelPidFile(request.tunnelsDir, request.campaignId);
  const logFile = path.join(request.tunnelsDir, `${request.campaignId}.log`);
  const url = `http://localhost:${request.localPort}/`;
  await mkdir(request.tunnelsDir, { recursive: true });
  const existing = await readPid(pidFile);
  if (existing !== null && isRunning(existing))
    throw new AwsTunnelError(
      `a tunnel to ${request.campaignId} is open already (ssh pid ${existing}); \`inet-swarm aws disconnect ${request.campaignId}\` closes it`,
    );
  await rm(pidFile, { force: true }); // stale: its ssh is gone
  if (!(await portFree(request.localPort)))
    throw new AwsTunnelError(`local port ${request.localPort} is in use; pick another with --local-port`);

  const log = openSync(logFile, 'w');
  let child;
  try {
    child = spawn(request.ssh ?? 'ssh', sshArgv(request), {
      detached: true,
      stdio: ['ignore', 'ignore', log],
    });
  } finally {
    closeSync(log);
  }
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(-1));
  });
  const pid = child.pid;
  if (pid === undefined) {
    await exited;
    throw new AwsTunnelError(`cannot start ${request.ssh ?? 'ssh'}: is OpenSSH installed?`);
  }
  await writeFile(pidFile, `${pid}\n`, { flag: 'wx' });

  let gone: number | null | undefined;
  void exited.then((code) => (gone = code));
  const deadline = Date.now() + (request.readyTimeoutMs ?? 20_000);
  while (gone === undefined && !(await accepts(request.localPort))) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGTERM');
      await rm(pidFile, { force: true });
      throw new AwsTunnelError(
        `ssh did not open port ${request.localPort} within ${Math.round((request.readyTimeoutMs ?? 20_000) / 1000)} s; see ${logFile}`,
      );
    }
    await sleep(100);
  }
  if (gone !== undefined) {
    await rm(pidFile, { force: true });
    const output = (await readFile(logFile, 'utf8').catch(() => '')).trim();
    throw new AwsTunnelError(
      `ssh to ${request.user}@${request.managerAddress} ended (exit code ${gone}): ${output || 'no output'}` +
        '\n(is the cluster started with --key-name and --ssh-cidr covering this machine, and is the key given with -i?)',
    );
  }
  child.unref();
  return { pid, url };
}

/** Stops the campaign's tunnel: `closed`, `stale` (its ssh had ended) or `none` (no PID file). */
export async function closeTunnel(
  tunnelsDir: string,
  campaignId: string,
): Promise<'closed' | 'stale' | 'none'> {
  const pidFile = tunnelPidFile(tunnelsDir, campaignId);
  const pid = await readPid(pidFile);
  if (pid === null) {
    await rm(pidFile, { force: true });
    return 'none';
  }
  if (!isRunning(pid)) {
    await rm(pidFile, { force: true });
    return 'stale';
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 5000;
  while (isRunning(pid) && Date.now() < deadline) await sleep(50);
  if (isRunning(pid)) process.kill(pid, 'SIGKILL');
  await rm(pidFile, { force: true });
  return 'closed';
}
