/**
 * Blobs in MongoDB, the swarm's shared store: sources, build artifacts and result files of any size.
 * Every blob has one index document whose `_id` is the blob key, holding its size and checksum, and
 * its content either inline (small blobs: result files, most of a campaign's blobs) or in GridFS
 * (large ones: sources, artifacts, plans). Every lookup is by `_id`, which every MongoDB-wire server
 * answers from its primary index: FerretDB, which tests use in place of mongod, does not use secondary
 * indexes, and looking result files up by GridFS file name made each runner's upload scan every file
 * stored before (bench:swarm). The index document is written last and only once, so concurrent
 * uploaders agree on the first copy; the checksum is verified on every read.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ObjectId } from 'mongodb';
import { Binary, GridFSBucket, MongoServerError, type Collection, type Db } from 'mongodb';
import { BlobCorruptError, BlobNotFoundError } from '../../core/errors.js';
import { writeVerifiedFile } from '../local/write-verified-file.js';
import type { BlobInfo, BlobStore } from '../../ports/blob-store.js';
import { sha256File } from '../local/sha256-file.js';

interface BlobDocument {
  _id: string;
  size: number;
  sha256: string;
  /** The content, for small blobs. */
  inline?: Binary;
  /** The GridFS file holding the content of larger blobs. */
  gridFsId?: ObjectId;
}

/** Well below MongoDB's 16 MiB document limit. */
const DEFAULT_INLINE_MAX_BYTES = 4 * 2 ** 20;
const DUPLICATE_KEY = 11000;

export class GridFsBlobStore implements BlobStore {
  private readonly bucket: GridFSBucket;
  private readonly index: Collection<BlobDocument>;

  constructor(
    db: Db,
    bucketName = 'blobs',
    /** Blobs up to this size are stored inline in their index document. */
    private readonly inlineMaxBytes = DEFAULT_INLINE_MAX_BYTES,
  ) {
    this.bucket = new GridFSBucket(db, { bucketName });
    this.index = db.collection<BlobDocument>(`${bucketName}.index`);
  }

  async stat(key: string): Promise<BlobInfo | null> {
    const document = await this.index.findOne({ _id: key }, { projection: { size: 1, sha256: 1 } });
    return document === null ? null : { key, size: document.size, sha256: document.sha256 };
  }

  async putFile(key: string, file: string): Promise<BlobInfo> {
    const { size } = await stat(file);
    let document: BlobDocument;
    if (size <= this.inlineMaxBytes) {
      // Small blobs go straight to the insert, which refuses a duplicate: one round trip per result
      // file instead of a lookup first (on a runner, per-run latency is what the swarm adds).
      const content = await readFile(file);
      const sha256 = createHash('sha256').update(content).digest('hex');
      document = { _id: key, size: content.length, sha256, inline: new Binary(content) };
    } else {
      // Large ones are looked up first, so an unchanged source or artifact is not uploaded again.
      const existing = await this.stat(key);
      if (existing !== null) return existing;
      const sha256 = await sha256File(file);
      const upload = this.bucket.openUploadStream(key);
      await pipeline(createReadStream(file), upload);
      document = { _id: key, size, sha256, gridFsId: upload.id };
    }
    try {
      await this.index.insertOne(document);
      return { key, size: document.size, sha256: document.sha256 };
    } catch (error) {
      if (!(error instanceof MongoServerError && error.code === DUPLICATE_KEY)) throw error;
      // Another uploader committed first: keep theirs, drop our GridFS copy.
      if (document.gridFsId !== undefined) await this.bucket.delete(document.gridFsId).catch(() => undefined);
      return (await this.stat(key)) as BlobInfo;
    }
  }

  async getFile(key: string, file: string): Promise<BlobInfo> {
    const document = await this.index.findOne({ _id: key });
    if (document === null) throw new BlobNotFoundError(`no blob ${key} in the store`);
    let content: Readable;
    if (document.inline !== undefined) content = Readable.from([Buffer.from(document.inline.buffer)]);
    else if (document.gridFsId !== undefined) content = this.bucket.openDownloadStream(document.gridFsId);
    else throw new BlobCorruptError(`blob ${key} has no content`);
    await writeVerifiedFile(
      content,
      file,
      document.sha256,
      () => new BlobCorruptError(`blob ${key} in the store does not match its checksum`),
    );
    return { key, size: document.size, sha256: document.sha256 };
  }
}
