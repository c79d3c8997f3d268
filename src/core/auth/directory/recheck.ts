// Keeps signed-in directory users in line with the directory: each user with a live session or
// API token is read again (by DN, else by the login filter) and judged as a login would judge
// them. Disabled there, in no granting group any more, or gone: shut out (disabled here, sessions
// ended, tokens revoked — never deleted). Otherwise role, name and mail follow the directory.
// A directory that cannot be reached changes nothing: it is not a reason to lock everyone out.

import type { Knex } from 'knex';
import { NoSuchObjectError, type Client } from 'ldapts';
import type { Actor } from '../../audit/log.js';
import { encodeValue, formatUtcDatetime } from '../../db/values.js';
import { decodeUserRow, type UserRow } from '../../users/rows.js';
import { applyDirectoryProfile, directoryActor, shutOutDirectoryUser } from './accounts.js';
import { openServiceConnection } from './client.js';
import { judgeEntry } from './evaluate.js';
import { searchUser, toDirectoryUser, userAttributes, type DirectoryUser } from './lookup.js';
import { unavailable } from './provider.js';
import type { DirectorySettings } from './settings.js';

export const RECHECK_ROUND = 'directory-recheck';

export interface RecheckedUser {
  username: string;
  outcome: 'unchanged' | 'updated' | 'shut-out';
  /** shut-out: why; updated: which fields changed. */
  detail: string | null;
}

export interface RecheckReport {
  server: string;
  checked: number;
  unchanged: number;
  updated: number;
  shutOut: number;
  users: RecheckedUser[];
}

export interface RecheckOptions {
  actor?: Actor;
  now?: Date;
}

/** Directory users who can still act: enabled, with a live session or a live API token. */
async function signedInDirectoryUsers(db: Knex, now: Date): Promise<UserRow[]> {
  const at = formatUtcDatetime(now);
  const rows = (await db('users as u')
    .where('u.auth_source', 'ldap')
    .where('u.disabled', encodeValue('boolean', false) as boolean | number)
    .where((q) =>
      q
        .whereExists(
          db('sessions as s').select(db.raw('1')).whereRaw('s.user_id = u.id').whereNull('s.revoked_at').where('s.expires_at', '>', at),
        )
        .orWhereExists(
          db('api_tokens as t')
            .select(db.raw('1'))
            .whereRaw('t.user_id = u.id')
            .whereNull('t.revoked_at')
            .where((w) => w.whereNull('t.expires_at').orWhere('t.expires_at', '>', at)),
        ),
    )
    .select('u.*')
    .orderBy('u.id')) as Array<Record<string, unknown>>;
  return rows.map(decodeUserRow);
}

/** The user's entry now: by the DN last seen, else by the login filter (moved in the tree); null when gone. */
export async function readEntryAgain(
  client: Client,
  settings: DirectorySettings,
  row: Pick<UserRow, 'username' | 'ldap_dn'>,
): Promise<DirectoryUser | null> {
  if (row.ldap_dn) {
    try {
      const { searchEntries } = await client.search(row.ldap_dn, {
        scope: 'base',
        filter: '(objectClass=*)',
        attributes: userAttributes(settings),
      });
      if (searchEntries[0]) return toDirectoryUser(settings, searchEntries[0]);
    } catch (error) {
      if (!(error instanceof NoSuchObjectError)) throw error;
    }
  }
  const search = await searchUser(client, settings, row.username);
  return search.entries.length === 1 ? search.entries[0]! : null;
}

export async function recheckDirectoryUsers(db: Knex, settings: DirectorySettings, options: RecheckOptions = {}): Promise<RecheckReport> {
  const now = options.now ?? new Date();
  const actor = options.actor ?? directoryActor();
  const rows = await signedInDirectoryUsers(db, now);
  const report: RecheckReport = { server: '', checked: 0, unchanged: 0, updated: 0, shutOut: 0, users: [] };
  if (rows.length === 0) return report;

  const opened = await openServiceConnection(settings);
  if (opened.connection === null) throw unavailable(opened.attempts);
  const { connection } = opened;
  report.server = connection.url;
  try {
    for (const row of rows) {
      const entry = await readEntryAgain(connection.client, settings, row);
      let result: RecheckedUser;
      if (entry === null) {
        result = await shutOut(db, actor, row, 'the directory entry is gone', now);
      } else if (entry.username?.toLowerCase() !== row.username.toLowerCase()) {
        result = await shutOut(db, actor, row, `the directory entry is now named ${JSON.stringify(entry.username)}`, now);
      } else {
        const verdict = await judgeEntry(connection.client, settings, entry);
        if (verdict.refusal !== null) result = await shutOut(db, actor, row, verdict.refusal.reason, now);
        else {
          const applied = await applyDirectoryProfile(
            db,
            actor,
            { username: row.username, dn: entry.dn, displayName: entry.displayName, mail: entry.mail, role: verdict.role! },
            now,
          );
          result = {
            username: row.username,
            outcome: applied.changed.length > 0 ? 'updated' : 'unchanged',
            detail: applied.changed.length > 0 ? applied.changed.join(', ') : null,
          };
        }
      }
      report.checked += 1;
      if (result.outcome === 'unchanged') report.unchanged += 1;
      else if (result.outcome === 'updated') report.updated += 1;
      else report.shutOut += 1;
      report.users.push(result);
    }
  } finally {
    await connection.close();
  }
  return report;
}

async function shutOut(db: Knex, actor: Actor, row: UserRow, reason: string, now: Date): Promise<RecheckedUser> {
  await shutOutDirectoryUser(db, actor, row.id, reason, now);
  return { username: row.username, outcome: 'shut-out', detail: reason };
}
