import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { binPath, runBin, runCommand } from '../../../test/support/cli.js';
import { createSite, describeEachEngine, withSiteDb, type EngineName, type TestSite } from '../../../test/support/site.js';
import { packageRoot } from '../../core/paths.js';
import { cliActor } from '../../core/audit/log.js';
import { assetTypes } from '../../core/inventory/reference.js';
import Migrate from '../migrate/index.js';
import PluginInstall from '../plugin/install.js';
import Seed from '../seed.js';
import ExportAssets from '../export/assets.js';
import ImportAssets from './assets.js';
import ImportList from './list.js';

const HEADER = 'asset_tag,name,type,status,location,manufacturer,model,serial,hostname,notes';

async function siteWithPlugins(engine: EngineName, demo: boolean): Promise<TestSite> {
  const site = await createSite(engine);
  for (const argv of [[], ['--all']]) {
    const result = await runCommand(argv.length ? PluginInstall : Migrate, ['--env-file', site.envFile, ...argv]);
    expect(result.exitCode, result.stderr).toBe(0);
  }
  const seeded = await runCommand(Seed, ['--env-file', site.envFile, ...(demo ? ['--demo'] : [])]);
  expect(seeded.exitCode, seeded.stderr).toBe(0);
  return site;
}

/** What an import may change: the assets, their details and the audit log. */
async function written(site: TestSite): Promise<{ assets: number; machines: number; audit: number }> {
  return withSiteDb(site, async (db) => {
    const count = async (table: string) => Number(((await db(table).count({ n: '*' })) as Array<{ n: number }>)[0]!.n);
    return { assets: await count('assets'), machines: await count('equipment_machines'), audit: await count('audit_log') };
  });
}

describeEachEngine('shopdb import / export assets', (engine) => {
  let site: TestSite | undefined;
  let other: TestSite | undefined;
  afterEach(async () => {
    await site?.cleanup();
    await other?.cleanup();
    site = other = undefined;
  });

  it('round trip: export, import into an empty site, export again gives the same file; the export plans zero changes on its own site', async () => {
    site = await siteWithPlugins(engine, true);
    other = await siteWithPlugins(engine, false);
    // A formula-looking cell and a serial with leading zeros survive the trip.
    await withSiteDb(site, (db) => db('assets').where({ asset_tag: 'CNC-4012' }).update({ notes: '=HYPERLINK("x")', serial: '00123' }));
    const first = join(site.dir, 'first.csv');
    const exported = await runBin(['export', 'assets', '--out', first, '--json', '--env-file', site.envFile]);
    expect(exported.exitCode, exported.stderr).toBe(0);
    expect(readFileSync(first, 'utf8')).toContain(`'=HYPERLINK`);

    const same = await runBin(['import', 'assets', first, '--dry-run', '--json', '--env-file', site.envFile]);
    expect(same.exitCode, same.stderr).toBe(0);
    expect(same.json.plan).toMatchObject({ create: 0, update: 0, conflicts: 0, unchanged: exported.json.rows });

    const applied = await runBin([
      'import',
      'assets',
      first,
      '--apply',
      '--create-missing',
      'locations,models,manufacturers',
      '--json',
      '--env-file',
      other.envFile,
    ]);
    expect(applied.exitCode, applied.stderr).toBe(0);
    expect(applied.json.counts).toMatchObject({ read: exported.json.rows, created: exported.json.rows, failed: 0 });
    expect(applied.json.reconciled).toBe(true);
    const again = await runCommand(ExportAssets, ['--env-file', other.envFile]);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toBe(readFileSync(first, 'utf8'));

    // Every audit entry of the apply carries its import id.
    const audit = await withSiteDb(other, (db) => db('audit_log').where('request_id', applied.json.importId).count({ n: '*' }));
    expect(Number((audit as Array<{ n: number }>)[0]!.n)).toBeGreaterThanOrEqual(exported.json.rows);
  }, 180_000);

  it('JSON Lines from stdin, in-process and through bin: creates, then updates only what changed; import list shows both', async () => {
    site = await siteWithPlugins(engine, true);
    const lines = [
      {
        asset_tag: 'CNC-9001',
        name: 'New mill',
        type: 'equipment',
        status: 'In service',
        location: 'P7-B1-BAY1',
        'equipment.axes': 5,
        'equipment.machine_number': '9001',
      },
      { asset_tag: 'CNC-4012', name: 'DMU 65 #1 (renamed)' },
    ];
    const input = lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
    const planned = await runBin(['import', 'assets', '-', '--format', 'jsonl', '--dry-run', '--json', '--env-file', site.envFile], {
      input,
    });
    expect(planned.exitCode, planned.stderr).toBe(0);
    expect(planned.json.plan).toMatchObject({ create: 1, update: 1, unchanged: 0 });
    expect(planned.json.updates).toEqual([{ line: 2, assetTag: 'CNC-4012', fields: ['name'] }]);
    const path = join(site.dir, 'in.jsonl');
    writeFileSync(path, input);
    const applied = await runCommand(ImportAssets, [
      path,
      '--apply',
      '--plan',
      planned.json.importId,
      '--json',
      '--env-file',
      site.envFile,
    ]);
    expect(applied.exitCode, applied.stderr).toBe(0);
    expect(applied.json.counts).toMatchObject({ read: 2, created: 1, updated: 1, unchanged: 0 });
    const machine = await withSiteDb(site, (db) =>
      db({ m: 'equipment_machines' })
        .join({ a: 'assets' }, 'a.id', 'm.asset_id')
        .where('a.asset_tag', 'CNC-9001')
        .first('m.axes', 'm.machine_number'),
    );
    expect(machine).toMatchObject({ axes: 5, machine_number: '9001' });

    const rerun = await runBin(['import', 'assets', '-', '--format', 'jsonl', '--apply', '--json', '--env-file', site.envFile], { input });
    expect(rerun.json.counts).toMatchObject({ read: 2, created: 0, updated: 0, unchanged: 2 });

    const listed = await runCommand(ImportList, ['--json', '--env-file', site.envFile]);
    expect(listed.json.imports.map((i: { status: string }) => i.status)).toEqual(expect.arrayContaining(['dry-run', 'completed']));
    const human = await runBin(['import', 'list', '--env-file', site.envFile]);
    expect(human.stdout).toContain(applied.json.importId);
  }, 120_000);

  it('refuses to guess without a terminal, and an --apply --plan whose file changed', async () => {
    site = await siteWithPlugins(engine, true);
    const path = join(site.dir, 'one.csv');
    writeFileSync(path, `${HEADER}\nCNC-4012,Renamed,,,,,,,,\n`);
    const guess = await runBin(['import', 'assets', path, '--env-file', site.envFile]);
    expect(guess.exitCode).toBe(2);
    expect(guess.stderr).toMatch(/^Fix: Pass --dry-run to check the file and see the plan, or --apply to write it\.$/m);
    const planned = await runBin(['import', 'assets', path, '--dry-run', '--json', '--env-file', site.envFile]);
    writeFileSync(path, `${HEADER}\nCNC-4012,Renamed again,,,,,,,,\n`);
    const before = await written(site);
    const refused = await runBin(['import', 'assets', path, '--apply', '--plan', planned.json.importId, '--env-file', site.envFile]);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/^Error: The file changed since dry run /m);
    expect(await written(site)).toEqual(before);
  }, 120_000);

  describe('bad input: every problem with its line, nothing written (bin)', () => {
    const check = async (content: string | Buffer, extra: string[] = [], name = 'bad.csv') => {
      const path = join(site!.dir, name);
      writeFileSync(path, content);
      const before = await written(site!);
      const result = await runBin(['import', 'assets', path, '--apply', '--json', '--env-file', site!.envFile, ...extra]);
      expect(await written(site!)).toEqual(before);
      return result;
    };
    const problems = (result: { json?: any }) =>
      result.json.error.problems as Array<{
        line: number;
        column: string | null;
        code: string;
        message: string;
        suggestion: string | null;
      }>;

    it('row problems: all reported in one run', async () => {
      site = await siteWithPlugins(engine, true);
      await withSiteDb(site, (db) =>
        assetTypes.create(db, cliActor('test'), {
          key: 'gauge',
          label: 'Gauge',
          fields: [{ key: 'range_mm', label: 'Range (mm)', type: 'number' }],
        }),
      );
      const rows = [
        'asset_tag,name,type,status,location,serial,custom.range_mm,equipment.axes,equipment.next_pm_due,equipment.machine_numbr',
        'CNC-9100,Mill A,equipment,In service,P7-B1-BAY1,,,5,2027-01-01,', // 2: fine
        'cnc-9100,Mill B,equipment,In service,P7-B1-BAY1,,,,,', // 3: duplicate tag (case)
        'CNC-9102,Mill C,equipment,In service,P7-B1-BAY9,,,,,', // 4: unknown location
        'CNC-9103,Mill D,equipment,In service,P7-B1-BAY1,,,99,,', // 5: out of range
        'CNC-9104,Mill E,equipment,In service,P7-B1-BAY1,,,,2026-02-30,', // 6: no such day
        'CNC-9105,Mill F,equipment,In service,P7-B1-BAY1,,10.0.0.1,,,', // 7: custom field the type lacks
        'PC-9106,PC,computer,In service,P7-B1-BAY1,,,4,,', // 8: plugin field on another type
        'CNC-9107,Mill H,equipment,In service,P7-B1-BAY1,,,,', // 9: too few cells
        'CNC-9108,Mill I,equipment,In service,P7-B1-BAY1,,,,,,', // 10: too many cells
        'CNC-9109,Mill J,gizmo,In service,,,,,,', // 11: unknown type
        'CNC-9110,,,,,,,,,', // 12: a new asset without name, type, status
      ];
      const result = await check(rows.join('\n') + '\n');
      expect(result.exitCode).toBe(1);
      const found = problems(result).map((p) => [p.line, p.column, p.code]);
      expect(found).toEqual(
        expect.arrayContaining([
          [1, 'equipment.machine_numbr', 'UNKNOWN_COLUMN'],
          [3, 'asset_tag', 'DUPLICATE_TAG'],
          [4, 'location', 'UNKNOWN_LOCATION'],
          [5, 'equipment.axes', 'BAD_VALUE'],
          [6, 'equipment.next_pm_due', 'BAD_VALUE'],
          [7, 'custom.range_mm', 'CUSTOM_FIELD_NOT_IN_TYPE'],
          [8, 'equipment.axes', 'PLUGIN_FIELD_WRONG_TYPE'],
          [9, null, 'TOO_FEW_CELLS'],
          [10, null, 'TOO_MANY_CELLS'],
          [11, 'type', 'UNKNOWN_TYPE'],
          [12, 'name', 'REQUIRED'],
        ]),
      );
      const byCode = (code: string) => problems(result).find((p) => p.code === code)!;
      expect(byCode('UNKNOWN_COLUMN').suggestion).toBe('Did you mean "equipment.machine_number"?');
      expect(byCode('UNKNOWN_LOCATION').suggestion).toMatch(/^The closest codes are P7-B1-BAY1, P7-B1-BAY2/);
      expect(byCode('DUPLICATE_TAG').message).toBe('The tag cnc-9100 is also on line 2');
      const human = await check(rows.join('\n') + '\n');
      expect(human.json.error.problemCount).toBe(problems(result).length);
      const text = await runBin(['import', 'assets', join(site.dir, 'bad.csv'), '--dry-run', '--env-file', site.envFile]);
      expect(text.stderr).toMatch(
        /^ {2}• line 4, location: There is no location "P7-B1-BAY9" \[UNKNOWN_LOCATION\] — The closest codes are /m,
      );
    }, 120_000);

    it('file problems: missing column, open quote, empty file, header only, not UTF-8 (and --encoding), a 200 MB line', async () => {
      site = await siteWithPlugins(engine, true);
      const missing = await check('name,type\nMill,equipment\n');
      expect(problems(missing)).toContainEqual(expect.objectContaining({ line: 1, column: 'asset_tag', code: 'MISSING_COLUMN' }));

      const open = await check(`${HEADER}\nCNC-1,"Mill,equipment,In service,,,,,,\nCNC-2,Mill,equipment,In service,,,,,,\n`);
      expect(problems(open)).toContainEqual(expect.objectContaining({ line: 2, code: 'OPEN_QUOTE' }));

      expect(problems(await check(''))).toContainEqual(expect.objectContaining({ line: 1, code: 'EMPTY_FILE' }));
      expect(problems(await check(`${HEADER}\n`))).toContainEqual(expect.objectContaining({ line: 1, code: 'NO_ROWS' }));

      const latin = Buffer.concat([
        Buffer.from(`${HEADER}\nCNC-4012,DMU 65 #1,,,,,,,,\nCNC-4013,Fr`),
        Buffer.from([0xe4]),
        Buffer.from('se,,,,,,,,\n'),
      ]);
      const notUtf8 = await check(latin);
      expect(problems(notUtf8)).toEqual([
        expect.objectContaining({ line: 3, code: 'NOT_UTF8', suggestion: expect.stringContaining('--encoding windows-1252') }),
      ]);
      const converted = await runBin([
        'import',
        'assets',
        join(site.dir, 'bad.csv'),
        '--dry-run',
        '--encoding',
        'windows-1252',
        '--json',
        '--env-file',
        site.envFile,
      ]);
      expect(converted.exitCode, converted.stderr).toBe(0);
      expect(converted.json.updates).toEqual([{ line: 3, assetTag: 'CNC-4013', fields: ['name'] }]);

      // Excel's dialect: a byte-order mark and ; as the separator.
      const excel = await check(`\uFEFFasset_tag;name\nCNC-4012;DMU 65 #1\n`, [], 'excel.csv');
      expect(excel.exitCode, excel.stderr).toBe(0);
      expect(excel.json).toMatchObject({ separator: ';', counts: { read: 1, unchanged: 1 } });

      const huge = join(site.dir, 'huge.csv');
      await new Promise<void>((resolve, reject) => {
        const out = createWriteStream(huge);
        out.on('error', reject);
        out.write(`${HEADER}\nCNC-4012,`);
        const block = Buffer.alloc(1024 * 1024, 'x');
        let i = 0;
        const more = () => {
          while (i < 200) {
            i++;
            if (!out.write(block)) return void out.once('drain', more);
          }
          out.end(',,,,,,,,\n', () => resolve());
        };
        more();
      });
      const before = await written(site);
      const long = await runBin(['import', 'assets', huge, '--apply', '--json', '--env-file', site.envFile]);
      expect(await written(site)).toEqual(before);
      expect(problems(long)).toEqual([expect.objectContaining({ line: 2, code: 'LINE_TOO_LONG' })]);
    }, 180_000);
  });

  it('a crash mid-apply (kill -9) and the same command again: right counts, no duplicates', async () => {
    site = await siteWithPlugins(engine, true);
    const total = 20_000;
    const path = join(site.dir, 'many.csv');
    const lines = [`${HEADER},equipment.machine_number`];
    for (let i = 0; i < total; i++)
      lines.push(`BULK-${String(i).padStart(6, '0')},Bulk ${i},equipment,In service,P7-B1-BAY1,,,SN${i},,,M${i}`);
    writeFileSync(path, lines.join('\n') + '\n');
    const before = await written(site);
    const argv = ['import', 'assets', path, '--apply', '--batch-size', '100', '--env-file', site.envFile];
    const child = spawn(binPath, argv, { cwd: packageRoot, stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 120_000;
    let seen: number;
    while (Date.now() < deadline) {
      seen = (await written(site)).assets - before.assets;
      if (seen > 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    await exited;
    const afterKill = (await written(site)).assets - before.assets;
    expect(afterKill).toBeGreaterThan(0);
    expect(afterKill).toBeLessThan(total);

    const again = await runBin([...argv.filter((a) => a !== '--batch-size' && a !== '100'), '--json'], {});
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.json.counts).toMatchObject({ read: total, created: total - afterKill, unchanged: afterKill, updated: 0, failed: 0 });
    expect(again.json.reconciled).toBe(true);
    const after = await written(site);
    expect(after.assets - before.assets).toBe(total);
    expect(after.machines - before.machines).toBe(total);
    const statuses = await withSiteDb(site, (db) => db('imports').orderBy('started_at').pluck('status'));
    expect(statuses).toContain('applying');
  }, 300_000);

  it('the legacy example (docs/examples) migrates, reports its exclusions, and re-runs as a no-op', async () => {
    site = await siteWithPlugins(engine, true);
    const argv = [
      'import',
      'assets',
      join(packageRoot, 'docs/examples/legacy-assets.csv'),
      '--source',
      'maint2000',
      '--map',
      join(packageRoot, 'docs/examples/legacy-map.yaml'),
      '--env-file',
      site.envFile,
    ];
    const dry = await runBin([...argv, '--dry-run']);
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^Plan \S+: 3 to create, 0 to update, 0 unchanged, 0 conflicts, 3 skipped$/m);
    expect(dry.stdout).toContain('excluded by the filter: 1 status Scrapped');
    expect(dry.stdout).toContain('excluded by the filter: 1 not equipment (category is not CNC)');
    expect(dry.stdout).toContain('excluded by the filter: 1 installed before 2000');
    const applied = await runCommand(ImportAssets, [...argv.slice(2), '--apply', '--json']);
    expect(applied.exitCode, applied.stderr).toBe(0);
    expect(applied.json).toMatchObject({
      counts: { read: 6, created: 3, skipped: 3 },
      excluded: { 'status Scrapped': 1, 'installed before 2000': 1 },
    });
    // A renamed tag in the legacy system still finds its asset through the kept legacy id.
    const renamed = readFileSync(join(packageRoot, 'docs/examples/legacy-assets.csv'), 'utf8').replace('CNC-7001', 'CNC-7001A');
    const path = join(site.dir, 'legacy-renamed.csv');
    writeFileSync(path, renamed);
    const again = await runBin([
      'import',
      'assets',
      join(packageRoot, 'docs/examples/legacy-assets.csv'),
      ...argv.slice(3),
      '--apply',
      '--json',
    ]);
    expect(again.json.counts).toMatchObject({ read: 6, created: 0, updated: 0, unchanged: 3, skipped: 3 });
    const moved = await runBin(['import', 'assets', path, ...argv.slice(3), '--apply', '--json']);
    expect(moved.json.counts).toMatchObject({ created: 0, updated: 1, unchanged: 2 });
    const map = await withSiteDb(site, (db) =>
      db({ m: 'import_legacy_ids' })
        .join({ a: 'assets' }, 'a.id', 'm.asset_id')
        .where('m.legacy_id', '1001')
        .first('a.asset_tag', 'a.status_id'),
    );
    expect(map.asset_tag).toBe('CNC-7001A');
    const repair = await withSiteDb(site, (db) =>
      db({ a: 'assets' }).join({ s: 'status_labels' }, 's.id', 'a.status_id').where('a.asset_tag', 'CNC-7004').first('s.name'),
    );
    expect(repair.name).toBe('Down for repair');
  }, 120_000);
});
