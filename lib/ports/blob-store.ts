/**
 * Named blobs (source snapshots, build artifacts, result files) moved between the client, the swarm
 * and its nodes. Every blob carries the sha256 of its content, checked on the way out, so a damaged
 * copy is never used; writes are idempotent, so concurrent uploaders of the same blob are harmless.
 */
export interface BlobInfo {
  readonly key: string;
  readonly size: number;
  readonly sha256: string;
}

export interface BlobStore {
  /** The blob's size and checksum, or null if there is none under `key`. */
  stat(key: string): Promise<BlobInfo | null>;
  /** Stores `file` under `key` unless a blob is already there; returns what is stored. */
  putFile(key: string, file: string): Promise<BlobInfo>;
  /**
   * Writes the blob to `file` (created whole or not at all), verifying its checksum.
   * @throws BlobNotFoundError, BlobCorruptError
   */
  getFile(key: string, file: string): Promise<BlobInfo>;
}
