// bin/run.js answers `--help`, bare `shopdb` and `--version` from texts oclif rendered at build
// time (dist/help.json), without loading oclif. They must be exactly what oclif itself prints.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../src/core/paths.js';
import { binPath, runBin } from './support/cli.js';

const help = JSON.parse(readFileSync(join(packageRoot, 'dist', 'help.json'), 'utf8')) as {
  userAgent: string;
  texts: Record<string, string>;
};
const manifest = JSON.parse(readFileSync(join(packageRoot, 'oclif.manifest.json'), 'utf8')) as { commands: Record<string, unknown> };

async function oclifItself(args: string[]): Promise<string> {
  const script = `import { execute } from '@oclif/core'; await execute({ dir: process.argv[1], args: JSON.parse(process.argv[2]) });`;
  const result = await execa(process.execPath, ['--input-type=module', '-e', script, `file://${binPath}`, JSON.stringify(args)], {
    cwd: packageRoot,
    env: { NO_COLOR: '1' },
  });
  return result.stdout;
}

describe('quick answers of bin/run.js', () => {
  it('has a stored help text for the root and for every command', () => {
    expect(Object.keys(help.texts)).toEqual(expect.arrayContaining(['', ...Object.keys(manifest.commands)]));
  });

  it.each(['', 'migrate', 'migrate:status', 'init', 'config:check'])("prints oclif's own help for %j", async (id) => {
    const args = [...(id ? id.split(':') : []), ...(id ? ['--help'] : [])];
    const [quick, reference] = await Promise.all([runBin(args), oclifItself([...args.filter((a) => a !== '--help'), '--help'])]);

    expect(quick.exitCode).toBe(0);
    expect(quick.stdout).toBe(reference);
  });

  it('prints the version line of the running Node', async () => {
    const result = await runBin(['--version']);

    expect(result.stdout).toBe(
      `shopdb/${JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')).version} ${process.platform}-${process.arch} node-${process.version}`,
    );
  });

  it('leaves anything else to oclif (flags before --help, unknown commands)', async () => {
    const unknown = await runBin(['frobnicate', '--help']);
    const withFlag = await runBin(['migrate', '--json', '--help']);

    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('frobnicate');
    expect(withFlag.exitCode).toBe(0);
    expect(withFlag.stdout).toContain('Apply pending database migrations');
  });
});
