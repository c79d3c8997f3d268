// The location tree of a site: site → building → area/bay → cell. Each row keeps `path`, the
// chain of ids from the root ("/1/4/9/"), so a subtree is one indexed prefix match and a move
// rewrites the paths of the moved subtree in one statement.

import type { Knex } from 'knex';
import { recordAudit, type Actor } from '../audit/log.js';
import { isForeignKeyViolation, isUniqueViolation } from '../db/constraint-errors.js';
import { textKey } from '../db/text-keys.js';
import { inTransaction } from '../db/transaction.js';
import { decodeRow, formatUtcDatetime } from '../db/values.js';
import { ConflictError, NotFoundError, notFoundAs, ValidationError } from '../errors.js';

export const LOCATION_KINDS = ['site', 'building', 'area', 'bay', 'cell'] as const;
export type LocationKind = (typeof LOCATION_KINDS)[number];

export interface Location {
  id: number;
  parentId: number | null;
  kind: LocationKind;
  code: string;
  name: string;
  path: string;
  notes: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface LocationNode extends Location {
  children: LocationNode[];
}

export interface LocationInput {
  parentId?: number | null;
  kind: LocationKind;
  code: string;
  name: string;
  notes?: string | null;
}

type Row = Record<string, unknown>;

function toView(raw: Row): Location {
  const row = decodeRow<Row>({ created_at: 'date', updated_at: 'date' }, raw);
  return {
    id: Number(row.id),
    parentId: row.parent_id === null ? null : Number(row.parent_id),
    kind: row.kind as LocationKind,
    code: row.code as string,
    name: row.name as string,
    path: row.path as string,
    notes: (row.notes as string) ?? null,
    createdAt: row.created_at as Date,
    updatedAt: row.updated_at as Date,
  };
}

async function load(db: Knex | Knex.Transaction, id: number): Promise<Location> {
  const row = (await db('locations').where({ id }).first()) as Row | undefined;
  if (!row) throw new NotFoundError(`There is no location with id ${id}`);
  return toView(row);
}

export const getLocation = load;

export async function listLocations(db: Knex): Promise<Location[]> {
  return ((await db('locations').select('*').orderBy('path')) as Row[]).map(toView);
}

/** The whole tree, roots first, children ordered by code. */
export async function locationTree(db: Knex): Promise<LocationNode[]> {
  const nodes = new Map<number, LocationNode>();
  for (const location of await listLocations(db)) nodes.set(location.id, { ...location, children: [] });
  const roots: LocationNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.parentId === null ? undefined : nodes.get(node.parentId);
    (parent ? parent.children : roots).push(node);
  }
  const sort = (list: LocationNode[]) => {
    list.sort((a, b) => a.code.localeCompare(b.code));
    for (const node of list) sort(node.children);
  };
  sort(roots);
  return roots;
}

/** LIKE pattern for a subtree. Paths hold only digits and slashes: nothing to escape. */
export function pathPrefixPattern(path: string): string {
  return `${path}%`;
}

/**
 * Every write of the tree goes one at a time: a move checks that the new parent is not inside the
 * moved subtree, and a new child copies its parent's path; both read what a concurrent move
 * could be changing (ADR-012).
 */
export const LOCATION_TREE_LOCK_KEY = 'locations:tree';
const TREE = { serializeOn: [LOCATION_TREE_LOCK_KEY] };

function uniqueCode(error: unknown): never {
  if (isUniqueViolation(error)) throw new ConflictError('A location with that code already exists', { cause: error });
  throw error;
}

export async function createLocation(db: Knex, actor: Actor, input: LocationInput): Promise<Location> {
  return inTransaction(
    db,
    async (trx) => {
      const parent =
        input.parentId == null
          ? null
          : await load(trx, input.parentId).catch(
              notFoundAs(
                () => new ValidationError('The parent location does not exist', { parentId: `no location with id ${input.parentId}` }),
              ),
            );
      const [id] = await trx('locations')
        .insert({
          parent_id: parent?.id ?? null,
          kind: input.kind,
          code: input.code,
          code_key: textKey(input.code),
          name: input.name,
          notes: input.notes ?? null,
          path: '/',
        })
        .catch(uniqueCode);
      await trx('locations')
        .where({ id })
        .update({ path: `${parent?.path ?? '/'}${Number(id)}/` });
      const created = await load(trx, Number(id));
      await recordAudit(trx, actor, { action: 'create', objectType: 'location', objectId: created.id, after: created });
      return created;
    },
    TREE,
  );
}

export async function updateLocation(db: Knex, actor: Actor, id: number, patch: Partial<LocationInput>): Promise<Location> {
  return inTransaction(
    db,
    async (trx) => {
      const before = await load(trx, id);
      const changes: Row = {};
      for (const [key, column] of [
        ['kind', 'kind'],
        ['code', 'code'],
        ['name', 'name'],
        ['notes', 'notes'],
      ] as const) {
        if (patch[key] !== undefined) changes[column] = patch[key];
      }
      if (patch.code !== undefined) changes.code_key = textKey(patch.code);
      if (patch.parentId !== undefined && patch.parentId !== before.parentId) {
        const parent =
          patch.parentId === null
            ? null
            : await load(trx, patch.parentId).catch(
                notFoundAs(
                  () => new ValidationError('The parent location does not exist', { parentId: `no location with id ${patch.parentId}` }),
                ),
              );
        if (parent && parent.path.startsWith(before.path)) {
          throw new ConflictError('A location cannot move under itself or one of its own children');
        }
        const newPath = `${parent?.path ?? '/'}${id}/`;
        changes.parent_id = parent?.id ?? null;
        // Rewrite the prefix of the whole subtree (the node included) in one statement. MySQL's
        // `||` is a logical OR (unless PIPES_AS_CONCAT), so each engine gets its own concatenation.
        const concat = trx.client.config.client === 'better-sqlite3' ? '? || substr(path, ?)' : 'CONCAT(?, SUBSTRING(path, ?))';
        await trx('locations')
          .where('path', 'like', pathPrefixPattern(before.path))
          .update({ path: trx.raw(concat, [newPath, before.path.length + 1]) });
      }
      if (Object.keys(changes).length > 0) {
        await trx('locations')
          .where({ id })
          .update({ ...changes, updated_at: formatUtcDatetime(new Date()) })
          .catch(uniqueCode);
      }
      const after = await load(trx, id);
      await recordAudit(trx, actor, { action: 'update', objectType: 'location', objectId: id, before, after });
      return after;
    },
    TREE,
  );
}

/** What a location holds that its delete must not orphan, worded for the 409 that says what to move first. */
async function holdings(
  db: Knex.Transaction,
  id: number,
  enabledPlugins: readonly string[] | undefined,
): Promise<{ parts: string[]; hiddenPlugins: string[] }> {
  const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
  const total = (rows: Array<{ n: number | string }>) => rows.reduce((sum, row) => sum + Number(row.n), 0);
  const assets = () => db({ a: 'assets' }).where('a.location_id', id);
  const children = total((await db('locations').where({ parent_id: id }).count({ n: '*' })) as Array<{ n: number | string }>);
  const live = (await assets()
    .join({ t: 'asset_types' }, 't.id', 'a.type_id')
    .whereNull('a.deleted_at')
    .groupBy('t.plugin')
    .select({ plugin: 't.plugin' })
    .count({ n: '*' })) as Array<{ plugin: string | null; n: number | string }>;
  const deleted = total((await assets().whereNotNull('a.deleted_at').count({ n: '*' })) as Array<{ n: number | string }>);
  // Assets of a plugin that is not enabled are hidden from every list: name the plugin, or nobody can find them.
  const hidden = (plugin: string | null) => enabledPlugins !== undefined && plugin !== null && !enabledPlugins.includes(plugin);
  const hiddenRows = live.filter((row) => hidden(row.plugin)).sort((x, y) => x.plugin!.localeCompare(y.plugin!));
  const visible = total(live.filter((row) => !hidden(row.plugin)));
  const parts = [
    ...(children > 0 ? [plural(children, 'sub-location')] : []),
    ...(visible > 0 ? [plural(visible, 'asset')] : []),
    ...hiddenRows.map((row) => `${plural(Number(row.n), 'asset')} of the disabled plugin ${row.plugin!}`),
    ...(deleted > 0 ? [`${plural(deleted, 'deleted asset')} (kept for their history)`] : []),
  ];
  return { parts, hiddenPlugins: hiddenRows.map((row) => row.plugin!) };
}

function listed(parts: string[]): string {
  return parts.length <= 1 ? (parts[0] ?? '') : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]!}`;
}

export interface DeleteLocationOptions {
  /** The plugins enabled on the site (the API passes them): assets of any other plugin's types are counted under its name. */
  enabledPlugins?: readonly string[];
}

/** Deletes an empty location; one that still holds something is a 409 saying what, by plugin for assets nobody can see. */
export async function deleteLocation(db: Knex, actor: Actor, id: number, options: DeleteLocationOptions = {}): Promise<void> {
  await inTransaction(
    db,
    async (trx) => {
      const before = await load(trx, id);
      // The foreign keys say whether anything still points here; the counts only word the refusal.
      const refused = await trx('locations')
        .where({ id })
        .delete()
        .then(() => false)
        .catch((error) => {
          if (isForeignKeyViolation(error)) return true;
          throw error;
        });
      if (refused) {
        const { parts, hiddenPlugins } = await holdings(trx, id, options.enabledPlugins);
        throw new ConflictError(
          `Location ${before.code} still holds ${parts.length > 0 ? listed(parts) : 'sub-locations or assets'}; move or delete them first`,
          {
            suggestion:
              hiddenPlugins.length > 0
                ? `Enable ${hiddenPlugins.join(', ')} (shopdb plugin enable <name>) to see and move those assets, or uninstall it with --purge.`
                : 'Move the sub-locations and assets elsewhere (PATCH their parentId / locationId), then delete it.',
          },
        );
      }
      await recordAudit(trx, actor, { action: 'delete', objectType: 'location', objectId: id, before });
    },
    TREE,
  );
}
