// A consumable is one per printer, kind and colour, the colour compared ignoring case and accents
// on both engines (ADR-013): a key column holds textKey(colour) and carries the unique index.

import type { Knex } from 'knex';
import { addTextKey, dropTextKey, type UniqueTextColumn } from 'shopdb/sdk';

const KEY: UniqueTextColumn = {
  table: 'printers_consumables',
  column: 'colour',
  keyColumn: 'colour_key',
  scope: ['asset_id', 'kind'],
  replaces: { index: 'printers_consumables_asset_id_kind_colour_unique', columns: ['asset_id', 'kind', 'colour'] },
};

export async function up(knex: Knex): Promise<void> {
  await addTextKey(knex, KEY);
}

export async function down(knex: Knex): Promise<void> {
  await dropTextKey(knex, KEY);
}
