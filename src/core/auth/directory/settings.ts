// The directory part of the configuration as the directory code uses it: one typed object built
// from the LDAP_* variables (the schema is their only declaration), with the group-to-role rules
// as an ordered list and the CA file already read.

import { readFileSync } from 'node:fs';
import type { LoadedConfig } from '../../config/index.js';
import { ConfigError } from '../../errors.js';
import type { RoleName } from '../types.js';
import { normalizeDn } from './dn.js';

export type TlsMode = 'ldaps' | 'starttls' | 'none';
export type NestedGroupMode = 'in-chain' | 'member-of' | 'group-search' | 'off';

export interface RoleRule {
  groupDn: string;
  role: RoleName;
}

export interface DirectorySettings {
  urls: string[];
  tls: TlsMode;
  /** PEM text of LDAP_CA_FILE; undefined: Node's own CA list. */
  ca?: string;
  caFile?: string;
  bindDn: string;
  bindPassword: string;
  userBaseDn: string;
  userFilter: string;
  usernameAttribute: string;
  displayNameAttribute: string;
  mailAttribute: string;
  groupBaseDn: string;
  /** In the order written: the first rule whose group the user is in gives the role. */
  rules: RoleRule[];
  requiredGroup?: string;
  nestedGroups: NestedGroupMode;
  connectTimeoutMs: number;
  operationTimeoutMs: number;
  recheckIntervalMs: number;
}

/** The directory settings, or null when LDAP_ENABLED is false. */
export function directorySettingsFromConfig(config: LoadedConfig): DirectorySettings | null {
  const v = config.values;
  if (!v.LDAP_ENABLED) return null;
  const missing = (['LDAP_URL', 'LDAP_BIND_DN', 'LDAP_BIND_PASSWORD', 'LDAP_BASE_DN'] as const).filter((name) => {
    const value = v[name];
    return value === undefined || value.length === 0;
  });
  if (missing.length > 0) {
    throw new ConfigError(
      'Directory login is enabled but not configured',
      missing.map((variable) => ({ variable, problem: 'is not set', fix: `set ${variable} (see .env.example)` })),
      {
        suggestion: 'Set the missing variables, or LDAP_ENABLED=false.',
      },
    );
  }
  let ca: string | undefined;
  if (v.LDAP_CA_FILE) {
    try {
      ca = readFileSync(v.LDAP_CA_FILE, 'utf8');
    } catch (error) {
      throw new ConfigError(
        `Cannot read LDAP_CA_FILE ${v.LDAP_CA_FILE}`,
        [
          {
            variable: 'LDAP_CA_FILE',
            problem: `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
            fix: 'point it at a readable PEM file',
          },
        ],
        { cause: error },
      );
    }
  }
  return {
    urls: v.LDAP_URL!,
    tls: v.LDAP_TLS,
    ca,
    caFile: v.LDAP_CA_FILE,
    bindDn: v.LDAP_BIND_DN!,
    bindPassword: v.LDAP_BIND_PASSWORD!,
    userBaseDn: v.LDAP_BASE_DN!,
    userFilter: v.LDAP_USER_FILTER,
    usernameAttribute: v.LDAP_USERNAME_ATTRIBUTE,
    displayNameAttribute: v.LDAP_DISPLAY_NAME_ATTRIBUTE,
    mailAttribute: v.LDAP_MAIL_ATTRIBUTE,
    groupBaseDn: v.LDAP_GROUP_BASE_DN || v.LDAP_BASE_DN!,
    rules: roleRules(v.LDAP_GROUP_ROLE_MAP),
    requiredGroup: v.LDAP_REQUIRED_GROUP || undefined,
    nestedGroups: v.LDAP_NESTED_GROUPS,
    connectTimeoutMs: Math.round(v.LDAP_CONNECT_TIMEOUT * 1000),
    operationTimeoutMs: Math.round(v.LDAP_TIMEOUT * 1000),
    recheckIntervalMs: Math.round(v.LDAP_RECHECK_INTERVAL * 1000),
  };
}

/**
 * LDAP_GROUP_ROLE_MAP as rules. A JSON object keeps its keys in the order written as long as no
 * key looks like an array index, and a DN never does (it holds '='), so the order is the file's.
 */
export function roleRules(map: Record<string, RoleName>): RoleRule[] {
  return Object.entries(map).map(([groupDn, role]) => ({ groupDn: groupDn.trim(), role }));
}

/** The first rule whose group is among `groupDns` (compared as normalised DNs). */
export function firstMatchingRule(rules: readonly RoleRule[], groupDns: Iterable<string>): RoleRule | null {
  const held = new Set([...groupDns].map(normalizeDn));
  return rules.find((rule) => held.has(normalizeDn(rule.groupDn))) ?? null;
}

/** The longest a directory login may take: every server tried, each with its connect and one operation timeout. */
export function loginBudgetMs(settings: DirectorySettings): number {
  return settings.urls.length * (settings.connectTimeoutMs + settings.operationTimeoutMs);
}

/** For the `ldap` commands: the settings, or a ConfigError saying directory login is off. */
export function requireDirectorySettings(config: LoadedConfig): DirectorySettings {
  const settings = directorySettingsFromConfig(config);
  if (settings === null) {
    throw new ConfigError(
      'Directory login is not enabled',
      [{ variable: 'LDAP_ENABLED', problem: 'is false', fix: 'set LDAP_ENABLED=true and the other LDAP_* variables (see .env.example)' }],
      {
        suggestion: `Configure it in ${config.envFileFound ? config.envFile : 'the site .env'}.`,
      },
    );
  }
  return settings;
}
