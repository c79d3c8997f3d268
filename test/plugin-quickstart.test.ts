// docs/PLUGIN-QUICKSTART.md, followed literally: every ```sh quickstart block, in order, in an
// empty folder. `shopdb …` lines run through bin/run.js (only the binary and --env-file are
// filled in), `shopdb serve` becomes a real server on a free port, `VAR=$(shopdb …)` keeps the
// output for later lines, and every other line (curl, a heredoc, npm test) runs in sh with that
// port. Then: the plugin's data is gone, and so are its tables, history and record.

import { mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import type { Knex } from 'knex';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/core/config/index.js';
import { databaseTargetFromConfig, openDatabase } from '../src/core/db/connect.js';
import { listTables } from '../src/core/db/schema.js';
import { packageRoot } from '../src/core/paths.js';
import { freePort, waitUntil } from './support/api.js';
import { binPath, runBin } from './support/cli.js';
import { tempDir } from './support/site.js';

type Step =
  | { kind: 'shopdb'; text: string; argv: string[] }
  | { kind: 'capture'; text: string; argv: string[]; variable: string }
  | { kind: 'serve'; text: string; argv: string[] }
  | { kind: 'shell'; text: string };

/** The words of a `shopdb …` line; anything a shell would expand is refused, so the page stays literal. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: string | null = null;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = null;
      else word += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else if (ch === '#' && !inWord) {
      break;
    } else {
      word += ch;
      inWord = true;
    }
    if (ch === '$' || ch === '`')
      throw new Error(`A shopdb line of the quickstart uses shell expansion, which this test does not run: ${line}`);
  }
  if (quote) throw new Error(`Unclosed quote in: ${line}`);
  if (inWord) words.push(word);
  return words;
}

function quickstartSteps(markdown: string): Step[] {
  const steps: Step[] = [];
  for (const [, block] of markdown.matchAll(/^```sh quickstart\n([\s\S]*?)^```$/gm)) {
    const lines = block!.split('\n');
    for (let i = 0; i < lines.length; i++) {
      let line = lines[i]!;
      if (line.trim() === '' || line.trim().startsWith('#')) continue;
      while (line.endsWith('\\')) line = `${line.slice(0, -1)} ${lines[++i]!.trim()}`;
      const heredoc = /<<-?'?(\w+)'?/.exec(line);
      if (heredoc) {
        const body: string[] = [];
        while (lines[++i] !== heredoc[1]) {
          if (i >= lines.length) throw new Error(`Heredoc ${heredoc[1]} is not closed in: ${line}`);
          body.push(lines[i]!);
        }
        steps.push({ kind: 'shell', text: [line, ...body, heredoc[1]].join('\n') });
        continue;
      }
      const capture = /^([A-Z_][A-Z0-9_]*)=\$\((shopdb .*)\)$/.exec(line);
      if (capture) steps.push({ kind: 'capture', text: line, variable: capture[1]!, argv: shellWords(capture[2]!).slice(1) });
      else if (/^shopdb serve(\s|$)/.test(line)) steps.push({ kind: 'serve', text: line, argv: shellWords(line).slice(1) });
      else if (/^shopdb\s/.test(line)) steps.push({ kind: 'shopdb', text: line, argv: shellWords(line).slice(1) });
      else steps.push({ kind: 'shell', text: line });
    }
  }
  return steps;
}

interface StepOutput {
  step: Step;
  stdout: string;
  stderr: string;
}

describe('docs/PLUGIN-QUICKSTART.md, followed literally', () => {
  const site = tempDir('shopdb-plugin-quickstart-');
  const envFile = join(site, '.env');
  const shims = join(site, '.shims');
  let server: ResultPromise | undefined;
  let serverLog = '';
  let db: Knex | undefined;

  afterAll(async () => {
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await server;
    }
    await db?.destroy();
    rmSync(site, { recursive: true, force: true });
  });

  it('scaffolds, installs, serves, extends and purges tool-crib; the scaffold test passes; nothing of it remains', async () => {
    const markdown = readFileSync(join(packageRoot, 'docs', 'PLUGIN-QUICKSTART.md'), 'utf8');
    const steps = quickstartSteps(markdown);
    expect(steps.filter((s) => s.kind === 'serve')).toHaveLength(1);

    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    // `shopdb` for the sh lines (npm test's SHOPDB_BIN="$(command -v shopdb)"): this checkout's bin.
    mkdirSync(shims);
    symlinkSync(binPath, join(shims, 'shopdb'));
    const vars: Record<string, string> = {};
    const outputs: StepOutput[] = [];

    for (const step of steps) {
      const where = `quickstart step \`${step.text.split('\n')[0]}\``;
      if (step.kind === 'serve') {
        server = execa(binPath, [...step.argv, '--env-file', envFile], {
          cwd: site,
          env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LANG: 'C.UTF-8', HTTP_PORT: String(port) },
          extendEnv: false,
          stdin: 'ignore',
          reject: false,
        });
        server.stderr?.on('data', (chunk: Buffer) => (serverLog += chunk.toString()));
        await waitUntil(async () => (await fetch(`${url}/api/health`).catch(() => undefined))?.ok === true, 30_000, where).catch(
          (error: Error) => {
            throw new Error(`${error.message}\n${serverLog}`);
          },
        );
        continue;
      }
      if (step.kind === 'shell') {
        const result = await execa('sh', ['-c', step.text.replaceAll('127.0.0.1:8080', `127.0.0.1:${port}`)], {
          cwd: site,
          env: { PATH: `${shims}:${process.env.PATH ?? ''}`, HOME: process.env.HOME ?? '/tmp', LANG: 'C.UTF-8', ...vars },
          extendEnv: false,
          stdin: 'ignore',
          reject: false,
          timeout: 120_000,
        });
        expect(result.exitCode, `${where}\n${result.stdout}\n${result.stderr}`).toBe(0);
        outputs.push({ step, stdout: result.stdout, stderr: result.stderr });
        continue;
      }
      const result = await runBin([...step.argv, '--env-file', envFile], { cwd: site });
      expect(result.exitCode, `${where}\n${result.stdout}\n${result.stderr}`).toBe(0);
      if (step.kind === 'capture') vars[step.variable] = result.stdout.trim();
      outputs.push({ step, stdout: result.stdout, stderr: result.stderr });
    }

    // What the curl lines answered: an empty list, the created item, the list with it.
    const curls = outputs.filter((o) => o.step.text.startsWith('curl '));
    const gets = curls.filter((o) => !o.step.text.includes('-X POST')).map((o) => JSON.parse(o.stdout) as { results: unknown[] });
    const posts = curls.filter((o) => o.step.text.includes('-X POST')).map((o) => JSON.parse(o.stdout) as Record<string, unknown>);
    expect(gets[0]).toEqual({ results: [] });
    expect(posts[0]).toEqual({ id: expect.any(Number), name: 'Torque wrench 20-100 Nm', note: 'Drawer 3' });
    expect(gets.at(-1)!.results).toContainEqual(posts[0]);
    // The added migration was applied by `shopdb migrate`, and the scaffold's own test ran and passed.
    const migrate = outputs.filter((o) => o.step.kind === 'shopdb' && o.step.argv.join(' ') === 'migrate').at(-1)!;
    expect(`${migrate.stdout}${migrate.stderr}`).toMatch(/B-add-tool-crib-items-quantity/);
    const npmTest = outputs.find((o) => o.step.text.includes('npm test'))!;
    expect(`${npmTest.stdout}${npmTest.stderr}`).toContain('tool-crib installs, holds its table, and uninstalls without a trace');

    // After `uninstall --purge --yes`: the running server stops answering for the plugin…
    await waitUntil(
      async () =>
        (await fetch(`${url}/api/plugins/tool-crib/items`, { headers: { authorization: `Bearer ${vars.TOKEN}` } })).status === 404,
      6_000,
      'the purged plugin route to answer 404',
    );
    // …and the site database keeps nothing of it but the audit log.
    db = await openDatabase(databaseTargetFromConfig(loadConfig({ envFile, cwd: site, env: {} })));
    const tables = await listTables(db);
    expect(tables.filter((t) => t.startsWith('tool_crib_'))).toEqual([]);
    expect(tables.filter((t) => t.startsWith('shopdb_plugin_tool_crib_migrations'))).toEqual([]);
    expect(await db('installed_plugins').where({ name: 'tool-crib' })).toEqual([]);
    expect(await db('audit_log').where({ object_type: 'tool-crib.item', action: 'create' })).toHaveLength(1);
  }, 300_000);
});
