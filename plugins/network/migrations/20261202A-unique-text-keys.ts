// Port names are unique per device ignoring case on both engines (ADR-013): a key column holds
// textKey(name) and carries the unique index in place of the raw column's.

import type { Knex } from 'knex';
import { addTextKey, dropTextKey, type UniqueTextColumn } from 'shopdb/sdk';

const KEY: UniqueTextColumn = {
  table: 'network_ports',
  column: 'name',
  keyColumn: 'name_key',
  scope: ['asset_id'],
  replaces: { index: 'network_ports_asset_id_name_unique', columns: ['asset_id', 'name'] },
};

export async function up(knex: Knex): Promise<void> {
  await addTextKey(knex, KEY);
}

export async function down(knex: Knex): Promise<void> {
  await dropTextKey(knex, KEY);
}
