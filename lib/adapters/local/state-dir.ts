import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * The project-local state directory (default `<working dir>/.inet-swarm`): manifests, run-time
 * history, locks. It ignores itself in git so it never shows up as a change to the user's project.
 */
export class StateDir {
  constructor(readonly root: string) {}

  async ensure(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    await writeFile(path.join(this.root, '.gitignore'), '*\n');
  }

  /** One directory per campaign below this. */
  campaignsDir(): string {
    return path.join(this.root, 'campaigns');
  }

  campaignDir(campaignId: string): string {
    return path.join(this.campaignsDir(), campaignId);
  }

  manifestFile(campaignId: string): string {
    return path.join(this.campaignDir(campaignId), 'manifest.jsonl');
  }

  sessionsFile(campaignId: string): string {
    return path.join(this.campaignDir(campaignId), 'sessions.jsonl');
  }

  processesDir(campaignId: string): string {
    return path.join(this.campaignDir(campaignId), 'processes');
  }

  lockFile(campaignId: string): string {
    return path.join(this.campaignDir(campaignId), 'lock');
  }

  historyFile(): string {
    return path.join(this.root, 'history.jsonl');
  }
}
