// Secrets for scripts come through stdin, never argv (argv is visible to every user in `ps`).

import { UsageError } from '../core/errors.js';

export async function readSecretFromStdin(what: string, stdin: NodeJS.ReadStream = process.stdin): Promise<string> {
  if (stdin.isTTY) {
    throw new UsageError(`--*-stdin expects ${what} to be piped in, but stdin is a terminal`, {
      suggestion: `Pipe it: printf %s "$SECRET" | shopdb …, or leave out the flag to be asked for it.`,
    });
  }
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  // One trailing newline is what `echo` adds; it is never part of the secret.
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}
