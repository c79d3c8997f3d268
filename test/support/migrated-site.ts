// The set-up most database suites share: a throwaway site on one engine, migrated, optionally
// seeded, with bundled plugins installed, users made through the user service, and an app whose
// session tokens those users hold. `useMigratedSite` registers it as the suite's beforeAll and
// afterAll; `createMigratedTestSite` makes one inside a test (the caller cleans it up).

import type { FastifyInstance } from 'fastify';
import type { Knex } from 'knex';
import { afterAll, beforeAll } from 'vitest';
import type { BuildAppOptions } from '../../src/api/app.js';
import type { RoleName } from '../../src/core/auth/types.js';
import type { PluginCatalog } from '../../src/core/plugins/catalog.js';
import { seedSite, type SeedResult } from '../../src/core/seed/index.js';
import { bearer, createApiSite, makeUser, tokenFor, type ApiSite } from './api.js';
import { TEST_ACTOR } from './core-access.js';
import { bundledCatalog, installTestPlugins, setTestPluginEnabled } from './plugins.js';
import type { CreateSiteOptions, EngineName, TestSite } from './site.js';

export interface MigratedSiteOptions {
  /** .env lines over the API site's own (JWT secret, COOKIE_SECURE=false, LOG_LEVEL=silent). */
  env?: Record<string, string>;
  mysqlServer?: CreateSiteOptions['mysqlServer'];
  /** The core seed, run before the plugins are installed: roles and status labels, or the demo site. */
  seed?: 'base' | 'demo';
  /** Plugins to install (with what they depend on), after the seed. */
  plugins?: string[];
  /** The plugins this site can have (install, seed, app); the bundled ones by default. */
  catalog?: PluginCatalog;
  /** Users to make, one per role: `true` for a generated username, or the username. */
  users?: Partial<Record<RoleName, true | string>>;
  /** An app over the site's pool (bundled plugin catalog unless given); the users log in through it. */
  app?: boolean | Partial<BuildAppOptions>;
}

export interface SiteUser {
  id: number;
  username: string;
}

export interface MigratedSite {
  engine: EngineName;
  site: TestSite;
  /** The suite's pool (closed at clean-up). */
  db: Knex;
  /** Build further apps over the same pool: `api.app(options)`. */
  api: ApiSite;
  /** Throws when the options asked for no app. */
  app: FastifyInstance;
  /** The users asked for, by role. */
  user: Record<RoleName, SiteUser>;
  /** `Authorization: Bearer` headers of each user's session on `app`, by role. */
  as: Record<RoleName, Record<string, string>>;
  /** The id of the "In service" status label (a seeded site only). */
  inService: number;
  /** Runs the core seed (and the installed plugins' seeds) again. */
  seed(kind: 'base' | 'demo'): Promise<SeedResult>;
  /** Disables or enables an installed plugin and drops `app`'s cached plugin state, as a running server sees it. */
  setPluginEnabled(name: string, enabled: boolean): Promise<void>;
  cleanup(): Promise<void>;
}

const seedOf = (db: Knex, kind: 'base' | 'demo', catalog: PluginCatalog) =>
  seedSite(db, { demo: kind === 'demo', actor: TEST_ACTOR, catalog });

/** Makes the site now; the caller calls `cleanup()`. */
export async function createMigratedTestSite(engine: EngineName, options: MigratedSiteOptions = {}): Promise<MigratedSite> {
  const api = await createApiSite(engine, options.env ?? {}, { mysqlServer: options.mysqlServer });
  try {
    const { db } = api;
    const catalog = options.catalog ?? (await bundledCatalog());
    if (options.seed) await seedOf(db, options.seed, catalog);
    if (options.plugins?.length) await installTestPlugins(db, options.plugins, catalog);
    let app: FastifyInstance | undefined;
    if (options.app) app = await api.app({ pluginCatalog: catalog, ...(options.app === true ? {} : options.app) });
    const user = {} as Record<RoleName, SiteUser>;
    const as = {} as Record<RoleName, Record<string, string>>;
    for (const [role, name] of Object.entries(options.users ?? {}) as Array<[RoleName, true | string]>) {
      user[role] = await makeUser(db, role, name === true ? undefined : name);
      if (app) as[role] = bearer(await tokenFor(app, user[role].username));
    }
    const inService = options.seed ? Number((await db('status_labels').where({ name: 'In service' }).first('id')).id) : NaN;
    return {
      engine,
      site: api.site,
      db,
      api,
      get app(): FastifyInstance {
        if (!app) throw new Error('createMigratedTestSite: no app was asked for (options.app)');
        return app;
      },
      user,
      as,
      inService,
      seed: (kind) => seedOf(db, kind, catalog),
      async setPluginEnabled(name, enabled) {
        await setTestPluginEnabled(db, name, enabled, catalog);
        app?.plugins.invalidate();
      },
      cleanup: () => api.cleanup(),
    };
  } catch (error) {
    await api.cleanup();
    throw error;
  }
}

/**
 * The suite's site: made in a beforeAll registered here (so before the suite's own, which may
 * use it), removed in an afterAll. Read its fields inside tests and hooks only.
 */
export function useMigratedSite(engine: EngineName, options: MigratedSiteOptions = {}): MigratedSite {
  let current: MigratedSite | undefined;
  beforeAll(async () => {
    current = await createMigratedTestSite(engine, options);
  });
  afterAll(async () => {
    await current?.cleanup();
    current = undefined;
  });
  const site = (): MigratedSite => {
    if (!current) throw new Error('useMigratedSite: the site exists inside tests and hooks only, once its beforeAll has run');
    return current;
  };
  return {
    engine,
    get site() {
      return site().site;
    },
    get db() {
      return site().db;
    },
    get api() {
      return site().api;
    },
    get app() {
      return site().app;
    },
    get user() {
      return site().user;
    },
    get as() {
      return site().as;
    },
    get inService() {
      return site().inService;
    },
    seed: (kind) => site().seed(kind),
    setPluginEnabled: (name, enabled) => site().setPluginEnabled(name, enabled),
    cleanup: () => site().cleanup(),
  };
}
