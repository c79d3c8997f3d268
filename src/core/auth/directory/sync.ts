// `shopdb ldap sync`: every entry the login filter could match (a paged search: AD hands out
// 1000 entries a page), judged as a login would judge it, against the site's directory users.
// Each becomes one line — create, update, disable, unchanged or skip, with the reason for every
// skip and disable — and, unless it is a dry run, the change is made. A directory user whose entry
// is no longer there is disabled, never deleted.

import type { Knex } from 'knex';
import type { Actor } from '../../audit/log.js';
import { decodeUserRow, type UserRow } from '../../users/rows.js';
import type { RoleName } from '../types.js';
import { applyDirectoryProfile, directoryActor, ldapRefusalOf, shutOutDirectoryUser } from './accounts.js';
import { openServiceConnection } from './client.js';
import { normalizeDn } from './dn.js';
import { judgeEntry } from './evaluate.js';
import { toDirectoryUser, userAttributes } from './lookup.js';
import { unavailable } from './provider.js';
import type { DirectorySettings } from './settings.js';

export type SyncAction = 'create' | 'update' | 'disable' | 'unchanged' | 'skip';

export interface SyncLine {
  username: string | null;
  dn: string | null;
  action: SyncAction;
  role: RoleName | null;
  /** Why it is skipped or disabled, which fields change, or a note (locked out, password expired); null otherwise. */
  reason: string | null;
}

export interface SyncReport {
  dryRun: boolean;
  server: string;
  search: { base: string; filter: string; entries: number };
  counts: Record<SyncAction, number>;
  users: SyncLine[];
}

export interface SyncOptions {
  dryRun: boolean;
  actor?: Actor;
  /** Told after every 100 entries judged (progress on stderr). */
  onProgress?: (judged: number, total: number) => void;
}

/** The login filter with {username} as a presence wildcard: every entry a login could find. */
export function everyUserFilter(template: string): string {
  return template.split('{username}').join('*');
}

export async function syncDirectoryUsers(db: Knex, settings: DirectorySettings, options: SyncOptions): Promise<SyncReport> {
  const actor = options.actor ?? directoryActor();
  const opened = await openServiceConnection(settings);
  if (opened.connection === null) throw unavailable(opened.attempts);
  const { connection } = opened;
  const filter = everyUserFilter(settings.userFilter);
  const lines: SyncLine[] = [];
  let entryCount: number;
  try {
    const { searchEntries } = await connection.client.search(settings.userBaseDn, {
      scope: 'sub',
      filter,
      attributes: userAttributes(settings),
      paged: { pageSize: 500 },
    });
    entryCount = searchEntries.length;
    const rows = ((await db('users').select('*')) as Array<Record<string, unknown>>).map(decodeUserRow);
    const byName = new Map(rows.map((row) => [row.username.toLowerCase(), row]));
    const seen = new Set<string>();

    for (const [index, entry] of searchEntries.entries()) {
      if (index > 0 && index % 100 === 0) options.onProgress?.(index, searchEntries.length);
      const user = toDirectoryUser(settings, entry);
      const row = user.username === null ? undefined : byName.get(user.username.toLowerCase());
      if (user.username !== null) seen.add(user.username.toLowerCase());
      const judged = await judgeEntry(connection.client, settings, user);
      // A lockout or an expired password stops a login, not the account: sync keeps such users
      // (the role they would get is known) and says so; a login refuses them all the same.
      const transient =
        judged.refusal?.code === 'account-state' && judged.accountState !== 'disabled' && judged.rule !== null && judged.requiredGroupMet;
      const verdict = transient ? { ...judged, refusal: null, role: judged.rule!.role } : judged;
      const note = transient ? judged.refusal!.reason : null;
      const line: SyncLine = { username: user.username, dn: user.dn, action: 'skip', role: verdict.role, reason: null };
      if (verdict.refusal?.code === 'unusable-username') line.reason = verdict.refusal.reason;
      else if (row !== undefined && row.auth_source === 'local')
        line.reason = 'a local account has this username (local accounts never sign in through the directory)';
      else if (verdict.refusal !== null) {
        if (row !== undefined && !row.disabled) Object.assign(line, { action: 'disable', reason: verdict.refusal.reason });
        else line.reason = verdict.refusal.reason;
      } else if (row === undefined) Object.assign(line, { action: 'create', reason: note });
      else if (row.disabled && ldapRefusalOf(row) === null)
        line.reason = 'disabled in shopdb by an admin (`shopdb user enable` lets them in again)';
      else {
        const changes = profileChanges(row, { role: verdict.role!, displayName: user.displayName, mail: user.mail, dn: user.dn });
        Object.assign(
          line,
          changes.length > 0
            ? { action: 'update', reason: [...changes, ...(note ? [note] : [])].join(', ') }
            : { action: 'unchanged', reason: note },
        );
      }
      lines.push(line);
      if (options.dryRun) continue;
      if (line.action === 'create' || line.action === 'update') {
        await applyDirectoryProfile(db, actor, {
          username: user.username!,
          dn: user.dn,
          displayName: user.displayName,
          mail: user.mail,
          role: verdict.role!,
        });
      } else if (line.action === 'disable') {
        await shutOutDirectoryUser(db, actor, row!.id, line.reason!);
      }
    }

    for (const row of rows) {
      if (row.auth_source !== 'ldap' || seen.has(row.username.toLowerCase())) continue;
      if (row.disabled) continue;
      const reason = 'the directory entry is gone';
      lines.push({ username: row.username, dn: row.ldap_dn ?? null, action: 'disable', role: null, reason });
      if (!options.dryRun) await shutOutDirectoryUser(db, actor, row.id, reason);
    }
  } finally {
    await connection.close();
  }
  const counts: Record<SyncAction, number> = { create: 0, update: 0, disable: 0, unchanged: 0, skip: 0 };
  for (const line of lines) counts[line.action] += 1;
  return {
    dryRun: options.dryRun,
    server: connection.url,
    search: { base: settings.userBaseDn, filter, entries: entryCount },
    counts,
    users: lines,
  };
}

function profileChanges(row: UserRow, now: { role: RoleName; displayName: string | null; mail: string | null; dn: string }): string[] {
  const changes: string[] = [];
  if (row.role !== now.role) changes.push(`role ${row.role} → ${now.role}`);
  if ((row.display_name ?? null) !== (now.displayName?.slice(0, 191) ?? null)) changes.push('display name');
  if ((row.email ?? null) !== (now.mail?.slice(0, 191) ?? null)) changes.push('mail');
  if (row.ldap_dn == null || normalizeDn(row.ldap_dn) !== normalizeDn(now.dn)) changes.push('DN');
  if (row.disabled) changes.push('enabled again');
  return changes;
}
