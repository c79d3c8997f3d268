// The directory re-check on LDAP_RECHECK_INTERVAL, inside `serve`: every replica looks a few
// times per interval whether the round is due, and the one whose claim succeeds does it
// (src/core/db/scheduled-rounds.ts), so N replicas re-check once per interval, not N times. A
// round that fails (directory down) changes nothing and is tried again at the next interval.

import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { recheckDirectoryUsers, RECHECK_ROUND } from '../../core/auth/directory/recheck.js';
import type { DirectorySettings } from '../../core/auth/directory/settings.js';
import { claimScheduledRound, finishScheduledRound } from '../../core/db/scheduled-rounds.js';

/** How often a replica looks: a quarter of the interval, between half a second and a minute. */
export function pollIntervalMs(recheckIntervalMs: number): number {
  return Math.min(60_000, Math.max(500, Math.floor(recheckIntervalMs / 4)));
}

async function directoryRecheckPlugin(app: FastifyInstance, options: { settings: DirectorySettings | null }): Promise<void> {
  const { settings } = options;
  if (settings === null) return;
  const holder = `${hostname()}:${process.pid}`;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | null = null;

  const round = async () => {
    if (!app.database.connected) return;
    const db = app.database.get();
    if (!(await db.schema.hasTable('scheduled_rounds'))) return;
    if (!(await claimScheduledRound(db, RECHECK_ROUND, settings.recheckIntervalMs, holder))) return;
    try {
      const report = await recheckDirectoryUsers(db, settings);
      const outcome = `checked ${report.checked}: ${report.updated} updated, ${report.shutOut} shut out`;
      if (report.checked > 0)
        app.log.info({ ...report, users: report.users.filter((u) => u.outcome !== 'unchanged') }, `directory re-check: ${outcome}`);
      await finishScheduledRound(db, RECHECK_ROUND, outcome);
    } catch (error) {
      app.log.warn({ err: error }, 'directory re-check failed; nothing was changed, trying again next interval');
      await finishScheduledRound(db, RECHECK_ROUND, `failed: ${(error as Error).message}`).catch(() => {});
    }
  };

  app.addHook('onReady', async () => {
    timer = setInterval(() => {
      if (running) return;
      running = round()
        .catch((error: unknown) => app.log.warn({ err: error }, 'directory re-check could not run'))
        .finally(() => (running = null));
    }, pollIntervalMs(settings.recheckIntervalMs));
    timer.unref();
  });
  app.addHook('onClose', async () => {
    clearInterval(timer);
    await running;
  });
}

export default fp(directoryRecheckPlugin, { name: 'shopdb-directory-recheck', dependencies: ['shopdb-database'] });
