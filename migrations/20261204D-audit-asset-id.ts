// Which asset an audit entry belongs to, so an asset's history (GET /api/assets/:id/history) is
// one indexed read for every role, without opening the full audit log to editors and viewers.
// Entries written from now on carry it (recordAudit: the asset itself, a detail row, or a plugin
// record naming its `assetId`); older entries are filled in here from the same rules. Detail rows
// of plugins are recognised by the bundled plugins' object types: a third-party detail table's
// history starts with this migration.

import type { Knex } from 'knex';

const isSqlite = (knex: Knex) => knex.client.config.client === 'better-sqlite3';

/** The bundled plugins' 1:1 detail tables, whose entries are keyed by the asset id. */
const DETAIL_OBJECT_TYPES = ['computers.host', 'network.device', 'printers.device', 'equipment.machine'];

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_log', (table) => {
    table.bigInteger('asset_id').unsigned().nullable();
    table.index(['asset_id', 'id']);
  });

  const keyedByAsset = ['asset', ...DETAIL_OBJECT_TYPES];
  if (isSqlite(knex)) {
    await knex.raw(
      `UPDATE audit_log SET asset_id = CAST(object_id AS INTEGER) WHERE object_type IN (${keyedByAsset.map(() => '?').join(', ')})`,
      keyedByAsset,
    );
    const named = `COALESCE(json_extract("after", '$.assetId'), json_extract("before", '$.assetId'))`;
    await knex.raw(`UPDATE audit_log SET asset_id = ${named} WHERE asset_id IS NULL AND typeof(${named}) = 'integer' AND ${named} > 0`);
    return;
  }
  await knex.raw(
    `UPDATE audit_log SET asset_id = CAST(object_id AS UNSIGNED) WHERE object_type IN (${keyedByAsset.map(() => '?').join(', ')}) AND object_id REGEXP '^[0-9]+$'`,
    keyedByAsset,
  );
  // JSON_UNQUOTE + a digits-only check: a strict-mode UPDATE would fail on a cast of anything else.
  const named = "COALESCE(JSON_UNQUOTE(JSON_EXTRACT(`after`, '$.assetId')), JSON_UNQUOTE(JSON_EXTRACT(`before`, '$.assetId')))";
  await knex.raw(`UPDATE audit_log SET asset_id = CAST(${named} AS UNSIGNED) WHERE asset_id IS NULL AND ${named} REGEXP '^[1-9][0-9]*$'`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_log', (table) => {
    table.dropIndex(['asset_id', 'id']);
    table.dropColumn('asset_id');
  });
}
