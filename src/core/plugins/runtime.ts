// The plugins as a running server sees them: which are enabled right now (read from the site
// database and kept for a moment, so `shopdb plugin disable` takes effect on a running server
// within seconds without a query per request), whose asset types that leaves visible, and one
// asset-event dispatcher that calls the enabled plugins' hooks in dependency order.

import type { Knex } from 'knex';
import type { Db } from '../db/transaction.js';
import type { AssetEventHooks, AssetWriteOptions } from '../inventory/assets.js';
import { withDependencies, type AvailablePlugin, type PluginCatalog } from './catalog.js';
import { defineDetailTable } from './detail-table.js';
import { ASSET_EVENT_HOOKS } from './manifest.js';
import { listInstalled } from './state.js';

export interface PluginSnapshot {
  /** Installed, enabled and usable here. */
  enabled: ReadonlySet<string>;
  /** The same, as a sorted list: asset types of any other plugin are hidden. */
  enabledList: readonly string[];
}

/** How long a snapshot of the plugin state is trusted. */
export const PLUGIN_STATE_TTL_MS = 2_000;

export class PluginRuntime {
  private snapshot: { at: number; value: PluginSnapshot } | null = null;
  private pending: Promise<PluginSnapshot> | null = null;
  /** Usable plugins, dependencies first: the order hooks run in. */
  readonly ordered: readonly AvailablePlugin[];

  constructor(
    readonly catalog: PluginCatalog,
    private readonly ttlMs = PLUGIN_STATE_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {
    this.ordered = withDependencies(
      catalog,
      catalog.plugins.filter((p) => p.problems.length === 0).map((p) => p.manifest.name),
    );
  }

  /** Forget the cached state (tests, and after this process changed it). */
  invalidate(): void {
    this.snapshot = null;
  }

  async state(db: Knex): Promise<PluginSnapshot> {
    if (this.snapshot && this.now() - this.snapshot.at < this.ttlMs) return this.snapshot.value;
    // Concurrent requests share one refresh.
    this.pending ??= this.read(db).finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  private async read(db: Knex): Promise<PluginSnapshot> {
    const usable = new Set(this.ordered.map((p) => p.manifest.name));
    const enabled = new Set((await listInstalled(db)).filter((s) => s.enabled && usable.has(s.name)).map((s) => s.name));
    const value: PluginSnapshot = { enabled, enabledList: [...enabled].sort() };
    this.snapshot = { at: this.now(), value };
    return value;
  }

  /**
   * One dispatcher over the asset hooks of the enabled plugins, called in dependency order. A
   * plugin's declared detail tables come first in its afterAssetCreate: the new asset has its row
   * before the plugin's own hook runs.
   */
  assetEvents(enabled: ReadonlySet<string>): AssetEventHooks {
    const active = this.ordered.filter((p) => enabled.has(p.manifest.name));
    const dispatcher: AssetEventHooks = {};
    for (const hook of ASSET_EVENT_HOOKS) {
      const handlers = active
        .flatMap((p) => [...(hook === 'afterAssetCreate' ? detailRowCreators(p) : []), p.manifest.hooks?.[hook]])
        .filter((fn) => typeof fn === 'function') as Array<(event: never) => Promise<void> | void>;
      if (handlers.length === 0) continue;
      (dispatcher as Record<string, unknown>)[hook] = async (event: never) => {
        for (const handler of handlers) await handler(event);
      };
    }
    return dispatcher;
  }

  /**
   * Which of `vlanIds` the enabled plugins that keep VLANs (a `knownVlans` hook) know; null when
   * no enabled plugin keeps them, so a caller accepts any VLAN id. `db` is the caller's (on SQLite
   * a second connection would wait for the caller's own transaction).
   */
  async knownVlans(db: Db, vlanIds: readonly number[]): Promise<ReadonlySet<number> | null> {
    const { enabled } = await this.state(db as Knex);
    const keepers = this.ordered.filter((p) => enabled.has(p.manifest.name) && typeof p.manifest.knownVlans === 'function');
    if (keepers.length === 0) return null;
    const known = new Set<number>();
    for (const plugin of keepers) {
      const { name, version } = plugin.manifest;
      for (const id of await plugin.manifest.knownVlans!({ db, plugin: { name, version }, vlanIds: [...new Set(vlanIds)] }))
        known.add(Number(id));
    }
    return known;
  }

  /** What an asset write needs: the enabled plugins (whose types are usable) and their hooks. */
  async assetWriteOptions(db: Knex): Promise<AssetWriteOptions> {
    const state = await this.state(db);
    return { enabledPlugins: state.enabledList, events: this.assetEvents(state.enabled) };
  }
}

/** The afterAssetCreate handlers that give a new asset of a plugin's type its declared detail row. */
function detailRowCreators(plugin: AvailablePlugin): Array<NonNullable<AssetEventHooks['afterAssetCreate']>> {
  return (plugin.manifest.assetTypes ?? []).flatMap((type) => {
    if (typeof type.detailTable !== 'object') return [];
    const table = defineDetailTable(type.detailTable);
    return [({ db, actor, asset }) => (asset.type.key === type.key ? table.createRow(db, actor, asset.id) : undefined)];
  });
}
