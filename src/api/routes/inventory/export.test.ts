import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bearer, createApiSite, expectError, makeUser, tokenFor, type ApiSite } from '../../../../test/support/api.js';
import { runCommand } from '../../../../test/support/cli.js';
import { seedTestInventory } from '../../../../test/support/inventory.js';
import { describeEachEngine } from '../../../../test/support/site.js';
import { cliActor } from '../../../core/audit/log.js';
import { seedSite } from '../../../core/seed/index.js';
import ExportAssets from '../../../commands/export/assets.js';
import ImportAssets from '../../../commands/import/assets.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

describeEachEngine('GET /api/assets/export', (engine) => {
  let api: ApiSite;
  let app: FastifyInstance;
  let viewer: Record<string, string>;

  beforeAll(async () => {
    api = await createApiSite(engine);
    await seedSite(api.db, { demo: false, actor: cliActor('test') });
    await seedTestInventory(api.db, cliActor('test'));
    app = await api.app();
    viewer = bearer(await tokenFor(app, (await makeUser(api.db, 'viewer')).username));
  });
  afterAll(async () => api.cleanup());

  it("streams the CLI export's dialect to a viewer (custom fields as custom.<key>), and it imports back with zero changes", async () => {
    const response = await app.inject({ method: 'GET', url: '/api/assets/export?format=csv', headers: viewer });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    const [header, ...rows] = response.body.trimEnd().split('\n');
    expect(header).toBe(
      'asset_tag,name,type,status,location,manufacturer,model,serial,hostname,notes,custom.controller,custom.criticality,custom.ip,custom.machine_number,custom.os,custom.queue',
    );
    expect(rows).toHaveLength(10);
    expect(rows[0]).toBe(
      'CNC-4012,DMU 65 #1,equipment,In service,P7-B1-BAY1,DMG MORI,DMU 65 monoBLOCK,DM65-2019-0412,,,Siemens,high,,4012,,',
    );

    const cli = await runCommand(ExportAssets, ['--env-file', api.site.envFile]);
    expect(cli.stdout).toBe(response.body);
    const file = join(api.site.dir, 'api-export.csv');
    writeFileSync(file, response.body);
    const planned = await runCommand(ImportAssets, [file, '--dry-run', '--json', '--env-file', api.site.envFile]);
    expect(planned.exitCode, planned.stderr).toBe(0);
    expect(planned.json.plan).toMatchObject({ create: 0, update: 0, unchanged: 10, conflicts: 0 });
  });

  it("takes the list's filters, JSON Lines, and refuses without a login or with a bad format", async () => {
    const pcs = await app.inject({ method: 'GET', url: '/api/assets/export?format=jsonl&type=computer&search=PC-40', headers: viewer });
    expect(pcs.statusCode).toBe(200);
    const lines = pcs.body
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.asset_tag)).toEqual(['PC-4012', 'PC-4013', 'PC-4020']);
    expect(lines[0]).toMatchObject({ type: 'computer', 'custom.os': 'Windows 10 IoT Enterprise LTSC', hostname: 'dnc-4012' });
    expectError(await app.inject({ method: 'GET', url: '/api/assets/export' }), 401);
    expectError(await app.inject({ method: 'GET', url: '/api/assets/export?format=xlsx', headers: viewer }), 400);
    const doc = (await app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    expect(doc.paths['/api/assets/export'].get.summary).toMatch(/^Export assets as CSV or JSON Lines/);
  });
});
