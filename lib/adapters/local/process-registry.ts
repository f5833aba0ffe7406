/**
 * Remembers which simulation processes this campaign has running, one file per process group in
 * `<campaign>/processes/`. If inet-swarm itself is killed (SIGKILL, a crashed terminal), its
 * simulations live on as orphans and would race the next session writing the same result files; the
 * next session therefore reaps them before it starts anything. A recorded start time guards against
 * killing an unrelated process that reused the pid.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Field 22 of /proc/<pid>/stat: start time in clock ticks since boot; null if the process is gone. */
function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count fields after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

export class ProcessRegistry {
  constructor(private readonly dir: string) {}

  add(pid: number): void {
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(path.join(this.dir, String(pid)), startTime(pid) ?? '');
  }

  remove(pid: number): void {
    rmSync(path.join(this.dir, String(pid)), { force: true });
  }

  /** Kills the process groups a previous session left running; returns how many there were. */
  async reapOrphans(): Promise<number> {
    let entries: string[];
    try {
      entries = readdirSync(this.dir);
    } catch {
      return 0;
    }
    const killed: number[] = [];
    for (const entry of entries) {
      const pid = Number(entry);
      const recorded = readFileSync(path.join(this.dir, entry), 'utf8').trim();
      if (Number.isInteger(pid) && pid > 0 && recorded !== '' && startTime(pid) === recorded) {
        try {
          process.kill(-pid, 'SIGKILL');
          killed.push(pid);
        } catch {
          // gone meanwhile
        }
      }
      this.remove(pid);
    }
    // Wait (briefly) until they are really gone, so they cannot write another byte.
    for (let i = 0; i < 100 && killed.some((pid) => startTime(pid) !== null && !isZombie(pid)); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return killed.length;
  }
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}
