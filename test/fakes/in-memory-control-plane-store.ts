/* eslint-disable @typescript-eslint/require-await -- async to match the port; memory needs no waiting */
/**
 * The control-plane bucket in memory, for unit tests of steps, handlers and the agent. Behaves like
 * S3ControlPlaneStore where callers can tell: keys sorted in listings, paging by an opaque token,
 * checksums verified on download, conditional writes.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import type { z } from 'zod';
import { BlobCorruptError } from '../../lib/core/errors.js';
import type { ControlPlaneStore, ObjectPage } from '../../lib/ports/control-plane-store.js';

interface Entry {
  body: Buffer;
  sha256: string | null;
  lastModified: Date;
}

export class InMemoryControlPlaneStore implements ControlPlaneStore {
  readonly objects = new Map<string, Entry>();

  async getJson<T>(key: string, schema: z.ZodType<T>): Promise<T | null> {
    const entry = this.objects.get(key);
    if (entry === undefined) return null;
    const parsed = schema.safeParse(JSON.parse(entry.body.toString('utf8')));
    if (!parsed.success) throw new Error(`${key} does not match its schema: ${parsed.error.message}`);
    return parsed.data;
  }

  async putJson(key: string, value: unknown): Promise<void> {
    this.objects.set(key, {
      body: Buffer.from(JSON.stringify(value)),
      sha256: null,
      lastModified: new Date(),
    });
  }

  async putJsonIfAbsent(key: string, value: unknown): Promise<boolean> {
    if (this.objects.has(key)) return false;
    await this.putJson(key, value);
    return true;
  }

  async exists(key: string): Promise<boolean> {
    return this.objects.has(key);
  }

  async delete(key: string): Promise<void> {
    this.objects.delete(key);
  }

  async list(prefix: string, next: string | null, limit: number): Promise<ObjectPage> {
    const keys = [...this.objects.keys()]
      .filter((k) => k.startsWith(prefix) && (next === null || k > next))
      .sort();
    const page = keys.slice(0, limit);
    return {
      objects: page.map((key) => {
        const entry = this.objects.get(key) as Entry;
        return { key, size: entry.body.length, lastModified: entry.lastModified };
      }),
      next: keys.length > limit ? (page.at(-1) ?? null) : null,
    };
  }

  async uploadFile(key: string, file: string, sha256: string): Promise<void> {
    const body = await readFile(file);
    if (createHash('sha256').update(body).digest('hex') !== sha256)
      throw new BlobCorruptError(`${file} does not match the sha256 given for ${key}`);
    this.objects.set(key, { body, sha256, lastModified: new Date() });
  }

  async downloadFile(key: string, file: string): Promise<{ sha256: string | null; size: number }> {
    const entry = this.objects.get(key);
    if (entry === undefined) throw new Error(`no object ${key}`);
    if (entry.sha256 !== null && createHash('sha256').update(entry.body).digest('hex') !== entry.sha256)
      throw new BlobCorruptError(`${key} does not match its checksum`);
    await writeFile(file, entry.body);
    return { sha256: entry.sha256, size: entry.body.length };
  }

  async presignGet(key: string, expiresSeconds: number): Promise<string> {
    return `memory://get/${encodeURIComponent(key)}?expires=${expiresSeconds}`;
  }

  async presignPut(key: string, sha256: string, size: number, expiresSeconds: number): Promise<string> {
    return `memory://put/${encodeURIComponent(key)}?sha256=${sha256}&size=${size}&expires=${expiresSeconds}`;
  }

  /** Test helper: the text stored under `key`, or undefined. */
  text(key: string): string | undefined {
    return this.objects.get(key)?.body.toString('utf8');
  }
}
