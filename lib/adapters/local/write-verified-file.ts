import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Writes a stream to `file` whole or not at all: into a new file beside it while hashing, renamed
 * into place only when the content's sha256 is `expectedSha256` (when one is given). On any failure
 * the partial file is removed and `file` is left as it was. Every download of a checksummed blob,
 * result file or archive goes through here (gateway, S3, presigned URLs, GridFS).
 * @returns the content's sha256 and size
 * @throws what `mismatch` makes when the digest differs; the stream's own errors as they are
 */
export async function writeVerifiedFile(
  source: Readable,
  file: string,
  expectedSha256: string | null,
  mismatch: (actualSha256: string) => Error,
): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  const partial = `${file}.${randomUUID()}.partial`;
  try {
    await pipeline(
      source,
      new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          hash.update(chunk);
          size += chunk.length;
          callback(null, chunk);
        },
      }),
      createWriteStream(partial, { flags: 'wx' }),
    );
    const sha256 = hash.digest('hex');
    if (expectedSha256 !== null && sha256 !== expectedSha256) throw mismatch(sha256);
    await rename(partial, file);
    return { sha256, size };
  } finally {
    await rm(partial, { force: true });
  }
}
