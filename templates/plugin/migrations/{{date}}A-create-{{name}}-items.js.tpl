// The first table of "{{name}}". Every table of the plugin starts with "{{prefix}}", and down()
// drops what up() created: `shopdb plugin uninstall --purge` relies on it.

/** @param {import('knex').Knex} knex */
export async function up(knex) {
  await knex.schema.createTable('{{prefix}}items', (table) => {
    if (knex.client.config.client !== 'better-sqlite3') {
      // MySQL: any Unicode text, and InnoDB for foreign keys.
      table.engine('InnoDB');
      table.charset('utf8mb4');
      table.collate('utf8mb4_unicode_ci');
    }
    table.increments('id').primary();
    table.string('name', 191).notNullable().unique();
    table.text('note').nullable();
  });
}

/** @param {import('knex').Knex} knex */
export async function down(knex) {
  await knex.schema.dropTable('{{prefix}}items');
}
