/**
 * Keys of stored blobs double as file and directory names on runner nodes (the blob cache, the
 * unpacked artifacts), so they are restricted to characters that cannot form a path.
 */
export function checkStoreKey(key: string, what: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(key)) throw new Error(`invalid ${what} key '${key}'`);
}
