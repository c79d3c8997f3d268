// The Zabbix part of the configuration as the monitoring code uses it: one typed object built from
// the ZABBIX_* variables (the schema is their only declaration), with the CA file already read.
// Null when ZABBIX_URL is empty: monitoring is off and nothing calls Zabbix.

import { readFileSync } from 'node:fs';
import type { LoadedConfig } from '../../config/index.js';
import { ConfigError, UserError } from '../../errors.js';

export type ZabbixCredentials = { kind: 'token'; token: string } | { kind: 'password'; username: string; password: string };

export interface ZabbixSettings {
  url: string;
  credentials: ZabbixCredentials;
  /** PEM text of ZABBIX_CA_FILE; undefined: Node's own CA list. */
  ca?: string;
  caFile?: string;
  connectTimeoutMs: number;
  timeoutMs: number;
  hostMapTtlMs: number;
  problemTtlMs: number;
}

export function zabbixSettingsFromConfig(config: LoadedConfig): ZabbixSettings | null {
  const v = config.values;
  if (!v.ZABBIX_URL) return null;
  let credentials: ZabbixCredentials;
  if (v.ZABBIX_API_TOKEN) credentials = { kind: 'token', token: v.ZABBIX_API_TOKEN };
  else if (v.ZABBIX_USER && v.ZABBIX_PASSWORD) credentials = { kind: 'password', username: v.ZABBIX_USER, password: v.ZABBIX_PASSWORD };
  else {
    throw new ConfigError('ZABBIX_URL is set but there is nothing to log in to Zabbix with', [
      {
        variable: 'ZABBIX_API_TOKEN',
        problem: 'is not set (nor ZABBIX_USER and ZABBIX_PASSWORD)',
        fix: 'set ZABBIX_API_TOKEN_FILE to a file holding an API token of a read-only Zabbix user',
      },
    ]);
  }
  let ca: string | undefined;
  if (v.ZABBIX_CA_FILE) {
    try {
      ca = readFileSync(v.ZABBIX_CA_FILE, 'utf8');
    } catch (error) {
      throw new ConfigError(
        `Cannot read ZABBIX_CA_FILE ${v.ZABBIX_CA_FILE}`,
        [
          {
            variable: 'ZABBIX_CA_FILE',
            problem: `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
            fix: 'point it at a readable PEM file',
          },
        ],
        { cause: error },
      );
    }
  }
  return {
    url: v.ZABBIX_URL,
    credentials,
    ca,
    caFile: v.ZABBIX_CA_FILE,
    connectTimeoutMs: Math.round(v.ZABBIX_CONNECT_TIMEOUT * 1000),
    timeoutMs: Math.round(v.ZABBIX_TIMEOUT * 1000),
    hostMapTtlMs: Math.round(v.ZABBIX_HOST_MAP_TTL * 1000),
    problemTtlMs: Math.round(v.ZABBIX_PROBLEM_TTL * 1000),
  };
}

/** For the commands: the settings, or a user error that says how to turn monitoring on. */
export function requireZabbixSettings(config: LoadedConfig): ZabbixSettings {
  const settings = zabbixSettingsFromConfig(config);
  if (settings === null) {
    throw new UserError('Zabbix monitoring is not configured (ZABBIX_URL is empty)', {
      suggestion:
        'Set ZABBIX_URL to the API endpoint (https://zabbix.example/api_jsonrpc.php) and ZABBIX_API_TOKEN_FILE to a file holding a read-only API token; see docs/DEPLOY.md "Monitoring with Zabbix".',
    });
  }
  return settings;
}
