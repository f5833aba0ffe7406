import type { ResultFileInfo } from '../core/campaign.js';

export type FileCheck = 'intact' | 'missing' | 'changed';

/** The campaign's result directory: finds, fingerprints, reads and verifies a run's result files. */
export interface ResultFileStore {
  /** Every result file of the stem (`<stem>.sca`, `.vec`, ...) written since `notBefore`, checksummed; older ones are leftovers. */
  collect(stem: string, notBefore: Date): Promise<ResultFileInfo[]>;
  /** The run's Cmdenv output (`<stem>.out`) if written since `notBefore`, else null. */
  readOutput(stem: string, notBefore: Date): Promise<string | null>;
  /** Whether a recorded file is still there with the same content. */
  verify(file: ResultFileInfo): Promise<FileCheck>;
}
