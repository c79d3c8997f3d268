import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApiSite, makeUser, TEST_PASSWORD, type ApiSite } from '../../../test/support/api.js';
import { runBin, runCommand, type CommandOutput } from '../../../test/support/cli.js';
import { describeEachEngine } from '../../../test/support/site.js';
import { expectNoSecrets } from '../../../test/support/users.js';
import { listAudit } from '../../core/audit/log.js';
import { LOGIN_LIMITS, lockStatus, usernameKey } from '../../core/auth/login-throttle.js';
import { createSession, endSessionBySid, hashSessionId } from '../../core/auth/sessions.js';
import UserLogoutAll from './logout-all.js';
import UserSessions from './sessions.js';
import UserUnlock from './unlock.js';

const WRONG_PASSWORD = 'wrong-guess-of-a-password';
const HOUR_MS = 3_600_000;
const JWT = /eyJ[\w-]+\.[\w-]+\.[\w-]+/;
const SESSION_INFO_KEYS = [
  'createdAt',
  'endedAt',
  'endedReason',
  'expiresAt',
  'id',
  'ip',
  'lastSeenAt',
  'status',
  'userAgent',
  'userId',
  'username',
];

// One API site per engine (the CLI runs against its .env); each test uses its own users and addresses.
describeEachEngine('shopdb user sessions / logout-all / unlock', (engine) => {
  let api: ApiSite;
  let app: FastifyInstance;
  let env: string[];
  beforeAll(async () => {
    api = await createApiSite(engine);
    app = await api.app();
    env = ['--env-file', api.site.envFile];
  });
  afterAll(async () => api?.cleanup());

  // A non-loopback address: the server's own host is never locked out, so it would prove nothing.
  const loginFrom = (remoteAddress: string, username: string, password = TEST_PASSWORD) =>
    app.inject({
      method: 'POST',
      url: '/api/auth/login',
      remoteAddress,
      headers: { 'user-agent': 'shop-floor-tablet' },
      payload: { username, password },
    });
  const tokenFrom = async (remoteAddress: string, username: string): Promise<string> => {
    const response = await loginFrom(remoteAddress, username);
    expect(response.statusCode, response.body).toBe(200);
    return response.json<{ token: string }>().token;
  };
  const me = (token: string) => app.inject({ method: 'GET', url: '/api/auth/me', headers: { authorization: `Bearer ${token}` } });
  const sessionRows = (userId: number) => api.db('sessions').where('user_id', userId).orderBy('id') as Promise<Array<Record<string, any>>>;
  const throttleRows = (username: string) =>
    api
      .db('login_throttle')
      .where('bucket', `user:${usernameKey(username)}`)
      .orWhere('bucket', 'like', `pair:${usernameKey(username)}|%`) as Promise<Array<{ bucket: string }>>;

  /** Neither stream carries a password, a JWT, an API token, a session id or its hash. */
  const expectClean = (output: CommandOutput, secrets: string[] = []) => {
    const text = output.stdout + output.stderr;
    expectNoSecrets(text);
    expect(text).not.toMatch(JWT);
    for (const secret of [TEST_PASSWORD, WRONG_PASSWORD, ...secrets]) expect(text).not.toContain(secret);
  };

  it("lists a user's live sessions with their ids and origin, and nothing secret (in-process --json)", async () => {
    const user = await makeUser(api.db, 'editor');
    const other = await makeUser(api.db, 'viewer');
    const tokens = [await tokenFrom('10.20.0.1', user.username), await tokenFrom('10.20.0.2', user.username)];
    const otherSession = await createSession(api.db, other.id, 3600, { ip: '10.20.9.9' });
    const rows = await sessionRows(user.id);

    const mine = await runCommand(UserSessions, [user.username, ...env, '--json']);
    const everyone = await runCommand(UserSessions, [...env, '--json']);

    expect(mine.exitCode, mine.stderr).toBe(0);
    expect(rows).toHaveLength(2);
    // Newest first; only this user's.
    expect(mine.json.sessions.map((s: { id: number }) => s.id)).toEqual([rows[1]!.id, rows[0]!.id].map(Number));
    expect(mine.json.sessions).toMatchObject([
      { userId: user.id, username: user.username, status: 'active', ip: '10.20.0.2', userAgent: 'shop-floor-tablet', endedAt: null },
      { userId: user.id, username: user.username, status: 'active', ip: '10.20.0.1', userAgent: 'shop-floor-tablet', endedAt: null },
    ]);
    for (const session of mine.json.sessions) expect(Object.keys(session).sort()).toEqual(SESSION_INFO_KEYS);
    expectClean(mine, [...tokens, ...rows.map((row) => String(row.sid_hash))]);
    expect(everyone.exitCode, everyone.stderr).toBe(0);
    expect(everyone.json.sessions.map((s: { id: number }) => s.id)).toEqual(
      expect.arrayContaining([otherSession.id, ...rows.map((row) => Number(row.id))]),
    );
    expectClean(everyone, [otherSession.sid, hashSessionId(otherSession.sid), ...tokens]);
  });

  it('shows only live sessions by default, and ended and expired ones too with --all (bin, --json and table)', async () => {
    const user = await makeUser(api.db, 'viewer');
    // Started two hours ago with a one-hour lifetime: expired, but still kept.
    const expired = await createSession(api.db, user.id, 3600, { ip: '10.21.0.1' }, new Date(Date.now() - 2 * HOUR_MS));
    const ended = await createSession(api.db, user.id, 3600, { ip: '10.21.0.2' });
    const live = await createSession(api.db, user.id, 3600, { ip: '10.21.0.3' });
    // Expired nine days ago: past the seven days kept, so not listed even before pruning drops it.
    await createSession(api.db, user.id, 3600, { ip: '10.21.0.4' }, new Date(Date.now() - 9 * 24 * HOUR_MS));
    expect(await endSessionBySid(api.db, ended.sid, 'logout')).toBe(true);
    const secrets = [expired, ended, live].flatMap((s) => [s.sid, hashSessionId(s.sid)]);

    const liveOnly = await runBin(['user', 'sessions', user.username, ...env, '--json']);
    const all = await runBin(['user', 'sessions', user.username, '--all', ...env, '--json']);
    const table = await runBin(['user', 'sessions', user.username, '--all', ...env]);

    expect(liveOnly.exitCode, liveOnly.stderr).toBe(0);
    expect(liveOnly.json.sessions).toMatchObject([{ id: live.id, status: 'active' }]);
    expect(liveOnly.json.sessions).toHaveLength(1);
    expect(all.exitCode, all.stderr).toBe(0);
    expect(all.json.sessions).toMatchObject([
      { id: live.id, status: 'active', endedReason: null },
      { id: ended.id, status: 'ended', endedReason: 'logout' },
      { id: expired.id, status: 'expired', endedReason: null, endedAt: null },
    ]);
    expect(all.json.sessions).toHaveLength(3);
    expect(table.exitCode, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^ID\s+USER\s+STATUS\s+STARTED \(UTC\)\s+LAST SEEN\s+EXPIRES\s+FROM$/m);
    expect(table.stdout).toMatch(new RegExp(`^${live.id}\\s+${user.username}\\s+active\\s.*\\s10\\.21\\.0\\.3$`, 'm'));
    expect(table.stdout).toMatch(new RegExp(`^${ended.id}\\s+${user.username}\\s+ended \\(logout\\)\\s.*\\s10\\.21\\.0\\.2$`, 'm'));
    expect(table.stdout).toMatch(new RegExp(`^${expired.id}\\s+${user.username}\\s+expired\\s.*\\s10\\.21\\.0\\.1$`, 'm'));
    for (const output of [liveOnly, all, table]) expectClean(output, secrets);
  });

  it('says so when a user has no live sessions (bin, exit 0)', async () => {
    const user = await makeUser(api.db, 'viewer');

    const result = await runBin(['user', 'sessions', user.username, ...env]);

    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`No live sessions for ${user.username}.`);
  });

  it('names an unknown user, with a fix, and exits 1 (in-process --json and bin)', async () => {
    const json = await runCommand(UserSessions, ['ghost', ...env, '--json']);
    const sessions = await runBin(['user', 'sessions', 'ghost', '--all', ...env]);
    const logoutAll = await runBin(['user', 'logout-all', 'ghost', ...env]);
    const logoutAllJson = await runCommand(UserLogoutAll, ['ghost', ...env, '--json']);

    expect(json.exitCode).toBe(1);
    expect(json.json.error).toMatchObject({
      code: 'NOT_FOUND',
      message: 'No user named "ghost"',
      suggestion: expect.stringContaining('shopdb user list'),
    });
    expect(logoutAllJson.exitCode).toBe(1);
    expect(logoutAllJson.json.error).toMatchObject({ code: 'NOT_FOUND', message: 'No user named "ghost"' });
    for (const result of [sessions, logoutAll]) {
      expect(result.exitCode).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain('No user named "ghost"');
      expect(result.stderr).toMatch(/^Fix: .*shopdb user list/m);
    }
  });

  it("logout-all ends every live session of the user, whose JWTs stop working; others' go on (in-process --json)", async () => {
    const user = await makeUser(api.db, 'editor');
    const other = await makeUser(api.db, 'editor');
    const tokens = [await tokenFrom('10.22.0.1', user.username), await tokenFrom('10.22.0.2', user.username)];
    const otherToken = await tokenFrom('10.22.0.3', other.username);
    for (const token of tokens) expect((await me(token)).statusCode).toBe(200);

    const result = await runCommand(UserLogoutAll, [user.username, ...env, '--json']);

    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.json).toEqual({ username: user.username, sessionsEnded: 2 });
    const rows = await sessionRows(user.id);
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row.revoked_at).not.toBeNull();
      expect(row.revoked_reason).toBe('logout-all');
    }
    for (const token of tokens) expect((await me(token)).statusCode).toBe(401);
    expect((await me(otherToken)).statusCode).toBe(200);
    expect((await sessionRows(other.id)).every((row) => row.revoked_at === null)).toBe(true);
    const { results } = await listAudit(api.db, { objectType: 'user', objectId: String(user.id), limit: 10, offset: 0 });
    expect(results.find((entry) => entry.action === 'logout-all')?.username).toMatch(/^cli:/);
    expectClean(result, [...tokens, otherToken]);
  });

  it('logout-all counts only live sessions, and a second run has nothing to end (bin)', async () => {
    const user = await makeUser(api.db, 'viewer');
    const expired = await createSession(api.db, user.id, 3600, {}, new Date(Date.now() - 2 * HOUR_MS));
    const token = await tokenFrom('10.23.0.1', user.username);

    const first = await runBin(['user', 'logout-all', user.username, ...env]);
    const second = await runBin(['user', 'logout-all', user.username, ...env, '--json']);

    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stdout).toBe(`Ended 1 session of ${user.username}.`);
    expect((await me(token)).statusCode).toBe(401);
    const rows = await sessionRows(user.id);
    expect(rows.find((row) => Number(row.id) === expired.id)?.revoked_at).toBeNull();
    expect(rows.find((row) => Number(row.id) !== expired.id)?.revoked_reason).toBe('logout-all');
    expect(second.exitCode, second.stderr).toBe(0);
    expect(second.json).toEqual({ username: user.username, sessionsEnded: 0 });
    for (const output of [first, second]) expectClean(output, [token, expired.sid]);
  });

  it(`unlock clears a username locked from one address after ${LOGIN_LIMITS.perUserAndIp.max} failures; the right password then logs in from there (in-process --json)`, async () => {
    const user = await makeUser(api.db, 'editor');
    const address = '10.24.0.1';
    for (let i = 0; i < LOGIN_LIMITS.perUserAndIp.max; i++)
      expect((await loginFrom(address, user.username, WRONG_PASSWORD)).statusCode).toBe(401);
    // Locked as soon as the limit is reached: the next attempt is the one refused.
    expect(await lockStatus(api.db, user.username)).toEqual({ lockedForSeconds: null, lockedAddresses: [address] });
    // Refused even with the right password: the lock is real before the command runs.
    expect((await loginFrom(address, user.username)).statusCode).toBe(429);
    expect(await lockStatus(api.db, user.username)).toEqual({ lockedForSeconds: null, lockedAddresses: [address] });

    const result = await runCommand(UserUnlock, [user.username, ...env, '--json']);

    expect(result.exitCode, result.stderr).toBe(0);
    // The pair counter and the (stranger-address) username counter.
    expect(result.json).toEqual({
      username: user.username,
      before: { lockedForSeconds: null, lockedAddresses: [address] },
      countersCleared: 2,
      userExists: true,
    });
    expect(await lockStatus(api.db, user.username)).toEqual({ lockedForSeconds: null, lockedAddresses: [] });
    expect(await throttleRows(user.username)).toEqual([]);
    expect((await loginFrom(address, user.username)).statusCode).toBe(200);
    expectClean(result);
  });

  it(`unlock clears a username sprayed from ${LOGIN_LIMITS.perUser.max} addresses, so a new address logs in again (bin)`, async () => {
    const user = await makeUser(api.db, 'admin');
    // One failure per address: under every per-address limit, over the username's.
    for (let i = 0; i < LOGIN_LIMITS.perUser.max; i++)
      expect((await loginFrom(`10.25.${i}.1`, user.username, WRONG_PASSWORD)).statusCode).toBe(401);
    const stranger = '10.25.200.1';
    expect((await loginFrom(stranger, user.username)).statusCode).toBe(429);
    const before = await lockStatus(api.db, user.username);
    expect(before.lockedForSeconds).toBeGreaterThan(60);
    expect(before.lockedAddresses).toEqual([]);

    const result = await runBin(['user', 'unlock', user.username, ...env]);

    expect(result.exitCode, result.stderr).toBe(0);
    // The username counter plus one pair counter per address tried (the stranger's included).
    expect(result.stdout).toMatch(
      new RegExp(
        `^Cleared ${LOGIN_LIMITS.perUser.max + 2} failed-login counters of ${user.username} \\(it was locked for new addresses for \\d+ s more\\)\\.$`,
      ),
    );
    expect(await lockStatus(api.db, user.username)).toEqual({ lockedForSeconds: null, lockedAddresses: [] });
    expect(await throttleRows(user.username)).toEqual([]);
    expect((await loginFrom(stranger, user.username)).statusCode).toBe(200);
    expectClean(result);
  });

  it('unlock clears a sprayed name no user has, with a warning, and says when there is nothing to clear (bin and in-process)', async () => {
    expect((await loginFrom('10.26.0.1', 'no-such-user', WRONG_PASSWORD)).statusCode).toBe(401);
    expect(await throttleRows('no-such-user')).toHaveLength(2);

    const sprayed = await runBin(['user', 'unlock', 'no-such-user', ...env]);
    const nothing = await runCommand(UserUnlock, ['no-such-user', ...env, '--json']);

    expect(sprayed.exitCode, sprayed.stderr).toBe(0);
    expect(sprayed.stderr).toContain('There is no user named "no-such-user"');
    expect(sprayed.stdout).toBe('Cleared 2 failed-login counters of no-such-user.');
    expect(await throttleRows('no-such-user')).toEqual([]);
    expect(nothing.exitCode, nothing.stderr).toBe(0);
    expect(nothing.json).toMatchObject({ username: 'no-such-user', countersCleared: 0, userExists: false });
    for (const output of [sprayed, nothing]) expectClean(output);
  });
});
