#!/usr/bin/env -S node --
// shopdb's entry point: runs the compiled commands through the oclif manifest built by `npm run build`.
// The `--` matters: Node claims an `--env-file` argument anywhere on its command line (and exits 9
// when that file is missing), even after the script name, unless a `--` comes first.
import module from 'node:module';
import { readFileSync } from 'node:fs';

// Caches compiled code between runs where Node has it (22.1+); absent on Node 20.
module.enableCompileCache?.();

/** `--version`, bare `shopdb` and `<command…> --help` answered without loading oclif (see scripts/render-help.mjs). */
function quickAnswer(args) {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  const userAgent = `${pkg.oclif.bin}/${pkg.version} ${process.platform}-${process.arch} node-${process.version}`;
  if (args.length === 1 && args[0] === '--version') return `${userAgent}\n`;
  const words = args.length === 0 ? [] : args.at(-1) === '--help' ? args.slice(0, -1) : undefined;
  if (words === undefined || words.some((word) => word.startsWith('-'))) return undefined;
  try {
    const help = JSON.parse(readFileSync(new URL('../dist/help.json', import.meta.url), 'utf8'));
    return help.texts[words.join(':')]?.replaceAll(help.userAgent, userAgent);
  } catch {
    return undefined; // not built with help texts (bin/dev.js, a partial build): oclif renders it
  }
}

const answer = quickAnswer(process.argv.slice(2));
if (answer === undefined) {
  const { execute } = await import('@oclif/core');
  await execute({ dir: import.meta.url });
} else {
  process.stdout.write(answer);
}
