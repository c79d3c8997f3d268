// A third-party plugin package that imports `shopdb/sdk` (test/fixtures/plugin-package-sdk:
// plain ESM JavaScript whose migration uses the SDK's schema helpers and whose routes throw the
// SDK's error classes). It sits in local-plugins/ of a site under the system temp folder, where no
// copy of shopdb is on Node's resolution path, and is driven through the real binary and a real
// `shopdb serve`: it installs only if `shopdb/sdk` resolves, and its errors keep their HTTP status
// only if they are this shopdb's own classes.

import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../src/core/paths.js';
import { TEST_JWT_SECRET, TEST_PASSWORD, makeUser } from './support/api.js';
import { runBin } from './support/cli.js';
import { callReplica, startServeReplica, stopServeReplica, type ServeReplica } from './support/replicas.js';
import { createSite, withSiteDb, type TestSite } from './support/site.js';

const FIXTURE = join(packageRoot, 'test', 'fixtures', 'plugin-package-sdk', 'shopdb-plugin-torque');

describe('a plugin package that imports shopdb/sdk, outside the source tree [sqlite]', () => {
  let site: TestSite;
  let serve: ServeReplica | undefined;

  beforeAll(async () => {
    site = await createSite('sqlite', { JWT_SECRET: TEST_JWT_SECRET, COOKIE_SECURE: 'false', LOG_LEVEL: 'warn' });
    expect(site.dir.startsWith(packageRoot)).toBe(false);
    mkdirSync(join(site.dir, 'local-plugins'), { recursive: true });
    cpSync(FIXTURE, join(site.dir, 'local-plugins', 'shopdb-plugin-torque'), { recursive: true });
    const migrated = await runBin(['migrate', '--env-file', site.envFile]);
    expect(migrated.exitCode, migrated.stderr).toBe(0);
  });
  afterAll(async () => {
    if (serve) await stopServeReplica(serve);
    await site?.cleanup();
  });

  it("installs through bin/run.js: its migration ran the SDK's createTable", async () => {
    const installed = await runBin(['plugin', 'install', 'torque', '--json', '--env-file', site.envFile]);

    expect(installed.exitCode, installed.stderr).toBe(0);
    expect(installed.json.plugins).toEqual([
      { name: 'torque', version: '0.3.0', action: 'installed', migrations: ['20260201A-create-torque-wrenches'] },
    ]);
    const columns = await withSiteDb(site, async (db) => Object.keys(await db('torque_wrenches').columnInfo()).sort());
    expect(columns).toEqual(['created_at', 'id', 'label', 'newton_metres', 'updated_at']);
  });

  it("serves its routes; the SDK's NotFoundError and ValidationError answer 404 and 400, not 500", async () => {
    const editor = await withSiteDb(site, (db) => makeUser(db, 'editor'));
    serve = await startServeReplica('torque', site.envFile);
    const session = await callReplica(serve, 'POST', '/api/auth/login', { body: { username: editor.username, password: TEST_PASSWORD } });
    expect(session.status, JSON.stringify(session.body)).toBe(200);
    const token = session.body.token as string;

    const created = await callReplica(serve, 'POST', '/api/plugins/torque/wrenches', { token, body: { label: 'TW-40', newtonMetres: 40 } });
    const read = await callReplica(serve, 'GET', `/api/plugins/torque/wrenches/${created.body.id}`, { token });
    const missing = await callReplica(serve, 'GET', '/api/plugins/torque/wrenches/9999', { token });
    const refused = await callReplica(serve, 'POST', '/api/plugins/torque/wrenches', { token, body: { label: 'TW-0', newtonMetres: 0 } });

    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(read.body).toEqual({ id: created.body.id, label: 'TW-40', newtonMetres: 40 });
    expect(missing.status, JSON.stringify(missing.body)).toBe(404);
    expect(missing.body.error).toMatchObject({ code: 'NOT_FOUND', message: 'No torque wrench has id 9999' });
    expect(refused.status, JSON.stringify(refused.body)).toBe(400);
    expect(refused.body.error).toMatchObject({ code: 'VALIDATION_FAILED', fields: { newtonMetres: 'must be above zero' } });
    const audited = await withSiteDb(site, (db) => db('audit_log').where({ object_type: 'torque.wrench' }).count({ n: '*' }).first());
    expect(Number(audited?.n)).toBe(1);
  });
});
