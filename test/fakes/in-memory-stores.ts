/** In-memory implementations of the storage ports, for unit tests of the core. */
import type { RecordedRun, ResultFileInfo, RunRecord } from '../../lib/core/campaign.js';
import type { CampaignEvent } from '../../lib/core/events.js';
import type { RuntimeSample } from '../../lib/core/runtime-history.js';
import type { CampaignObserver } from '../../lib/ports/campaign-observer.js';
import type { HistoryStore } from '../../lib/ports/history-store.js';
import type { ManifestStore } from '../../lib/ports/manifest-store.js';
import type { FileCheck, ResultFileStore } from '../../lib/ports/result-file-store.js';

export class InMemoryManifestStore implements ManifestStore {
  readonly records: RunRecord[] = [];
  latestRecords(): Promise<RecordedRun[]> {
    const latest = new Map<number, RunRecord>();
    for (const record of this.records) latest.set(record.runNumber, record);
    return Promise.resolve([...latest.values()]);
  }
  append(record: RunRecord): Promise<void> {
    this.records.push(record);
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

export class InMemoryHistoryStore implements HistoryStore {
  readonly samples: RuntimeSample[] = [];
  load(campaignId: string): Promise<RuntimeSample[]> {
    return Promise.resolve(this.samples.filter((s) => s.campaignId === campaignId));
  }
  append(samples: readonly RuntimeSample[]): Promise<void> {
    this.samples.push(...samples);
    return Promise.resolve();
  }
}

/** Result files as a map path -> content; `.out` texts are what classification reads. */
export class InMemoryResultFileStore implements ResultFileStore {
  readonly files = new Map<string, { content: string; mtimeMs: number }>();

  write(path: string, content: string, mtimeMs = Date.now()): void {
    this.files.set(path, { content, mtimeMs });
  }

  collect(stem: string, notBefore: Date): Promise<ResultFileInfo[]> {
    const infos = [...this.files.entries()]
      .filter(([path, file]) => path.startsWith(`results/${stem}.`) && file.mtimeMs >= notBefore.getTime())
      .map(([path, file]) => ({
        path,
        size: file.content.length,
        mtimeMs: file.mtimeMs,
        sha256: fakeHash(file.content),
      }));
    return Promise.resolve(infos);
  }

  readOutput(stem: string, notBefore: Date): Promise<string | null> {
    const file = this.files.get(`results/${stem}.out`);
    return Promise.resolve(file !== undefined && file.mtimeMs >= notBefore.getTime() ? file.content : null);
  }

  verify(recorded: ResultFileInfo): Promise<FileCheck> {
    const file = this.files.get(recorded.path);
    if (file === undefined) return Promise.resolve('missing');
    return Promise.resolve(fakeHash(file.content) === recorded.sha256 ? 'intact' : 'changed');
  }
}

function fakeHash(content: string): string {
  let h = 0;
  for (const ch of content) h = (h * 31 + (ch.codePointAt(0) ?? 0)) >>> 0;
  return h.toString(16).padStart(64, '0');
}

export class RecordingObserver implements CampaignObserver {
  readonly events: CampaignEvent[] = [];
  notify(event: CampaignEvent): void {
    this.events.push(event);
  }
}
