// Concurrency suite (MySQL/MariaDB): a notice never ends before it starts, and a dismissal is
// recorded once, when requests race through the real HTTP server (ADR-012).

import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  describeOnEachMysql,
  no5xx,
  race,
  RACERS,
  ROUNDS,
  startLiveApi,
  statusCounts,
  type LiveApi,
} from '../../test/support/concurrency.js';

const base = '/api/plugins/notifications';

describeOnEachMysql('notifications plugin under concurrent requests', (target) => {
  let live: LiveApi;

  beforeAll(async () => {
    live = await startLiveApi(['notifications'], target);
  });
  afterAll(async () => live.close());

  const newNotice = async () => {
    const notice = await live.call(
      'POST',
      `${base}/notices`,
      { title: 'Coolant change', severity: 'warning', targetKind: 'site', startsAt: '2026-12-01T06:00:00.000Z' },
      live.tokens.editor,
    );
    expect(notice.status, JSON.stringify(notice.body)).toBe(201);
    return notice.body.id as number;
  };

  it(`never leaves a notice ending before it starts when ${RACERS} PATCHes race`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const id = await newNotice();

      // Half end it on the 2nd, half start it on the 3rd: each is fine alone.
      const answers = await race(RACERS, (i) =>
        live.call(
          'PATCH',
          `${base}/notices/${id}`,
          i % 2 ? { endsAt: '2026-12-02T06:00:00.000Z' } : { startsAt: '2026-12-03T06:00:00.000Z' },
          live.tokens.editor,
        ),
      );

      no5xx(answers);
      const read = await live.call('GET', `${base}/notices/${id}`, undefined, live.tokens.viewer);
      expect(
        read.body.endsAt === null || Date.parse(read.body.endsAt) > Date.parse(read.body.startsAt),
        `round ${round}: ${JSON.stringify(read.body)}`,
      ).toBe(true);
      expect(answers.filter((a) => a.status === 400).length, `round ${round}`).toBeGreaterThan(0);
    }
  });

  it(`records one dismissal when the same user dismisses a notice ${RACERS} times at once, never a 500`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const id = await newNotice();

      const answers = await race(RACERS, () => live.call('POST', `${base}/notices/${id}/dismiss`, undefined, live.tokens.viewer));

      no5xx(answers);
      expect(Object.keys(statusCounts(answers))).toHaveLength(1);
      expect(await live.api.db('notifications_dismissals').where({ notice_id: id }).select('user_id')).toHaveLength(1);
    }
  });
});
