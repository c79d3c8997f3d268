#!/usr/bin/env node
// Reads the timings cli-startup.sh collected (hyperfine's --export-json shape, or
// startup-timer.mjs's, which is the same) and prints each command against the bare `node -e 0`
// of the same run: a table, then one summary line per shopdb command. Ratios use medians,
// which background load disturbs less than means.
//
//   node bench/startup-report.mjs results.json [--baseline 'node -e 0'] [--max-ratio 3] [--load-before 0.4] [--json]
// Exit 1 when --max-ratio is given and a shopdb command is above it.

import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';

const options = { file: undefined, baseline: 'node -e 0', maxRatio: undefined, loadBefore: undefined, json: false };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--baseline') options.baseline = argv[++i];
  else if (argv[i] === '--max-ratio') options.maxRatio = Number(argv[++i]);
  else if (argv[i] === '--load-before') options.loadBefore = Number(argv[++i]);
  else if (argv[i] === '--json') options.json = true;
  else if (!argv[i].startsWith('--') && options.file === undefined) options.file = argv[i];
  else throw new Error(`startup-report: unexpected argument ${argv[i]}`);
}
if (!options.file) throw new Error('usage: startup-report.mjs results.json [--baseline NAME] [--max-ratio N] [--load-before L] [--json]');
if (options.maxRatio !== undefined && !(options.maxRatio > 0)) throw new Error('--max-ratio must be a positive number');
const { file, maxRatio } = options;
const baselineName = options.baseline;

const { results } = JSON.parse(readFileSync(file, 'utf8'));
const baseline = results.find((r) => r.command === baselineName);
if (!baseline) throw new Error(`no "${baselineName}" in ${file}: the baseline must be measured in the same run`);

const ms = (seconds) => seconds * 1000;
const rows = results.map((r) => ({
  command: r.command,
  medianMs: ms(r.median),
  meanMs: ms(r.mean),
  stddevMs: ms(r.stddev),
  minMs: ms(r.min),
  cpuMs: r.user === undefined ? null : ms(r.user + r.system),
  runs: r.times.length,
  ratio: r.median / baseline.median,
}));
const checked = rows.filter((r) => r.command !== baselineName);
const overLimit = maxRatio === undefined ? [] : checked.filter((r) => r.ratio > maxRatio);
// The 1-minute load average from before the measurement (the benchmark itself adds about 1).
const load = options.loadBefore ?? loadavg()[0];
const busy = load > availableParallelism() * 0.5;

if (options.json) {
  const out = {
    baseline: baselineName,
    node: process.version,
    loadAverage: load,
    maxRatio: maxRatio ?? null,
    ok: overLimit.length === 0,
    commands: rows,
  };
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
} else {
  const f = (value) => (value === null ? '     -' : value.toFixed(1).padStart(6));
  const width = Math.max(...rows.map((r) => r.command.length));
  console.log(`${'command'.padEnd(width)}  median    mean     ±σ     min    cpu  ratio`);
  for (const r of rows) {
    console.log(
      `${r.command.padEnd(width)}  ${f(r.medianMs)}  ${f(r.meanMs)}  ${f(r.stddevMs)}  ${f(r.minMs)}  ${f(r.cpuMs)}  ${r.ratio.toFixed(1).padStart(4)}x`,
    );
  }
  console.log(`(milliseconds, ${baseline.times.length} runs each; cpu = user + system; ratio = median / median of "${baselineName}")`);
  if (busy)
    console.log(`Note: load average ${load.toFixed(2)} on ${availableParallelism()} CPUs: other work is running, figures are noisy.`);
  console.log('');
  for (const r of checked) {
    console.log(
      `${r.command}: ${r.medianMs.toFixed(1)} ms, ${baselineName}: ${ms(baseline.median).toFixed(1)} ms, ratio ${r.ratio.toFixed(1)}x`,
    );
  }
  for (const r of overLimit)
    console.error(`ABOVE GOAL: ${r.command} is ${r.ratio.toFixed(1)}x ${baselineName} (goal: at most ${maxRatio}x)`);
}
process.exitCode = overLimit.length === 0 ? 0 : 1;
