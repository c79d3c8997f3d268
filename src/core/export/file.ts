// An export written to a file: streamed into a temporary name beside it (mode 0600, O_EXCL) and
// renamed over the target only once complete, so a failed or interrupted export leaves no
// half-written file where a complete one is expected.

import { createWriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { syncDirectory } from '../fs/atomic.js';

export async function writeStreamAtomically<T>(path: string, write: (stream: NodeJS.WritableStream) => Promise<T>): Promise<T> {
  const temp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  const stream = createWriteStream(temp, { flags: 'wx', mode: 0o600 });
  try {
    const result = await write(stream);
    await new Promise<void>((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
    await rename(temp, path);
    syncDirectory(dirname(path));
    return result;
  } catch (error) {
    stream.destroy();
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}
