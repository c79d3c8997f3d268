// Installs "{{name}}" on a throwaway SQLite site with the real shopdb, checks what it created,
// and uninstalls it again. Run with `SHOPDB_BIN=/path/to/shopdb/bin/run.js npm test`.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

const bin = process.env.SHOPDB_BIN ?? 'shopdb';
const pluginsDir = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

function shopdb(site, ...args) {
  const out = execFileSync(bin, [...args, '--env-file', join(site, '.env'), '--json'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return JSON.parse(out);
}

test('{{name}} installs, holds its table, and uninstalls without a trace', () => {
  const site = mkdtempSync(join(tmpdir(), 'shopdb-plugin-{{name}}-'));
  try {
    writeFileSync(join(site, '.env'), `DB_CLIENT=sqlite\nDB_SQLITE_PATH=shopdb.sqlite\nSHOPDB_PLUGIN_DIRS=${pluginsDir}\n`, { mode: 0o600 });
    shopdb(site, 'migrate');
    const installed = shopdb(site, 'plugin', 'install', '{{name}}');
    assert.equal(installed.plugins[0].action, 'installed');
    const info = shopdb(site, 'plugin', 'info', '{{name}}');
    assert.equal(info.status, 'enabled');
    assert.deepEqual(info.holdings.tables, [{ table: '{{prefix}}items', rows: 0 }]);
    const removed = shopdb(site, 'plugin', 'uninstall', '{{name}}');
    assert.equal(removed.name, '{{name}}');
    assert.equal(shopdb(site, 'plugin', 'info', '{{name}}').status, 'available');
  } finally {
    rmSync(site, { recursive: true, force: true });
  }
});
