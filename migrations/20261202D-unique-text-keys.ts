// One rule for unique text on both engines (ADR-013): asset tags, location codes, usernames and
// the names of makers, models and status labels are unique ignoring case, accents and trailing
// spaces. Each gets a `<column>_key` (textKey of the value) with the unique index, in place of
// the raw column's own (case-sensitive on SQLite, collation-dependent on MySQL). A site whose
// SQLite file already holds "cnc-5001" beside "CNC-5001" is told which rows clash, and nothing
// changes until they are renamed.

import type { Knex } from 'knex';
import { addTextKey, assertNoTextKeyClashes, dropTextKey, type UniqueTextColumn } from '../src/core/db/text-keys.js';

const KEYS: UniqueTextColumn[] = [
  {
    table: 'assets',
    column: 'asset_tag',
    keyColumn: 'asset_tag_key',
    replaces: { index: 'assets_asset_tag_unique', columns: ['asset_tag'] },
    plainIndex: 'assets_asset_tag_index',
  },
  { table: 'locations', column: 'code', keyColumn: 'code_key', replaces: { index: 'locations_code_unique', columns: ['code'] } },
  { table: 'manufacturers', column: 'name', keyColumn: 'name_key', replaces: { index: 'manufacturers_name_unique', columns: ['name'] } },
  {
    table: 'asset_models',
    column: 'name',
    keyColumn: 'name_key',
    scope: ['manufacturer_id'],
    replaces: { index: 'asset_models_manufacturer_id_name_unique', columns: ['manufacturer_id', 'name'] },
  },
  { table: 'status_labels', column: 'name', keyColumn: 'name_key', replaces: { index: 'status_labels_name_unique', columns: ['name'] } },
  { table: 'users', column: 'username', keyColumn: 'username_key', replaces: { index: 'users_username_unique', columns: ['username'] } },
];

export async function up(knex: Knex): Promise<void> {
  // Every clash is found and named before any table changes (MySQL cannot roll back DDL).
  await assertNoTextKeyClashes(knex, KEYS);
  for (const spec of KEYS) await addTextKey(knex, spec);
}

export async function down(knex: Knex): Promise<void> {
  for (const spec of [...KEYS].reverse()) await dropTextKey(knex, spec);
}
