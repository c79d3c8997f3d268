import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runBin, runCommand } from '../../../test/support/cli.js';
import { createSite, tempDir, type TestSite } from '../../../test/support/site.js';
import { migrateLatest, migrateRollback } from '../../core/migrations/service.js';
import { DirectoryMigrationSource } from '../../core/migrations/sources.js';
import { packageRoot, templatesDir } from '../../core/paths.js';
import MigrateMake from './make.js';

/** Today's prefix; read before and after a run so a test crossing midnight UTC still passes. */
function utcDay(): string {
  return new Date().toISOString().slice(0, 10).replace(/-/g, '');
}

const template = readFileSync(join(templatesDir, 'migration.ts.tpl'), 'utf8');

describe('shopdb migrate make', () => {
  let root: string;
  let dir: string;

  beforeEach(() => {
    root = tempDir('shopdb-make-');
    dir = join(root, 'migrations');
  });

  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('writes YYYYMMDDA-<name>.ts from the template', async () => {
    const dayBefore = utcDay();

    const result = await runCommand(MigrateMake, ['add-widget-index', '--dir', dir, '--json']);

    const day = [dayBefore, utcDay()].find((d) => result.json?.name === `${d}A-add-widget-index`);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(day, JSON.stringify(result.json)).toBeDefined();
    const name = `${day}A-add-widget-index`;
    expect(result.json).toEqual({ name, path: join(dir, `${name}.ts`) });
    expect(readdirSync(dir)).toEqual([`${name}.ts`]);
    const content = readFileSync(join(dir, `${name}.ts`), 'utf8');
    expect(content).toBe(
      template.replaceAll('{{name}}', name).replaceAll('{{schemaHelpers}}', relative(dir, join(packageRoot, 'src/core/db/schema.js'))),
    );
    expect(content).not.toContain('{{');
  });

  it('gives a second migration of the same day the next letter', async () => {
    const first = await runCommand(MigrateMake, ['add-widget-index', '--dir', dir, '--json']);
    const firstContent = readFileSync(first.json.path, 'utf8');

    const second = await runCommand(MigrateMake, ['addWidgetSerial', '--dir', dir, '--json']);

    expect(second.exitCode, second.stderr).toBe(0);
    expect(first.json.name).toMatch(/^\d{8}A-add-widget-index$/);
    expect(second.json.name).toBe(`${first.json.name.slice(0, 8)}B-add-widget-serial`);
    expect(readdirSync(dir).sort()).toEqual([`${first.json.name}.ts`, `${second.json.name}.ts`]);
    expect(readFileSync(first.json.path, 'utf8')).toBe(firstContent);
  });

  it("has a bundled plugin's migration import the schema helpers from the SDK, never from src/", async () => {
    const pluginDir = join(packageRoot, 'plugins', `zz-make-test-${process.pid}`, 'migrations');
    try {
      const result = await runCommand(MigrateMake, ['create-gauges', '--dir', pluginDir, '--json']);

      expect(result.exitCode, result.stderr).toBe(0);
      const content = readFileSync(result.json.path, 'utf8');
      expect(content).toContain("from 'shopdb/sdk'");
      expect(content).not.toContain('src/');
    } finally {
      rmSync(join(pluginDir, '..'), { recursive: true, force: true });
    }
  });

  it('resolves a relative --dir against the working directory', async () => {
    const result = await runCommand(MigrateMake, ['create-gauges', '--dir', 'plugin-migrations', '--json'], { cwd: root });

    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.json.path).toBe(join(root, 'plugin-migrations', `${result.json.name}.ts`));
    expect(existsSync(result.json.path)).toBe(true);
  });

  it.each(['../x', 'Bad Name!', '2026-widgets', 'x'.repeat(81)])(
    'refuses the name %j with exit code 2 and writes nothing',
    async (name) => {
      const result = await runCommand(MigrateMake, [name, '--dir', dir]);

      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain('is not a usable migration name');
      expect(result.stderr).toContain('kebab-case');
      expect(existsSync(dir)).toBe(false);
      expect(readdirSync(root)).toEqual([]);
    },
  );

  it('reports a bad name as a JSON usage error through bin/run.js', async () => {
    const result = await runBin(['migrate', 'make', '../x', '--dir', dir, '--json']);

    expect(result.exitCode).toBe(2);
    expect(result.json.error).toMatchObject({ code: 'USAGE', exitCode: 2, message: expect.stringContaining('"../x"') });
    expect(existsSync(dir)).toBe(false);
  });

  describe('the file it makes', () => {
    let site: TestSite;
    afterEach(async () => site?.cleanup());

    it('is a migration that runs up and down on SQLite, from a folder outside migrations/', async () => {
      mkdirSync(dir);
      const made = await runCommand(MigrateMake, ['create-example-things', '--dir', dir, '--json']);
      const reader = new DirectoryMigrationSource(dir);
      const source = { id: 'made', label: 'made by make', tableName: 'made_migrations', directory: dir };
      site = await createSite('sqlite');
      const db = await site.open();

      try {
        const found = (await reader.getMigrations()).map((m) => reader.getMigrationName(m));
        const up = await migrateLatest(db, [source]);
        const tableAfterUp = await db.schema.hasTable('example_things');
        const columns = Object.keys(await db('example_things').columnInfo()).sort();
        const down = await migrateRollback(db, source);

        expect(found).toEqual([made.json.name]);
        expect(up[0]!.applied).toEqual([made.json.name]);
        expect(tableAfterUp).toBe(true);
        expect(columns).toEqual(['created_at', 'id', 'name', 'updated_at']);
        expect(down.applied).toEqual([made.json.name]);
        expect(await db.schema.hasTable('example_things')).toBe(false);
      } finally {
        await db.destroy();
      }
    });
  });
});
