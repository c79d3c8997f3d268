// What the zabbix commands share: the site's Zabbix settings (or the error that says how to set
// them), a Monitoring whose warnings go to stderr, and the site database with its plugins.

import type { LoadedConfig } from '../core/config/index.js';
import type { DatabaseLogger } from '../core/db/connect.js';
import type { Monitoring } from '../core/monitoring/service.js';
import type { PluginSession } from '../core/plugins/service.js';
import type { Ui } from './ui.js';

export async function withMonitoring<T>(
  config: LoadedConfig,
  logger: DatabaseLogger,
  ui: Ui,
  work: (session: PluginSession, monitoring: Monitoring) => Promise<T>,
): Promise<T> {
  const [{ requireZabbixSettings }, { Monitoring }, { withPluginSession }] = await Promise.all([
    import('../core/monitoring/zabbix/settings.js'),
    import('../core/monitoring/service.js'),
    import('./plugins.js'),
  ]);
  const monitoring = new Monitoring(requireZabbixSettings(config), { warn: (message) => ui.warn(message) });
  return withPluginSession(config, logger, ui, (session) => work(session, monitoring));
}
