// Concurrency suite (MySQL/MariaDB): the last enabled admin survives admins who disable and demote
// each other at the same moment through the real HTTP server. Every such write serialises on
// `users:admins` (ADR-012), so the last one standing is refused (409) instead of each request
// seeing "another admin is left" in its own snapshot and all of them committing.

import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  describeOnEachMysql,
  no5xx,
  race,
  RACERS,
  ROUNDS,
  startLiveApi,
  statusCounts,
  unique,
  type LiveApi,
} from '../../../test/support/concurrency.js';
import { makeUser, TEST_PASSWORD } from '../../../test/support/api.js';
import { cliActor } from '../../core/audit/log.js';
import { setUserDisabled } from '../../core/users/service.js';

const actor = cliActor('concurrency-test');

describeOnEachMysql('the last enabled admin under concurrent requests', (target) => {
  let live: LiveApi;

  beforeAll(async () => {
    live = await startLiveApi([], target);
  });
  afterAll(async () => live.close());

  async function enabledAdminIds(): Promise<number[]> {
    const rows = (await live.api.db('users').where({ role: 'admin', disabled: false }).select('id')) as Array<{ id: number }>;
    return rows.map((row) => Number(row.id));
  }

  /** `count` fresh admins, logged in, and every other admin of the site disabled: they are the last ones. */
  async function lastAdmins(count: number): Promise<Array<{ id: number; token: string }>> {
    const admins: Array<{ id: number; token: string }> = [];
    for (let i = 0; i < count; i++) {
      const user = await makeUser(live.api.db, 'admin', unique('adm'));
      const answer = await live.call('POST', '/api/auth/login', { username: user.username, password: TEST_PASSWORD });
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      admins.push({ id: user.id, token: answer.body.token as string });
    }
    const fresh = new Set(admins.map((admin) => admin.id));
    const others = (await live.api.db('users').where({ role: 'admin', disabled: false }).select('id', 'username')) as Array<{
      id: number;
      username: string;
    }>;
    for (const other of others.filter((row) => !fresh.has(Number(row.id))))
      await setUserDisabled(live.api.db, actor, other.username, true, { force: true });
    expect((await enabledAdminIds()).sort()).toEqual([...fresh].sort());
    return admins;
  }

  it('lets only one of the last two admins disable the other', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const [a, b] = await lastAdmins(2);

      const answers = await race(2, (i) => {
        const [actorAdmin, targetAdmin] = i === 0 ? [a!, b!] : [b!, a!];
        return live.call('POST', `/api/users/${targetAdmin.id}/disable`, undefined, actorAdmin.token);
      });

      no5xx(answers);
      const counts = statusCounts(answers);
      expect(counts[200], `round ${round}: ${JSON.stringify(answers)}`).toBe(1);
      // The loser is refused as the last admin, or — when its session ended first — not let in at all.
      expect((counts[409] ?? 0) + (counts[401] ?? 0), `round ${round}`).toBe(1);
      for (const refused of answers.filter((answer) => answer.status === 409)) expect(refused.body.error.code).toBe('LAST_ENABLED_ADMIN');
      expect(await enabledAdminIds(), `round ${round}`).toHaveLength(1);
    }
  });

  it(`keeps one enabled admin when ${RACERS} admins disable or demote each other in a ring`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const admins = await lastAdmins(RACERS);

      // Admin i takes out admin i+1: even ones disable, odd ones demote to editor.
      const answers = await race(RACERS, (i) => {
        const targetAdmin = admins[(i + 1) % RACERS]!;
        return i % 2 === 0
          ? live.call('POST', `/api/users/${targetAdmin.id}/disable`, undefined, admins[i]!.token)
          : live.call('PATCH', `/api/users/${targetAdmin.id}`, { role: 'editor' }, admins[i]!.token);
      });

      no5xx(answers);
      const remaining = await enabledAdminIds();
      expect(remaining, `round ${round}: ${JSON.stringify(statusCounts(answers))}`).toHaveLength(1);
      expect(
        Object.keys(statusCounts(answers)).every((status) => ['200', '401', '409'].includes(status)),
        JSON.stringify(statusCounts(answers)),
      ).toBe(true);
      expect(statusCounts(answers)[200], `round ${round}`).toBe(RACERS - 1);
    }
  }, 300_000);
});
