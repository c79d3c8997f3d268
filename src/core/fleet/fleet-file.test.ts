// The fleet file: what add and remove write (0600, whole files only, no temp left behind), what
// they refuse, and how a damaged file is reported (a configuration error naming FLEET_FILE).

import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/site.js';
import { ConfigError, ConflictError, ExitCode, NotFoundError, ValidationError } from '../errors.js';
import { addFleetSite, lastKnownStorePath, readFleetFile, removeFleetSite } from './fleet-file.js';

const TOKEN = `shopdb_${'A'.repeat(43)}`;

describe('fleet file', () => {
  it('is written 0600 with each site, and add/remove leave no temp file beside it', async () => {
    const dir = tempDir('shopdb-fleet-');
    const fleetFile = join(dir, 'fleet.json');

    const listed = await addFleetSite({ fleetFile, name: 'plant-2', url: 'https://shopdb.plant2.example/', token: `${TOKEN}\n` });
    await addFleetSite({ fleetFile, name: 'plant-3', url: 'http://10.3.0.5:3000', token: TOKEN });
    await removeFleetSite(fleetFile, 'plant-2');

    expect(listed).toEqual({
      name: 'plant-2',
      url: 'https://shopdb.plant2.example',
      tokenPrefix: TOKEN.slice(0, 12),
      addedAt: expect.any(String),
    });
    expect(statSync(fleetFile).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['fleet.json']);
    const { sites, warnings } = await readFleetFile(fleetFile);
    expect(sites).toEqual([{ name: 'plant-3', url: 'http://10.3.0.5:3000', token: TOKEN, addedAt: expect.any(String) }]);
    expect(warnings).toEqual([]);
    expect(JSON.parse(readFileSync(fleetFile, 'utf8'))).toMatchObject({ format: 'shopdb-fleet', version: 1 });
    expect(lastKnownStorePath(fleetFile)).toBe(join(dir, 'fleet.last-known.sqlite'));
  });

  it('refuses a bad name, URL or token all at once, a duplicate name, and removing an unknown site', async () => {
    const fleetFile = join(tempDir('shopdb-fleet-'), 'fleet.json');
    await addFleetSite({ fleetFile, name: 'plant-2', url: 'http://127.0.0.1:1', token: TOKEN });

    const bad = await addFleetSite({ fleetFile, name: '-x', url: 'https://user:pw@host/shopdb', token: 'secret' }).catch(
      (error: unknown) => error,
    );
    const duplicate = await addFleetSite({ fleetFile, name: 'plant-2', url: 'http://127.0.0.1:2', token: TOKEN }).catch(
      (error: unknown) => error,
    );
    const unknown = await removeFleetSite(fleetFile, 'plant-9').catch((error: unknown) => error);

    expect(bad).toBeInstanceOf(ValidationError);
    expect(Object.keys((bad as ValidationError).fields).sort()).toEqual(['name', 'token', 'url']);
    expect(JSON.stringify(bad)).not.toContain('secret');
    expect(duplicate).toBeInstanceOf(ConflictError);
    expect(unknown).toBeInstanceOf(NotFoundError);
  });

  it('reports a damaged or foreign file as a configuration error (exit 2) naming FLEET_FILE, and warns about a readable one', async () => {
    const dir = tempDir('shopdb-fleet-');
    const fleetFile = join(dir, 'fleet.json');
    for (const content of [
      '{"sites": [',
      '{"format": "something-else"}',
      '{"format": "shopdb-fleet", "version": 9, "sites": []}',
      '{"format": "shopdb-fleet", "version": 1, "sites": [{"name": "a", "url": "ftp://x", "token": "t"}]}',
    ]) {
      writeFileSync(fleetFile, content, { mode: 0o600 });

      const error = await readFleetFile(fleetFile).catch((e: unknown) => e);

      expect(error, content).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).exitCode).toBe(ExitCode.USAGE);
      expect((error as ConfigError).problems[0]!.variable).toBe('FLEET_FILE');
    }
    writeFileSync(join(dir, 'open.json'), JSON.stringify({ format: 'shopdb-fleet', version: 1, sites: [] }), { mode: 0o644 });
    expect((await readFleetFile(join(dir, 'open.json'))).warnings[0]).toContain('chmod 600');
  });

  it("says which setting to fix when the fleet file's folder is missing", async () => {
    const fleetFile = join(tempDir('shopdb-fleet-'), 'no-such-folder', 'fleet.json');

    const error = await addFleetSite({ fleetFile, name: 'plant-2', url: 'http://127.0.0.1:1', token: TOKEN }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems[0]!.variable).toBe('FLEET_FILE');
  });

  it('keeps every site when several adds run at once, and takes over the lock of a writer that died', async () => {
    const dir = tempDir('shopdb-fleet-');
    const fleetFile = join(dir, 'fleet.json');
    writeFileSync(`${fleetFile}.lock`, JSON.stringify({ pid: 2 ** 22 + 7, host: hostname(), processStart: null }));
    writeFileSync(join(dir, `.fleet.json.${2 ** 22 + 7}.0123abcd.tmp`), 'half a fleet file, with a token');

    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        addFleetSite({ fleetFile, name: `plant-${i}`, url: `http://127.0.0.1:${1000 + i}`, token: TOKEN }),
      ),
    );

    expect((await readFleetFile(fleetFile)).sites.map((s) => s.name).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `plant-${i}`));
    expect(readdirSync(dir)).toEqual(['fleet.json']);
  });
});
