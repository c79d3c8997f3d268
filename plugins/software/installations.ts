// Installations of a title on a computer asset, each taking a seat of its licence when it names
// one; a deleted computer gives its installations (and seats) up.

import type { Knex } from 'knex';
import {
  assetLockKey,
  decodeRow,
  inTransaction,
  isUniqueViolation,
  recordAudit,
  ConflictError,
  NotFoundError,
  ValidationError,
  type Actor,
  type AssetView,
  type Db,
} from 'shopdb/sdk';
import { COMPUTER_TYPE, countOf, dateOnly, dayOf, licenceLockKey, TIMES, type Row } from './common.js';
import { getTitle } from './licences.js';

export interface Installation {
  id: number;
  title: { id: number; name: string; vendor: string | null; version: string };
  asset: { id: number; assetTag: string; name: string; hostname: string | null };
  licenceId: number | null;
  installedOn: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface InstallationInput {
  titleId: number;
  assetId: number;
  licenceId?: number | null;
  /** YYYY-MM-DD; defaults to today. */
  installedOn?: string;
}

function selectInstallations(db: Db): Knex.QueryBuilder {
  return db({ i: 'software_installations' })
    .join({ t: 'software_titles' }, 't.id', 'i.title_id')
    .join({ a: 'assets' }, 'a.id', 'i.asset_id')
    .select('i.*', {
      title_name: 't.name',
      title_vendor: 't.vendor',
      title_version: 't.version',
      asset_tag: 'a.asset_tag',
      asset_name: 'a.name',
      asset_hostname: 'a.hostname',
    });
}

function toInstallation(raw: Row): Installation {
  const row = decodeRow<Row>(TIMES, raw);
  return {
    id: Number(row.id),
    title: {
      id: Number(row.title_id),
      name: row.title_name as string,
      vendor: (row.title_vendor as string | null) ?? null,
      version: row.title_version as string,
    },
    asset: {
      id: Number(row.asset_id),
      assetTag: row.asset_tag as string,
      name: row.asset_name as string,
      hostname: (row.asset_hostname as string | null) ?? null,
    },
    licenceId: row.licence_id === null ? null : Number(row.licence_id),
    installedOn: dateOnly(row.installed_on)!,
    createdAt: row.created_at as Date,
    updatedAt: row.updated_at as Date,
  };
}

async function loadInstallation(db: Db, id: number): Promise<Installation> {
  const row = (await selectInstallations(db).where('i.id', id).first()) as Row | undefined;
  if (!row) throw new NotFoundError(`There is no installation with id ${id}`);
  return toInstallation(row);
}

/** The type key of a live asset, or undefined when there is none with that id. */
async function assetTypeOf(db: Db, assetId: number): Promise<string | undefined> {
  const row = (await db({ a: 'assets' })
    .join({ t: 'asset_types' }, 't.id', 'a.type_id')
    .where('a.id', assetId)
    .whereNull('a.deleted_at')
    .first({ key: 't.key' })) as Row | undefined;
  return row?.key as string | undefined;
}

/** Installs a title on a computer, taking a seat of the licence given (409 when it has none free). */
export async function createInstallation(db: Db, actor: Actor, input: InstallationInput, now = new Date()): Promise<Installation> {
  return inTransaction(
    db,
    async (trx) => {
      const fields: Record<string, string> = {};
      if (!(await trx('software_titles').where({ id: input.titleId }).first('id')))
        fields.titleId = `no software title with id ${input.titleId}`;
      const type = await assetTypeOf(trx, input.assetId);
      if (type === undefined) fields.assetId = `no asset with id ${input.assetId}`;
      else if (type !== COMPUTER_TYPE) fields.assetId = `must be a computer (asset ${input.assetId} is of type ${type})`;
      let licence: Row | undefined;
      if (input.licenceId != null) {
        licence = (await trx('software_licences').where({ id: input.licenceId }).first('id', 'title_id', 'seats')) as Row | undefined;
        if (!licence) fields.licenceId = `no licence with id ${input.licenceId}`;
        else if (fields.titleId === undefined && Number(licence.title_id) !== input.titleId)
          fields.licenceId = `is a licence of another title (title ${Number(licence.title_id)})`;
      }
      if (Object.keys(fields).length > 0) throw new ValidationError('The installation is not valid', fields);

      if (licence) {
        const used = await countOf(trx('software_installations').where({ licence_id: licence.id }));
        if (used >= Number(licence.seats)) {
          throw new ConflictError(`Licence ${Number(licence.id)} has all its ${Number(licence.seats)} seats in use`, {
            suggestion: 'Remove an installation that uses it, or record a licence with more seats.',
          });
        }
      }
      const [id] = await trx('software_installations')
        .insert({
          title_id: input.titleId,
          asset_id: input.assetId,
          licence_id: input.licenceId ?? null,
          installed_on: input.installedOn ?? dayOf(now),
        })
        .catch((error: unknown) => {
          if (isUniqueViolation(error)) throw new ConflictError('That title is already installed on that computer', { cause: error });
          throw error;
        });
      const created = await loadInstallation(trx, Number(id));
      await recordAudit(trx, actor, { action: 'create', objectType: 'software.installation', objectId: created.id, after: created });
      return created;
      // The keys are taken before anything is read: the seat count above sees every installation
      // committed before this one, on any replica, and the computer cannot be deleted (freeing its
      // seats) between the check that it is live and the insert.
    },
    { serializeOn: [assetLockKey(input.assetId), ...(input.licenceId == null ? [] : [licenceLockKey(input.licenceId)])] },
  );
}

export async function deleteInstallation(db: Db, actor: Actor, id: number): Promise<void> {
  await inTransaction(db, async (trx) => {
    const before = await loadInstallation(trx, id);
    await trx('software_installations').where({ id }).delete();
    await recordAudit(trx, actor, { action: 'delete', objectType: 'software.installation', objectId: id, before });
  });
}

/** What is installed on a computer (404 when the asset is not a live computer). */
export async function listComputerSoftware(db: Db, assetId: number): Promise<Installation[]> {
  if ((await assetTypeOf(db, assetId)) !== COMPUTER_TYPE) throw new NotFoundError(`There is no computer with id ${assetId}`);
  const rows = (await selectInstallations(db).where('i.asset_id', assetId).orderByRaw('lower(t.name), lower(t.version), i.id')) as Row[];
  return rows.map(toInstallation);
}

/** The live computers a title is installed on. */
export async function listTitleInstallations(db: Db, titleId: number): Promise<Installation[]> {
  await getTitle(db, titleId);
  const rows = (await selectInstallations(db)
    .where('i.title_id', titleId)
    .whereNull('a.deleted_at')
    .orderByRaw('lower(a.asset_tag), i.id')) as Row[];
  return rows.map(toInstallation);
}

/**
 * A computer that is deleted (soft: the row stays for history) runs nothing any more: its
 * installations go, freeing their licence seats. Runs in the deleting transaction.
 */
export async function releaseInstallations(db: Db, actor: Actor, asset: AssetView): Promise<void> {
  if (asset.type.key !== COMPUTER_TYPE) return;
  const rows = (await selectInstallations(db).where('i.asset_id', asset.id)) as Row[];
  for (const installation of rows.map(toInstallation)) {
    await db('software_installations').where({ id: installation.id }).delete();
    await recordAudit(db, actor, {
      action: 'delete',
      objectType: 'software.installation',
      objectId: installation.id,
      before: installation,
    });
  }
}
