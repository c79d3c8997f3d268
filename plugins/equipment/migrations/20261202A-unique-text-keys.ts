// Machine numbers are unique ignoring case on both engines (ADR-013): a key column holds
// textKey(machine_number) and carries the unique index in place of the raw column's.

import type { Knex } from 'knex';
import { addTextKey, dropTextKey, type UniqueTextColumn } from 'shopdb/sdk';

const KEY: UniqueTextColumn = {
  table: 'equipment_machines',
  column: 'machine_number',
  keyColumn: 'machine_number_key',
  nullable: true,
  primaryKey: 'asset_id',
  replaces: { index: 'equipment_machines_machine_number_unique', columns: ['machine_number'] },
};

export async function up(knex: Knex): Promise<void> {
  await addTextKey(knex, KEY);
}

export async function down(knex: Knex): Promise<void> {
  await dropTextKey(knex, KEY);
}
