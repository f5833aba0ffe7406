/**
 * Blobs in MongoDB GridFS, the swarm's shared store: sources, build artifacts and result files up to
 * any size, chunked by GridFS. The blob key is the GridFS file name; the content checksum is kept in
 * its metadata and verified on every read.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GridFSBucket, type Db } from 'mongodb';
import { BlobCorruptError, BlobNotFoundError } from '../../core/errors.js';
import type { BlobInfo, BlobStore } from '../../ports/blob-store.js';
import { sha256File } from '../local/sha256-file.js';

interface BlobMetadata {
  readonly sha256: string;
}

export class GridFsBlobStore implements BlobStore {
  private readonly bucket: GridFSBucket;

  constructor(db: Db, bucketName = 'blobs') {
    this.bucket = new GridFSBucket(db, { bucketName });
  }

  async stat(key: string): Promise<BlobInfo | null> {
    // The oldest complete upload wins, so concurrent uploaders agree on one copy.
    const [file] = await this.bucket.find({ filename: key }).sort({ uploadDate: 1 }).limit(1).toArray();
    if (file === undefined) return null;
    const metadata = file.metadata as BlobMetadata | undefined;
    if (metadata?.sha256 === undefined) return null;
    return { key, size: file.length, sha256: metadata.sha256 };
  }

  async putFile(key: string, file: string): Promise<BlobInfo> {
    const existing = await this.stat(key);
    if (existing !== null) return existing;
    const sha256 = await sha256File(file);
    const metadata: BlobMetadata = { sha256 };
    await pipeline(createReadStream(file), this.bucket.openUploadStream(key, { metadata }));
    return { key, size: (await stat(file)).size, sha256 };
  }

  async getFile(key: string, file: string): Promise<BlobInfo> {
    const [stored] = await this.bucket.find({ filename: key }).sort({ uploadDate: 1 }).limit(1).toArray();
    const sha256 = (stored?.metadata as BlobMetadata | undefined)?.sha256;
    if (stored === undefined || sha256 === undefined) throw new BlobNotFoundError(`no blob ${key} in GridFS`);
    const hash = createHash('sha256');
    const temporary = `${file}.${randomUUID()}.tmp`;
    await pipeline(
      this.bucket.openDownloadStream(stored._id),
      new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          hash.update(chunk);
          callback(null, chunk);
        },
      }),
      createWriteStream(temporary),
    );
    if (hash.digest('hex') !== sha256) {
      await rm(temporary, { force: true });
      throw new BlobCorruptError(`blob ${key} in GridFS does not match its checksum`);
    }
    await rename(temporary, file);
    return { key, size: stored.length, sha256 };
  }
}
