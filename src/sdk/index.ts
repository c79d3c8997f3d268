// What a plugin written in TypeScript imports from shopdb: the manifest's types and `definePlugin`,
// the helpers for migrations, and the typed route host. A plugin package may also import nothing
// and export a plain object: everything its routes need arrives through `host`.

import type { ShopdbPlugin } from '../api/plugin-host.js';

export type { PluginRouteHost, PluginRoutes, ShopdbPlugin } from '../api/plugin-host.js';
export type {
  PluginAssetType,
  PluginContext,
  PluginSeedContext,
  PluginHooks,
  PluginHeadline,
  PluginSummaryContext,
  PluginDoctorCheck,
  PluginDoctorContext,
  PluginMonitoringContext,
  PluginMonitoringAddress,
  PluginVlanContext,
  PluginDetailColumn,
  PluginDetailColumns,
  PluginDetailWrite,
  DetailColumnType,
} from '../core/plugins/manifest.js';
export type { CheckOutcome, CheckTag } from '../core/doctor/registry.js';
export type { AssetEventHooks, AssetView, AssetInput, AssetPatch } from '../core/inventory/assets.js';
export type { CustomFieldDefinition } from '../core/inventory/custom-fields.js';
export type { Actor } from '../core/audit/log.js';
// Route types are derived from the routes' `as const` JSON schemas, never written a second time.
export type { FromSchema, JSONSchema } from 'json-schema-to-ts';
export { createTable, datetime, timestamps, nowDefault } from '../core/db/schema.js';
export { decodeRow, encodeRow, formatUtcDatetime } from '../core/db/values.js';
export { isUniqueViolation } from '../core/db/constraint-errors.js';
export { inTransaction, type Db, type TransactionOptions } from '../core/db/transaction.js';
export { addTextKey, assertNoTextKeyClashes, dropTextKey, textKey, textKeyOrNull, type UniqueTextColumn } from '../core/db/text-keys.js';
export { recordAudit } from '../core/audit/log.js';
export {
  defineDetailTable,
  type DetailChange,
  type DetailColumn,
  type DetailColumnKind,
  type DetailTable,
  type DetailTableSpec,
  type SaveDetailsOptions,
} from '../core/plugins/detail-table.js';
export { assetLockKey, createAsset, getAsset, joinAssetReferences, updateAsset, type AssetWriteOptions } from '../core/inventory/assets.js';
export { addLink, listLinks, removeLink } from '../core/inventory/links.js';
export { assetModels, manufacturers, statusLabels } from '../core/inventory/reference.js';
export { ConflictError, ForbiddenError, NotFoundError, notFoundAs, UserError, ValidationError } from '../core/errors.js';

/** Typed identity: `export default definePlugin({ … })` has tsc check the manifest and route types. */
export function definePlugin<T extends ShopdbPlugin>(plugin: T): T {
  return plugin;
}
