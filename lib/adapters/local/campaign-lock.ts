import { open, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import { CampaignLockedError } from '../../core/errors.js';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One inet-swarm process per campaign and state directory: two of them would run the same runs and
 * interleave the manifest. A lock left by a process that died (SIGKILL) is taken over.
 */
export class CampaignLock {
  private constructor(private readonly file: string) {}

  static async acquire(file: string): Promise<CampaignLock> {
    const owner = `${process.pid} ${os.hostname()}\n`;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const handle = await open(file, 'wx');
        await handle.writeFile(owner);
        await handle.close();
        return new CampaignLock(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const [pidText, host] = (await readFile(file, 'utf8').catch(() => '')).trim().split(' ');
      const pid = Number(pidText);
      if (host === os.hostname() && Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
        throw new CampaignLockedError(
          `another inet-swarm (pid ${pid}) is running this campaign; wait for it or stop it first (lock: ${file})`,
        );
      }
      await rm(file, { force: true }); // left behind by a process that is gone
    }
    throw new CampaignLockedError(`could not take the campaign lock ${file}`);
  }

  async release(): Promise<void> {
    await rm(this.file, { force: true });
  }
}
