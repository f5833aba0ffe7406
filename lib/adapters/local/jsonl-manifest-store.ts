import type { RecordedRun, RunRecord } from '../../core/campaign.js';
import { runRecordSchema } from '../../core/schemas.js';
import type { ManifestStore } from '../../ports/manifest-store.js';
import { JsonlFile } from './jsonl-file.js';

/** The campaign manifest as `<state>/campaigns/<id>/manifest.jsonl`. */
export class JsonlManifestStore implements ManifestStore {
  private readonly file: JsonlFile<RunRecord>;

  constructor(file: string) {
    this.file = new JsonlFile(file, (value) => {
      const parsed = runRecordSchema.safeParse(value);
      return parsed.success ? parsed.data : null;
    });
  }

  async latestRecords(): Promise<RecordedRun[]> {
    // Folded while streaming: earlier attempts of a run are dropped as soon as a newer one is read.
    const latest = new Map<number, RecordedRun>();
    await this.file.read((record) => {
      const { runNumber, configName, description, status, attempt, sessionId, fingerprint, files } = record;
      latest.delete(runNumber);
      latest.set(runNumber, {
        runNumber,
        configName,
        description,
        status,
        attempt,
        sessionId,
        fingerprint,
        files,
      });
    });
    return [...latest.values()];
  }

  /** Streams every attempt in the order written (the report; resume needs only latestRecords). */
  forEachRecord(onRecord: (record: RunRecord) => void): Promise<void> {
    return this.file.read(onRecord);
  }

  append(record: RunRecord): Promise<void> {
    return this.file.append([record]);
  }

  close(): Promise<void> {
    return this.file.close();
  }
}
