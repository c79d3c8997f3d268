// The core doctor checks. Each is small and independent; the order here is the order shown.

import { directoryCheck } from './directory-check.js';
import { accessSync, constants, statfsSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { allConfigProblems, configProblems, ConfigLoadError } from '../config/index.js';
import { describeTarget, databaseTargetFromConfig, serverVersion } from '../db/connect.js';
import { cliActor } from '../audit/log.js';
import { migrationStatus } from '../migrations/service.js';
import { siteMigrationSources } from '../migrations/sources.js';
import { catalogOptionsFromConfig, loadPluginCatalog } from '../plugins/catalog.js';
import { installedPluginSources } from '../plugins/service.js';
import { listPlugins } from '../plugins/listing.js';
import { DoctorRegistry, type CheckOutcome, type DoctorCheck, type DoctorContext } from './registry.js';
import { readClusterNodeState } from '../db/cluster.js';
import { readSchemaLock } from '../migrations/schema-lock.js';
import { interruptedRestoreCheck } from './restore-check.js';
import { schemaMatchesRecordsCheck } from './schema-check.js';
import { ensureUsableDirectory } from '../fs/guarded.js';
import { backupCopyDirCheck, optionFileLeftoversCheck, scratchSchemaLeftoversCheck } from './backup-checks.js';
import { summaryTokensCheck } from './summary-token-check.js';
import { zabbixCheck } from './zabbix-check.js';

const MIN_NODE = [20, 19] as const;
const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

function skippedForConfig(context: DoctorContext): CheckOutcome | undefined {
  return context.config ? undefined : { status: 'skip', message: 'skipped: the configuration did not load' };
}

export const nodeVersionCheck: DoctorCheck = {
  id: 'node-version',
  title: 'Node.js version',
  tags: ['install', 'start', 'update'],
  async run() {
    const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
    const ok = major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
    return ok
      ? { status: 'pass', message: `Node.js ${process.versions.node}` }
      : {
          status: 'fail',
          message: `Node.js ${process.versions.node} is too old`,
          suggestion: `Install Node.js ${MIN_NODE.join('.')} or newer (an LTS release).`,
        };
  },
};

export const configCheck: DoctorCheck = {
  id: 'config',
  title: 'Configuration',
  tags: ['install', 'start', 'update', 'backup'],
  async run(context) {
    if (!context.config) {
      const error = context.configError;
      if (error instanceof ConfigLoadError) {
        // The production rules too, so one run of doctor shows everything to fix.
        const problems = allConfigProblems({ config: error.partial, problems: error.problems });
        return {
          status: 'fail',
          message: [
            `${problems.length} problem${problems.length === 1 ? '' : 's'} in ${error.partial.values.SHOPDB_ENV} mode (${error.problems.length} stop the configuration loading):`,
            ...problems.map((p) => `${p.variable}: ${p.problem} — ${p.fix}`),
          ].join('\n'),
          suggestion: error.suggestion,
        };
      }
      return {
        status: 'fail',
        message: [error?.message ?? 'The configuration did not load', ...(error?.details ?? [])].join('\n'),
        suggestion: error?.suggestion,
      };
    }
    const mode = context.config.values.SHOPDB_ENV;
    const problems = configProblems(context.config);
    if (problems.length > 0) {
      return {
        status: 'fail',
        message: [
          `${problems.length} problem${problems.length === 1 ? '' : 's'} in ${mode} mode:`,
          ...problems.map((p) => `${p.variable}: ${p.problem} — ${p.fix}`),
        ].join('\n'),
        suggestion: 'Fix them in the .env (`shopdb init --force` writes a fresh one with generated secrets).',
      };
    }
    const where = context.config.envFileFound ? context.config.envFile : 'environment only (no .env)';
    if (context.config.warnings.length > 0) {
      return {
        status: 'warn',
        message: [
          `valid (${mode} mode, ${where}), with warnings:`,
          ...context.config.warnings.map((p) => `${p.variable}: ${p.problem} — ${p.fix}`),
        ].join('\n'),
      };
    }
    return { status: 'pass', message: `valid (${mode} mode, ${where})` };
  },
};

export const databaseCheck: DoctorCheck = {
  id: 'database',
  title: 'Database reachable',
  tags: ['install', 'start', 'update', 'backup'],
  async run(context) {
    const skipped = skippedForConfig(context);
    if (skipped) return skipped;
    const db = await context.database();
    const version = await serverVersion(db);
    const where = describeTarget(databaseTargetFromConfig(context.config!));
    const data = { database: where, product: version.product, version: version.version };
    const [major = 0, minor = 0] = version.version.split('.').map(Number);
    const tooOld =
      (version.product === 'MySQL' && major < 8) || (version.product === 'MariaDB' && (major < 10 || (major === 10 && minor < 6)));
    if (tooOld) {
      return {
        status: 'warn',
        message: `${where}: ${version.product} ${version.version} is older than shopdb supports`,
        suggestion: 'Use MySQL 8.0+ or MariaDB 10.6+.',
        data,
      };
    }
    return { status: 'pass', message: `${where}: ${version.product} ${version.version}`, data };
  },
};

export const clusterCheck: DoctorCheck = {
  id: 'cluster',
  title: 'Cluster node',
  tags: ['install', 'start', 'update', 'backup'],
  async run(context) {
    const skipped = skippedForConfig(context);
    if (skipped) return skipped;
    if (context.config!.values.DB_CLIENT === 'sqlite') return { status: 'skip', message: 'SQLite is a single file, never a cluster' };
    const node = await readClusterNodeState(await context.database());
    if (!node.galera) return { status: 'skip', message: 'a single server (not a Galera node)' };
    const paused = node.flowControlPaused ?? 0;
    const data = {
      node: node.nodeName,
      state: node.state,
      clusterStatus: node.clusterStatus,
      clusterSize: node.clusterSize,
      flowControlPaused: paused,
    };
    const summary = `${node.nodeName ?? 'this node'}: ${node.state ?? 'unknown'}, ${node.clusterStatus ?? 'unknown'} component of ${node.clusterSize ?? '?'} node(s), flow control paused ${(paused * 100).toFixed(1)}% of the time`;
    if (!node.ready) {
      return {
        status: 'fail',
        message: `${summary}: ${node.reason}`,
        suggestion:
          'Point DB_HOST at a synced node, or wait until this one has rejoined; a cluster that lost quorum needs its nodes back (docs/SCALING.md).',
        data,
      };
    }
    if ((node.clusterSize ?? 0) < 3) {
      return {
        status: 'warn',
        message: `${summary}: fewer than 3 nodes, so losing one more stops writes`,
        suggestion: 'Bring the missing nodes back (docs/SCALING.md).',
        data,
      };
    }
    if (paused > 0.1) {
      return {
        status: 'warn',
        message: `${summary}: replication is often paused by flow control`,
        suggestion: 'A node applies writes too slowly: check its disk and load, or route writes to one node (docs/SCALING.md).',
        data,
      };
    }
    return { status: 'pass', message: summary, data };
  },
};

export const migrationsCheck: DoctorCheck = {
  id: 'migrations',
  title: 'Migrations current',
  tags: ['install', 'start'],
  async run(context) {
    const skipped = skippedForConfig(context);
    if (skipped) return skipped;
    const db = await context.database();
    const catalog = await loadPluginCatalog(catalogOptionsFromConfig(context.config!));
    const status = await migrationStatus(db, [...siteMigrationSources().list(), ...(await installedPluginSources(db, catalog))]);
    const pending = status.sources.reduce((n, s) => n + s.pending.length, 0);
    const unknown = status.sources.flatMap((s) => s.unknown);
    const locked = status.sources.filter((s) => s.lockHeld).map((s) => s.id);
    const failed = status.sources.filter((s) => s.lastFailure).map((s) => `${s.id}: ${s.lastFailure!.migration}`);
    if (unknown.length > 0) {
      return {
        status: 'fail',
        message: `the database has migrations this shopdb does not know: ${unknown.join(', ')}`,
        suggestion: 'Update shopdb to the version that migrated it.',
      };
    }
    const schemaLock = await readSchemaLock(db);
    if (schemaLock) locked.push(`site schema lock: ${schemaLock.holder}`);
    // Each of these stops the site from being trusted; all are named, not only the first.
    const problems: Array<{ message: string; suggestion: string }> = [];
    if (failed.length > 0)
      problems.push({
        message: `a migration failed: ${failed.join('; ')}`,
        suggestion: 'Run `shopdb migrate status` for the error, fix it, then `shopdb migrate`.',
      });
    if (locked.length > 0)
      problems.push({
        message: `migration lock held (${locked.join(', ')})`,
        suggestion: 'A migrate is running, or one crashed: `shopdb migrate unlock` once none runs.',
      });
    if (pending > 0)
      problems.push({ message: `${pending} migration${pending === 1 ? '' : 's'} pending`, suggestion: 'Run `shopdb migrate`.' });
    if (problems.length > 0) {
      return {
        status: 'fail',
        message: problems.map((p) => p.message).join('; '),
        suggestion: problems.map((p) => p.suggestion).join(' '),
      };
    }
    return { status: 'pass', message: `${status.sources.reduce((n, s) => n + s.applied.length, 0)} applied, none pending` };
  },
};

export const pluginsCheck: DoctorCheck = {
  id: 'plugins',
  title: 'Installed plugins usable',
  tags: ['start', 'update'],
  async run(context) {
    const skipped = skippedForConfig(context);
    if (skipped) return skipped;
    const db = await context.database();
    if (!(await db.schema.hasTable('installed_plugins'))) return { status: 'skip', message: 'no core schema yet' };
    const catalog = await loadPluginCatalog(catalogOptionsFromConfig(context.config!));
    const listings = (await listPlugins({ db, catalog, actor: cliActor('doctor') })).filter((p) => p.installedVersion !== null);
    const broken = listings.filter((p) => p.status === 'missing' || p.status === 'unusable');
    const upgradable = listings.filter((p) => p.status === 'upgradable');
    const data = { installed: listings.map((p) => ({ name: p.name, version: p.installedVersion, enabled: p.enabled, status: p.status })) };
    if (broken.length > 0) {
      return {
        status: 'fail',
        message: `installed but not usable: ${broken.map((p) => `${p.name} (${p.problems[0] ?? p.status})`).join('; ')}`,
        suggestion:
          'Put the plugin packages back at the installed versions (`shopdb plugin list` says why each is unusable), or disable those plugins.',
        data,
      };
    }
    if (upgradable.length > 0) {
      return {
        status: 'warn',
        message: `newer versions here for: ${upgradable.map((p) => `${p.name} ${p.installedVersion} → ${p.availableVersion}`).join(', ')}`,
        suggestion: 'Run `shopdb plugin upgrade`.',
        data,
      };
    }
    return {
      status: 'pass',
      message:
        listings.length === 0
          ? 'no plugin installed'
          : `${listings.length} installed: ${listings.map((p) => `${p.name} ${p.installedVersion}${p.enabled ? '' : ' (disabled)'}`).join(', ')}`,
      data,
    };
  },
};

/** Finds an executable on PATH without spawning anything. */
export function findOnPath(command: string, path: string): string | undefined {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export const dumpToolCheck: DoctorCheck = {
  id: 'dump-tool',
  title: 'Backup tool (mysqldump / mariadb-dump)',
  tags: ['backup', 'update'],
  async run(context) {
    const skipped = skippedForConfig(context);
    if (skipped) return skipped;
    if (context.config!.values.DB_CLIENT === 'sqlite') return { status: 'skip', message: 'not needed: SQLite is backed up in-process' };
    const found = ['mysqldump', 'mariadb-dump'].map((tool) => ({ tool, path: findOnPath(tool, context.path) })).filter((t) => t.path);
    if (found.length === 0) {
      return {
        status: 'fail',
        message: 'neither mysqldump nor mariadb-dump is on PATH',
        suggestion: 'Install the MySQL client tools (Debian: apt-get install default-mysql-client, or mariadb-client for MariaDB).',
      };
    }
    return { status: 'pass', message: found.map((t) => t.path).join(', '), data: { tools: found.map((t) => t.path) } };
  },
};

export const backupDirCheck: DoctorCheck = {
  id: 'backup-dir',
  title: 'Backup directory writable',
  tags: ['install', 'backup', 'update'],
  async run(context) {
    const skipped = skippedForConfig(context);
    if (skipped) return skipped;
    // Relative to the .env, as `shopdb backup` resolves it; created and probed within deadlines (never Node's recursive mkdir, which spins on /proc paths).
    const dir = resolve(context.config!.baseDir, context.config!.values.BACKUP_DIR);
    try {
      await ensureUsableDirectory(dir, { setting: 'BACKUP_DIR' });
    } catch (error) {
      const cause = (error as { cause?: NodeJS.ErrnoException }).cause;
      return {
        status: 'fail',
        message: `${dir} is not writable (${cause?.code ?? (error as Error).message})`,
        suggestion: `Create it and give this user write access (chown/chmod), or set BACKUP_DIR.`,
      };
    }
    const stats = statfsSync(dir);
    const free = stats.bavail * stats.bsize;
    const data = { directory: dir, freeBytes: free };
    const freeText = free >= GIB ? `${(free / GIB).toFixed(1)} GiB` : `${Math.round(free / MIB)} MiB`;
    if (free < 100 * MIB)
      return {
        status: 'fail',
        message: `${dir}: only ${freeText} free`,
        suggestion: 'Free space or move BACKUP_DIR to a larger disk.',
        data,
      };
    if (free < GIB)
      return {
        status: 'warn',
        message: `${dir}: only ${freeText} free`,
        suggestion: 'Backups may soon fail; free space or move BACKUP_DIR.',
        data,
      };
    return { status: 'pass', message: `${dir} (${freeText} free)`, data };
  },
};

/** The registry with every core check; runDoctor adds those of the enabled plugins (./plugin-checks.ts). */
export function coreDoctorRegistry(): DoctorRegistry {
  return new DoctorRegistry()
    .register(nodeVersionCheck)
    .register(configCheck)
    .register(interruptedRestoreCheck)
    .register(databaseCheck)
    .register(clusterCheck)
    .register(migrationsCheck)
    .register(schemaMatchesRecordsCheck)
    .register(pluginsCheck)
    .register(directoryCheck)
    .register(zabbixCheck)
    .register(summaryTokensCheck)
    .register(dumpToolCheck)
    .register(backupDirCheck)
    .register(backupCopyDirCheck)
    .register(optionFileLeftoversCheck)
    .register(scratchSchemaLeftoversCheck);
}
