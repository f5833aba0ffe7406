import type { RunRecord } from '../../core/campaign.js';
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

  load(): Promise<RunRecord[]> {
    return this.file.readAll();
  }

  append(record: RunRecord): Promise<void> {
    return this.file.append([record]);
  }

  close(): Promise<void> {
    return this.file.close();
  }
}
