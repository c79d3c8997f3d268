// The network plugin's schema: one detail row per network device asset, the site's VLANs, the
// ports of each device, and what each port is plugged into — another port, or an end device
// such as a CNC or a PC.

import type { Knex } from 'knex';
import { createTable, timestamps } from 'shopdb/sdk';

export async function up(knex: Knex): Promise<void> {
  await createTable(knex, 'network_devices', (table) => {
    table.bigInteger('asset_id').unsigned().primary().references('id').inTable('assets').onDelete('CASCADE');
    table.string('management_ip', 45).nullable();
    // switch | access-point | camera | firewall | router; null until it is set.
    table.string('role', 16).nullable();
    table.string('firmware_version', 64).nullable();
    timestamps(knex, table);
    table.index(['role']);
  });

  await createTable(knex, 'network_vlans', (table) => {
    table.increments('id').primary();
    // The 802.1Q id (1–4094); ports point at it.
    table.integer('vlan_id').unsigned().notNullable().unique();
    table.string('name', 64).notNullable();
    table.string('subnet', 49).nullable();
    timestamps(knex, table);
  });

  await createTable(knex, 'network_ports', (table) => {
    table.bigIncrements('id').primary();
    table.bigInteger('asset_id').unsigned().notNullable().references('id').inTable('assets').onDelete('CASCADE');
    table.string('name', 64).notNullable();
    table.string('description', 255).nullable();
    // The access VLAN; null for a trunk or an unconfigured port.
    table.integer('vlan').unsigned().nullable().references('vlan_id').inTable('network_vlans').onDelete('RESTRICT');
    table.string('mode', 8).notNullable().defaultTo('access');
    table.boolean('is_uplink').notNullable().defaultTo(false);
    timestamps(knex, table);
    table.unique(['asset_id', 'name']);
    table.index(['vlan']);
  });

  // A port is plugged into at most one thing: another port (port_b_id) or an end asset (asset_id).
  // Each unique index covers one column; that a port is not on both sides of two links is checked
  // by the service under a row lock.
  await createTable(knex, 'network_port_links', (table) => {
    table.bigIncrements('id').primary();
    table.bigInteger('port_a_id').unsigned().notNullable().unique().references('id').inTable('network_ports').onDelete('CASCADE');
    table.bigInteger('port_b_id').unsigned().nullable().unique().references('id').inTable('network_ports').onDelete('CASCADE');
    table.bigInteger('asset_id').unsigned().nullable().references('id').inTable('assets').onDelete('CASCADE');
    timestamps(knex, table);
    table.index(['asset_id']);
    table.check('(port_b_id is null) <> (asset_id is null)', [], 'network_port_links_one_end');
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const name of ['network_port_links', 'network_ports', 'network_vlans', 'network_devices']) await knex.schema.dropTable(name);
}
