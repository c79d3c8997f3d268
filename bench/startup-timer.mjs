#!/usr/bin/env node
// The fallback of cli-startup.sh when hyperfine is not installed: runs each command (no shell)
// --warmup times unmeasured, then --runs times, interleaving the commands round by round so a
// burst of background load hits them all alike. Writes the same JSON shape as
// `hyperfine --export-json` (times in seconds), so one report reads either.
//
//   node bench/startup-timer.mjs --runs 20 --warmup 3 --export-json out.json \
//     --command 'node -e 0' --name 'node -e 0' --command 'node bin/run.js --help' --name 'shopdb --help'

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

function parseArgs(argv) {
  const options = { runs: 20, warmup: 3, exportJson: undefined, commands: [] };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    switch (argv[i]) {
      case '--runs':
        options.runs = Number(value);
        i++;
        break;
      case '--warmup':
        options.warmup = Number(value);
        i++;
        break;
      case '--export-json':
        options.exportJson = value;
        i++;
        break;
      case '--command':
        options.commands.push({ command: value, name: value });
        i++;
        break;
      case '--name':
        if (options.commands.length === 0) throw new Error('--name must follow the --command it names');
        options.commands.at(-1).name = value;
        i++;
        break;
      default:
        throw new Error(`startup-timer: unknown argument ${argv[i]}`);
    }
  }
  if (!Number.isInteger(options.runs) || options.runs < 1) throw new Error('--runs must be a positive integer');
  if (!Number.isInteger(options.warmup) || options.warmup < 0) throw new Error('--warmup must be 0 or more');
  if (options.commands.length === 0) throw new Error('give at least one --command');
  return options;
}

/** Runs one command line (split on spaces: the benchmarked commands need no quoting) and times it. */
function timeOnce(commandLine) {
  const [file, ...args] = commandLine.split(/\s+/).filter(Boolean);
  const started = process.hrtime.bigint();
  const child = spawnSync(file, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (child.error) throw child.error;
  if (child.status !== 0) {
    throw new Error(`\`${commandLine}\` exited with ${child.status ?? child.signal}:\n${child.stderr.toString().trim()}`);
  }
  return seconds;
}

function summarize(entry, times) {
  const sorted = [...times].sort((a, b) => a - b);
  const mean = times.reduce((sum, t) => sum + t, 0) / times.length;
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  const variance = times.length > 1 ? times.reduce((sum, t) => sum + (t - mean) ** 2, 0) / (times.length - 1) : 0;
  return { command: entry.name, mean, stddev: Math.sqrt(variance), median, min: sorted[0], max: sorted.at(-1), times };
}

const options = parseArgs(process.argv.slice(2));
const times = options.commands.map(() => []);
for (let round = 0; round < options.warmup + options.runs; round++) {
  options.commands.forEach((entry, index) => {
    const seconds = timeOnce(entry.command);
    if (round >= options.warmup) times[index].push(seconds);
  });
  process.stderr.write(`\rround ${round + 1}/${options.warmup + options.runs}`);
}
process.stderr.write('\n');

const results = { results: options.commands.map((entry, index) => summarize(entry, times[index])) };
if (options.exportJson) writeFileSync(options.exportJson, `${JSON.stringify(results, null, 2)}\n`);
else process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
