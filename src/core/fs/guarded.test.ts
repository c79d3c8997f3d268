import { execFileSync } from 'node:child_process';
import { existsSync, openSync, closeSync, constants, readdirSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/site.js';
import { ExitCode } from '../errors.js';
import { ensureUsableDirectory, FileOperationTimeoutError, makeDirectory, UnusableDirectoryError, withDeadline } from './guarded.js';

describe('guarded file operations', () => {
  it('makeDirectory creates missing parents one at a time (0700) and answers ENOENT under /proc instead of spinning', async () => {
    const base = tempDir();
    const created = await makeDirectory(join(base, 'a', 'b'));
    expect(created).toEqual([join(base, 'a'), join(base, 'a', 'b')]);
    expect(statSync(join(base, 'a', 'b')).mode & 0o777).toBe(0o700);
    expect(await makeDirectory(join(base, 'a', 'b'))).toEqual([]);

    const started = Date.now();
    await expect(makeDirectory('/proc/nope/deeper')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('ensureUsableDirectory names the setting, exits 2 for a path that cannot work, and leaves no probe file', async () => {
    const base = tempDir();
    writeFileSync(join(base, 'file'), 'x');

    await ensureUsableDirectory(join(base, 'fine'), { setting: '--out' });
    const notAFolder = await ensureUsableDirectory(join(base, 'file', 'below'), { setting: '--copy-to' }).catch((error: unknown) => error);

    expect(readdirSync(join(base, 'fine'))).toEqual([]);
    expect(notAFolder).toBeInstanceOf(UnusableDirectoryError);
    expect(notAFolder).toMatchObject({
      exitCode: ExitCode.USAGE,
      message: `--copy-to ${join(base, 'file', 'below')} cannot be used: it cannot be created (ENOTDIR)`,
    });
  });

  it('withDeadline gives up on an operation that blocks (opening a FIFO nobody reads) and says where', async () => {
    const fifo = join(tempDir(), 'fifo');
    execFileSync('mkfifo', [fifo]);
    const blocked = open(fifo, 'w');

    const outcome = await withDeadline(blocked, `Opening ${fifo}`, 200).catch((error: unknown) => error);

    expect(outcome).toBeInstanceOf(FileOperationTimeoutError);
    expect((outcome as Error).message).toBe(`Opening ${fifo} did not finish within 1 s`);
    // Unblock the abandoned open so the thread pool gets its thread back.
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    await (await blocked).close();
    closeSync(reader);
    expect(existsSync(fifo)).toBe(true);
  });
});
