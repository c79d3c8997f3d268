// Doctor check for the fleet roll-up (ADR-021): when each live summary:read token was last used.
// A central instance polls every few minutes, so a token unused for days means its poller stopped
// (or the token is a leftover to revoke); either way somebody should look.

import { listApiTokens, SUMMARY_SCOPE } from '../auth/api-tokens.js';
import type { DoctorCheck } from './registry.js';

/** Unused this long, a summary token is reported as a warning. */
export const SUMMARY_TOKEN_IDLE_DAYS = 7;

const ago = (ms: number) =>
  ms < 3_600_000
    ? `${Math.round(ms / 60_000)} min ago`
    : ms < 172_800_000
      ? `${Math.round(ms / 3_600_000)} h ago`
      : `${Math.round(ms / 86_400_000)} days ago`;

export const summaryTokensCheck: DoctorCheck = {
  id: 'summary-tokens',
  title: 'Fleet summary tokens (summary:read) last used',
  // Not a pre-flight of anything: shown by a plain `shopdb doctor`.
  tags: [],
  async run(context) {
    if (!context.config) return { status: 'skip', message: 'skipped: the configuration did not load' };
    const db = await context.database();
    if (!(await db.schema.hasTable('api_tokens'))) return { status: 'skip', message: 'no core schema yet' };
    const now = Date.now();
    const tokens = (await listApiTokens(db)).filter((t) => t.scope === SUMMARY_SCOPE && t.status === 'active');
    if (tokens.length === 0) return { status: 'skip', message: 'none: no fleet pulls from this site' };
    const data = {
      tokens: tokens.map((t) => ({
        id: t.id,
        prefix: t.prefix,
        name: t.name,
        username: t.username,
        lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
      })),
    };
    const lines = tokens.map(
      (t) => `${t.prefix}… ${t.name} (${t.username}): ${t.lastUsedAt ? `last used ${ago(now - t.lastUsedAt.getTime())}` : 'never used'}`,
    );
    const idle = tokens.filter((t) => now - (t.lastUsedAt ?? t.createdAt).getTime() > SUMMARY_TOKEN_IDLE_DAYS * 86_400_000);
    const message = `${tokens.length} live\n${lines.join('\n')}`;
    if (idle.length > 0) {
      return {
        status: 'warn',
        message,
        suggestion: `${idle.map((t) => t.prefix).join(', ')} unused for over ${SUMMARY_TOKEN_IDLE_DAYS} days: check the central instance's \`shopdb fleet status\`, or revoke it (\`shopdb user token revoke <id>\`).`,
        data,
      };
    }
    return { status: 'pass', message, data };
  },
};
