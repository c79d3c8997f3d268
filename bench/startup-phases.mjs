#!/usr/bin/env node
// Where `shopdb --help` / `migrate --help` / `--version` spend their start-up time, phase by
// phase: node's own boot, `import('@oclif/core')`, loading the config (package.json + manifest),
// and oclif answering. Each measurement is a fresh process; min and median of --runs are shown
// (min is the closest to a quiet machine). Also shows what oclif's engine check (semver) costs.
//
//   node bench/startup-phases.mjs [--runs 15]
// Needs a build (npm run build). Clear NODE_EXTRA_CA_CERTS / NODE_OPTIONS for honest figures.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

if (process.argv[2] === '--child') {
  // One measured start. performance.now() counts from the process's start, so the first mark is
  // node's boot up to this module.
  const boot = performance.now();
  const oclif = await import('@oclif/core');
  const imported = performance.now();
  const config = await oclif.Config.load({ root });
  const configured = performance.now();
  await oclif.run(process.argv.slice(3), config);
  await oclif.flush();
  const done = performance.now();
  process.stderr.write(
    `${JSON.stringify({ boot, import: imported - boot, config: configured - imported, run: done - configured, total: done })}\n`,
  );
} else {
  const runsIndex = process.argv.indexOf('--runs');
  const runs = runsIndex === -1 ? 15 : Number(process.argv[runsIndex + 1]);
  const cases = [
    { label: '--help', args: ['--help'], env: {} },
    { label: 'migrate --help', args: ['migrate', '--help'], env: {} },
    { label: '--version', args: ['--version'], env: {} },
    { label: '--help, engine check off', args: ['--help'], env: { OCLIF_DISABLE_ENGINE_WARNING: 'true' } },
  ];
  const phases = ['boot', 'import', 'config', 'run', 'total'];
  const stat = (values) => {
    const sorted = [...values].sort((a, b) => a - b);
    return { min: sorted[0], median: sorted[Math.floor(sorted.length / 2)] };
  };
  console.log(`${'case'.padEnd(26)}${phases.map((p) => p.padStart(16)).join('')}`);
  console.log(`${''.padEnd(26)}${phases.map(() => 'min / median'.padStart(16)).join('')}`);
  for (const c of cases) {
    const samples = [];
    for (let i = 0; i < runs + 1; i++) {
      const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', ...c.args], {
        cwd: root,
        env: { ...process.env, ...c.env },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      if (child.status !== 0) throw new Error(`shopdb ${c.args.join(' ')} failed:\n${child.stderr}`);
      const line = child.stderr.toString().trim().split('\n').at(-1);
      if (i > 0) samples.push(JSON.parse(line)); // the first run warms the file cache
    }
    const cells = phases.map((phase) => {
      const { min, median } = stat(samples.map((s) => s[phase]));
      return `${min.toFixed(0)} / ${median.toFixed(0)}`.padStart(16);
    });
    console.log(`${c.label.padEnd(26)}${cells.join('')}`);
  }
  console.log(`(milliseconds, ${runs} runs each)`);
}
