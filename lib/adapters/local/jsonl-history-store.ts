import type { RuntimeSample } from '../../core/runtime-history.js';
import { runtimeSampleSchema } from '../../core/schemas.js';
import type { HistoryStore } from '../../ports/history-store.js';
import { JsonlFile } from './jsonl-file.js';

/** Run durations of every campaign run in this project, as `<state>/history.jsonl`. */
export class JsonlHistoryStore implements HistoryStore {
  private readonly file: JsonlFile<RuntimeSample>;

  constructor(file: string) {
    this.file = new JsonlFile(
      file,
      (value) => {
        const parsed = runtimeSampleSchema.safeParse(value);
        return parsed.success ? parsed.data : null;
      },
      false,
    );
  }

  async load(campaignId: string): Promise<RuntimeSample[]> {
    const samples: RuntimeSample[] = [];
    await this.file.read((sample) => {
      if (sample.campaignId === campaignId) samples.push(sample);
    });
    return samples;
  }

  append(samples: readonly RuntimeSample[]): Promise<void> {
    return this.file.append(samples);
  }

  close(): Promise<void> {
    return this.file.close();
  }
}
