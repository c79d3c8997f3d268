// For the backup, restore and update suites: a demo site with every bundled plugin, a full
// ordered export of every table (what "identical after a round trip" is checked against), MySQL
// users with a password, stand-in executables on PATH, and archive surgery (damaging a byte,
// rewriting the manifest) to build refused backups.

import { appendFileSync, chmodSync, createReadStream, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { extract, pack } from 'tar-stream';
import { migrateSite } from '../../src/core/migrations/site.js';
import PluginInstall from '../../src/commands/plugin/install.js';
import Seed from '../../src/commands/seed.js';
import { runCommand } from './cli.js';
import { adminQuery } from './mysql.js';
import { createSite, tempDir, writeEnvFile, type EngineName, type TestSite } from './site.js';

/** A site with the core schema, every bundled plugin and the demo data (`seed --demo`). */
export async function createDemoSite(engine: EngineName, extra: Record<string, string> = {}): Promise<TestSite> {
  const site = await createSite(engine, extra);
  await migrateSite({ config: site.config() });
  const installed = await runCommand(PluginInstall, ['--all', '--env-file', site.envFile]);
  if (installed.exitCode !== 0) throw new Error(`plugin install failed: ${installed.stderr}`);
  const seeded = await runCommand(Seed, ['--demo', '--env-file', site.envFile]);
  if (seeded.exitCode !== 0) throw new Error(`seed --demo failed: ${seeded.stderr}`);
  return site;
}

async function tableNames(db: Knex, engine: EngineName): Promise<string[]> {
  if (engine === 'sqlite') {
    const rows = (await db.raw("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")) as Array<{
      name: string;
    }>;
    return rows.map((r) => r.name);
  }
  const [rows] = (await db.raw(
    "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
  )) as [Array<{ name: string }>];
  return rows.map((r) => r.name);
}

/** Every row of every table, ordered by all its columns, as JSON text per table. */
export async function exportTables(site: TestSite): Promise<Record<string, string>> {
  const db = await site.open();
  try {
    const out: Record<string, string> = {};
    for (const table of await tableNames(db, site.engine)) {
      const columns = Object.keys(await db(table).columnInfo());
      const rows = await db(table)
        .select('*')
        .orderBy(columns.map((column) => ({ column, order: 'asc' as const })));
      out[table] = JSON.stringify(rows, (_key, value: unknown) => (Buffer.isBuffer(value) ? value.toString('hex') : value));
    }
    return out;
  } finally {
    await db.destroy();
  }
}

/** MySQL: CHECKSUM TABLE of every base table. */
export async function checksumTables(site: TestSite): Promise<Record<string, string>> {
  const db = await site.open();
  try {
    const out: Record<string, string> = {};
    for (const table of await tableNames(db, 'mysql')) {
      const [rows] = (await db.raw('CHECKSUM TABLE ??', [table])) as [Array<{ Checksum: unknown }>];
      out[table] = String(rows[0]?.Checksum);
    }
    return out;
  } finally {
    await db.destroy();
  }
}

/** Removes the site database entirely: the SQLite file, or DROP DATABASE. */
export async function dropSiteDatabase(site: TestSite): Promise<void> {
  if (site.engine === 'sqlite') {
    const file = site.config().values.DB_SQLITE_PATH;
    for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  } else {
    await adminQuery(site.server!, `DROP DATABASE \`${site.database}\``);
  }
}

/**
 * A MySQL user with a password and the privileges `shopdb init` gives (its database only), written
 * into the site's .env; removed by the returned cleanup.
 */
export async function usePasswordUser(site: TestSite): Promise<{ user: string; password: string; drop(): Promise<void> }> {
  const user = `bk_${Math.random().toString(36).slice(2, 10)}`;
  // Quotes, a backslash, # and ; : the option file must carry them as they are.
  const password = `Pw-${Math.random().toString(36).slice(2)}-se"cr\\et#1;x`;
  const { SITE_USER_PRIVILEGES } = await import('../../src/core/db/mysql-admin.js');
  await adminQuery(site.server!, 'CREATE USER ?@? IDENTIFIED BY ?', [user, '%', password]);
  await adminQuery(site.server!, `GRANT ${SITE_USER_PRIVILEGES.join(', ')} ON \`${site.database}\`.* TO ?@?`, [user, '%']);
  const { DB_PASSWORD: _old, ...vars } = site.vars;
  writeEnvFile(site.envFile, { ...vars, DB_USER: user });
  appendFileSync(site.envFile, `DB_PASSWORD='${password}'\n`);
  return { user, password, drop: () => adminQuery(site.server!, 'DROP USER IF EXISTS ?@?', [user, '%']).then(() => {}) };
}

/** An executable `name` in a fresh folder, to put first on PATH. */
export function stubExecutable(name: string, script: string, folder = tempDir('shopdb-stub-')): string {
  writeFileSync(join(folder, name), script, { mode: 0o755 });
  chmodSync(join(folder, name), 0o755);
  return folder;
}

export function archivesIn(directory: string): string[] {
  try {
    return readdirSync(directory)
      .filter((name) => name.endsWith('.shopdb.tar'))
      .sort();
  } catch {
    return [];
  }
}

/** The two entries of a shopdb archive, as stored (read with tar-stream, not with the code under test). */
export async function unpackArchive(file: string): Promise<{ dumpName: string; dump: Buffer; manifest: Record<string, any> }> {
  const parser = extract();
  createReadStream(file).pipe(parser);
  const entries: Array<{ name: string; body: Buffer }> = [];
  for await (const entry of parser) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    entries.push({ name: entry.header.name, body: Buffer.concat(chunks) });
  }
  const [dump, manifest] = entries;
  if (!dump || manifest?.name !== 'manifest.json') throw new Error(`${file} is not a dump entry followed by manifest.json`);
  return { dumpName: dump.name, dump: dump.body, manifest: JSON.parse(manifest.body.toString('utf8')) as Record<string, any> };
}

/** Writes an archive from parts with tar-stream (to forge refused backups: a changed manifest, a hostile dump). */
export async function packArchive(
  file: string,
  dumpName: string,
  dump: Buffer,
  manifest: unknown,
  options: { withManifest?: boolean } = {},
): Promise<void> {
  const archive = pack();
  const entry = { mode: 0o600, uname: 'shopdb', gname: 'shopdb', mtime: new Date() };
  archive.entry({ ...entry, name: dumpName }, dump);
  if (options.withManifest !== false) archive.entry({ ...entry, name: 'manifest.json' }, Buffer.from(JSON.stringify(manifest, null, 2)));
  archive.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of archive) chunks.push(chunk as Buffer);
  writeFileSync(file, Buffer.concat(chunks), { mode: 0o600 });
}
