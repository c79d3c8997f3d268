// Title name + version, and media labels, are unique ignoring case and accents on both engines
// (ADR-013): key columns hold textKey of each and carry the unique indexes.

import type { Knex } from 'knex';
import { addTextKey, assertNoTextKeyClashes, dropTextKey, type UniqueTextColumn } from 'shopdb/sdk';

const KEYS: UniqueTextColumn[] = [
  // The version's key is part of the title's unique index, not unique on its own.
  { table: 'software_titles', column: 'version', keyColumn: 'version_key', unique: false },
  {
    table: 'software_titles',
    column: 'name',
    keyColumn: 'name_key',
    scope: ['version_key'],
    replaces: { index: 'software_titles_name_version_unique', columns: ['name', 'version'] },
  },
  {
    table: 'software_media',
    column: 'label',
    keyColumn: 'label_key',
    replaces: { index: 'software_media_label_unique', columns: ['label'] },
  },
];

export async function up(knex: Knex): Promise<void> {
  await assertNoTextKeyClashes(knex, [KEYS[2]!]);
  for (const key of KEYS) await addTextKey(knex, key);
}

export async function down(knex: Knex): Promise<void> {
  for (const key of [...KEYS].reverse()) await dropTextKey(knex, key);
}
