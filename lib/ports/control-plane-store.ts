/**
 * The control plane's bucket as the steps, the API, the agent and the CLI use it: JSON documents
 * validated on read, files with their sha256 checked end to end, listings and presigned URLs. Keys
 * follow lib/aws/bucket-layout.ts.
 */
import type { z } from 'zod';

export interface StoredObject {
  readonly key: string;
  readonly size: number;
  readonly lastModified: Date;
}

export interface ObjectPage {
  readonly objects: readonly StoredObject[];
  /** Pass back to get the next page; null on the last page. */
  readonly next: string | null;
}

export interface ControlPlaneStore {
  /** The parsed document, or null if there is none. @throws if it does not match the schema */
  getJson<T>(key: string, schema: z.ZodType<T>): Promise<T | null>;
  putJson(key: string, value: unknown): Promise<void>;
  /** Writes only if nothing is stored under `key`; whether it wrote. */
  putJsonIfAbsent(key: string, value: unknown): Promise<boolean>;
  exists(key: string): Promise<boolean>;
  delete(key: string): Promise<void>;
  list(prefix: string, next: string | null, limit: number): Promise<ObjectPage>;
  /** Uploads a file (multipart when large) with its sha256 recorded and checked by the store. */
  uploadFile(key: string, file: string, sha256: string): Promise<void>;
  /** Downloads to `file` (written whole or not at all), verifying the recorded sha256. */
  downloadFile(key: string, file: string): Promise<{ sha256: string | null; size: number }>;
  /** A URL that lets its holder GET the object until it expires. */
  presignGet(key: string, expiresSeconds: number): Promise<string>;
  /** A URL that lets its holder PUT exactly these bytes (checked by S3 through the sha256 header). */
  presignPut(key: string, sha256: string, size: number, expiresSeconds: number): Promise<string>;
}
