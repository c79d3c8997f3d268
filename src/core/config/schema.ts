// The single declaration of every environment variable shopdb reads. Parsing, validation,
// `.env.example`, `shopdb init`'s prompts and flags, and docs/CONFIGURATION.md are all derived
// from this table, so adding a setting means adding one entry here and nothing else.

export type VarType =
  | 'string'
  | 'secret'
  | 'int'
  | 'port'
  | 'boolean'
  | 'enum'
  | 'url'
  | 'url-list'
  | 'list'
  | 'origins'
  | 'duration'
  | 'path'
  | 'role-map'
  | 'trust-proxy';

export type VarGroup = 'site' | 'database' | 'auth' | 'http' | 'logging' | 'backup' | 'ldap' | 'zabbix' | 'plugins' | 'deploy' | 'runtime';

/** "Only matters when VAR has this value" — used for production requirements and prompts. */
export interface VarCondition {
  variable: string;
  /** A value, or 'set' for "has any non-empty value". */
  is: string;
}

export interface VarSpec {
  type: VarType;
  group: VarGroup;
  /** One line, shown in .env.example, the docs table and `init --help`. */
  description: string;
  /** The default, written as it would appear in a .env file. */
  default?: string;
  /** For enums. */
  choices?: readonly string[];
  /** For int/port; max also for duration (seconds). */
  min?: number;
  max?: number;
  /** For string: the value must match this (anchored) pattern; `hint` says what is allowed. */
  pattern?: { regex: RegExp; hint: string };
  /** For url and url-list: accepted protocols such as 'ldaps:'. */
  protocols?: readonly string[];
  /** Secrets: never printed, never in argv or --json; may also come from NAME_FILE. */
  minLength?: number;
  /**
   * Secrets only shopdb reads (nobody types them into another system): production also refuses
   * one whose estimated strength is below this many bits (see secret-strength.ts, ADR-017).
   */
  minStrengthBits?: number;
  /** Production refuses to start without it (optionally only when a condition holds). */
  requiredInProduction?: true | VarCondition;
  /** Value shown in .env.example when there is no default (placeholders for secrets). */
  example?: string;
  /** `shopdb init` asks for it (on a TTY) and offers a flag named after the variable. */
  init?: { message: string; flag: string; when?: VarCondition };
  /** `shopdb init` generates a strong random value for it. */
  generate?: true;
  /** Read from the process environment only; it makes no sense inside a .env file. */
  environmentOnly?: true;
}

/** Role names a directory group can map to. The user model (next issue) uses the same list. */
export const ROLE_NAMES = ['admin', 'editor', 'viewer'] as const;

const mysql: VarCondition = { variable: 'DB_CLIENT', is: 'mysql' };
const ldapEnabled: VarCondition = { variable: 'LDAP_ENABLED', is: 'true' };
const attributeName = { regex: /^[A-Za-z][A-Za-z0-9-]{0,63}$/, hint: 'an LDAP attribute name (letters, digits and -)' };

export const configSchema = {
  // ── site ────────────────────────────────────────────────────────────────────────────
  SHOPDB_ENV: {
    type: 'enum',
    group: 'site',
    choices: ['production', 'development'],
    default: 'production',
    description: 'production enforces the safety rules (real secrets, explicit CORS list, Secure cookies).',
    init: { message: 'Run mode', flag: 'mode' },
  },
  SHOPDB_SITE_NAME: {
    type: 'string',
    group: 'site',
    default: 'shopdb',
    pattern: { regex: /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/, hint: 'letters, digits, - and _ (at most 63), starting with a letter or digit' },
    description: 'Short name of this site (letters, digits, - and _); names backup files.',
    init: { message: 'Site name (used in backup file names)', flag: 'site-name' },
  },
  FLEET_FILE: {
    type: 'path',
    group: 'site',
    default: './fleet.json',
    description:
      'A central instance only: the sites `shopdb fleet` pulls, with their tokens (0600); the last-known summaries sit beside it.',
  },

  // ── database ────────────────────────────────────────────────────────────────────────
  DB_CLIENT: {
    type: 'enum',
    group: 'database',
    choices: ['sqlite', 'mysql'],
    default: 'sqlite',
    description: 'sqlite (embedded file, no server) or mysql (MySQL 8 / MariaDB 10.6+).',
    init: { message: 'Database engine', flag: 'db' },
  },
  DB_SQLITE_PATH: {
    type: 'path',
    group: 'database',
    default: './data/shopdb.sqlite',
    description: 'SQLite database file; relative paths are relative to the .env file.',
    init: { message: 'SQLite database file', flag: 'sqlite-path', when: { variable: 'DB_CLIENT', is: 'sqlite' } },
  },
  DB_HOST: {
    type: 'string',
    group: 'database',
    default: '127.0.0.1',
    description: 'MySQL host name or IP address.',
    init: { message: 'MySQL host', flag: 'db-host', when: mysql },
  },
  DB_PORT: {
    type: 'port',
    group: 'database',
    default: '3306',
    description: 'MySQL TCP port.',
    init: { message: 'MySQL port', flag: 'db-port', when: mysql },
  },
  DB_SOCKET: {
    type: 'path',
    group: 'database',
    description: 'MySQL Unix socket; when set it is used instead of DB_HOST/DB_PORT.',
  },
  DB_NAME: {
    type: 'string',
    group: 'database',
    default: 'shopdb',
    pattern: { regex: /^[A-Za-z0-9_]{1,64}$/, hint: 'letters, digits and _ (at most 64)' },
    description: 'MySQL database (schema) name.',
    init: { message: 'MySQL database name', flag: 'db-name', when: mysql },
  },
  DB_USER: {
    type: 'string',
    group: 'database',
    default: 'shopdb',
    pattern: { regex: /^[A-Za-z0-9_.-]{1,32}$/, hint: 'letters, digits, _, . and - (at most 32)' },
    description: 'MySQL user shopdb connects as (least privilege: this database only).',
    init: { message: 'MySQL user', flag: 'db-user', when: mysql },
  },
  DB_PASSWORD: {
    type: 'secret',
    group: 'database',
    minLength: 12,
    requiredInProduction: mysql,
    example: 'change-me',
    description: 'Password of DB_USER. Or DB_PASSWORD_FILE naming a file that holds it.',
  },
  DB_POOL_MAX: {
    type: 'int',
    group: 'database',
    default: '10',
    min: 1,
    max: 200,
    description: 'Largest number of pooled MySQL connections.',
  },
  DB_CONNECT_TIMEOUT: {
    type: 'duration',
    group: 'database',
    default: '10s',
    description: 'How long to wait for a database connection (e.g. 10s, 1m).',
  },
  // ── auth ────────────────────────────────────────────────────────────────────────────
  JWT_SECRET: {
    type: 'secret',
    group: 'auth',
    minLength: 32,
    minStrengthBits: 64,
    requiredInProduction: true,
    example: 'change-me',
    generate: true,
    description:
      'Key that signs login tokens (HS256); at least 32 random characters (no repeated letters, words or runs). `shopdb init` generates one.',
  },
  JWT_EXPIRES_IN: {
    type: 'duration',
    group: 'auth',
    default: '8h',
    description: 'Lifetime of a login token (e.g. 30m, 8h, 1d): one shift by default.',
  },
  COOKIE_NAME: {
    type: 'string',
    group: 'auth',
    default: 'shopdb_session',
    description: 'Name of the HttpOnly session cookie.',
  },
  COOKIE_SECURE: {
    type: 'boolean',
    group: 'auth',
    default: 'true',
    description: 'Send the session cookie only over HTTPS. Must stay true in production.',
  },
  COOKIE_SAMESITE: {
    type: 'enum',
    group: 'auth',
    choices: ['strict', 'lax', 'none'],
    default: 'lax',
    description: 'SameSite attribute of the session cookie; none requires COOKIE_SECURE=true.',
  },
  COOKIE_DOMAIN: {
    type: 'string',
    group: 'auth',
    description: 'Domain attribute of the session cookie; empty means the API host only.',
  },

  // ── http ────────────────────────────────────────────────────────────────────────────
  HTTP_HOST: {
    type: 'string',
    group: 'http',
    default: '127.0.0.1',
    description: 'Address `shopdb serve` listens on (0.0.0.0 inside a container).',
  },
  HTTP_PORT: {
    type: 'port',
    group: 'http',
    default: '8080',
    description: 'TCP port `shopdb serve` listens on.',
    init: { message: 'HTTP port for the API', flag: 'http-port' },
  },
  CORS_ORIGINS: {
    type: 'origins',
    group: 'http',
    default: '',
    description: 'Comma-separated origins allowed to call the API from a browser (e.g. https://shopdb.plant.example). Empty: none.',
    init: { message: 'Browser origins allowed to call the API (comma-separated, empty for none)', flag: 'cors-origins' },
  },
  TRUST_PROXY: {
    type: 'trust-proxy',
    group: 'http',
    default: 'false',
    description: 'Trust X-Forwarded-* from a reverse proxy: false, true, a hop count, or comma-separated IPs/CIDRs.',
  },
  HTTP_REQUEST_TIMEOUT: {
    type: 'duration',
    group: 'http',
    default: '30s',
    description: 'Longest time a request may take, body included, before the server gives up on it.',
  },
  HTTP_BODY_LIMIT: {
    type: 'int',
    group: 'http',
    default: '1048576',
    min: 1024,
    max: 104857600,
    description: 'Largest request body the API accepts, in bytes.',
  },

  // ── logging ─────────────────────────────────────────────────────────────────────────
  LOG_LEVEL: {
    type: 'enum',
    group: 'logging',
    choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    default: 'info',
    description: 'Level of the JSON logs written by `shopdb serve`.',
  },

  // ── backup ──────────────────────────────────────────────────────────────────────────
  BACKUP_DIR: {
    type: 'path',
    group: 'backup',
    default: './backups',
    description: 'Where `shopdb backup` writes archives; relative paths are relative to the .env file.',
    init: { message: 'Backup directory', flag: 'backup-dir' },
  },
  BACKUP_KEEP: {
    type: 'int',
    group: 'backup',
    default: '14',
    min: 1,
    max: 10000,
    description:
      'How many good backups of each kind to keep (nightly, and as many of each safety kind: pre-update, pre-restore, pre-uninstall); older ones are removed after a successful backup, damaged ones are not counted.',
  },
  BACKUP_KEEP_DAYS: {
    type: 'int',
    group: 'backup',
    default: '0',
    min: 0,
    max: 36500,
    description: 'Also remove backups older than this many days (0: no age limit). The newest good one is always kept.',
  },
  BACKUP_COPY_TO: {
    type: 'path',
    group: 'backup',
    description: 'Optional second directory (an offsite mount) that every backup is copied to and verified in.',
  },
  BACKUP_DUMP_VIA: {
    type: 'enum',
    group: 'backup',
    choices: ['local', 'compose'],
    default: 'local',
    description:
      "MySQL only: run the dump and restore tools on this machine (local: mysqldump or mariadb-dump, whichever matches the server) or inside the compose stack's database container (compose).",
  },
  BACKUP_COMPOSE_SERVICE: {
    type: 'string',
    group: 'backup',
    default: 'db',
    pattern: { regex: /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/, hint: 'a compose service name' },
    description: 'With BACKUP_DUMP_VIA=compose: the compose service of the database.',
  },

  // ── ldap ────────────────────────────────────────────────────────────────────────────
  LDAP_ENABLED: {
    type: 'boolean',
    group: 'ldap',
    default: 'false',
    description:
      'Let users log in with their LDAP / Active Directory account. Local accounts (the break-glass admin) keep working whatever the directory does.',
    init: { message: 'Let users log in with their directory account (LDAP / Active Directory)', flag: 'ldap' },
  },
  LDAP_URL: {
    type: 'url-list',
    group: 'ldap',
    protocols: ['ldap:', 'ldaps:'],
    requiredInProduction: ldapEnabled,
    example: 'ldaps://dc01.plant.example:636,ldaps://dc02.plant.example:636',
    description: 'Directory server URL, or several comma-separated: each is tried in turn while the ones before it do not answer.',
    init: { message: 'Directory server URL(s), comma-separated, tried in order', flag: 'ldap-url', when: ldapEnabled },
  },
  LDAP_TLS: {
    type: 'enum',
    group: 'ldap',
    choices: ['ldaps', 'starttls', 'none'],
    default: 'ldaps',
    description:
      'ldaps (ldaps:// URLs), starttls (ldap:// URLs upgraded before the bind) or none (plain text: refused in production unless LDAP_ALLOW_PLAINTEXT=true).',
    init: { message: 'Directory encryption', flag: 'ldap-tls', when: ldapEnabled },
  },
  LDAP_ALLOW_PLAINTEXT: {
    type: 'boolean',
    group: 'ldap',
    default: 'false',
    description: 'Let production run with LDAP_TLS=none, sending directory passwords unencrypted (a lab only).',
  },
  LDAP_CA_FILE: {
    type: 'path',
    group: 'ldap',
    example: '/etc/shopdb/directory-ca.pem',
    description: "PEM file of the CA that signed the directory servers' certificates; empty: the system's CAs.",
    init: {
      message: "CA file (PEM) that signed the directory servers' certificates (empty: the system's CAs)",
      flag: 'ldap-ca-file',
      when: ldapEnabled,
    },
  },
  LDAP_BIND_DN: {
    type: 'string',
    group: 'ldap',
    requiredInProduction: ldapEnabled,
    example: 'CN=svc-shopdb,OU=Service Accounts,DC=plant,DC=example',
    description: 'Service account that searches the directory for the user logging in.',
    init: { message: 'Service account DN that searches the directory', flag: 'ldap-bind-dn', when: ldapEnabled },
  },
  LDAP_BIND_PASSWORD: {
    type: 'secret',
    group: 'ldap',
    requiredInProduction: ldapEnabled,
    example: 'change-me',
    description: 'Password of LDAP_BIND_DN. Or LDAP_BIND_PASSWORD_FILE.',
  },
  LDAP_BASE_DN: {
    type: 'string',
    group: 'ldap',
    requiredInProduction: ldapEnabled,
    example: 'OU=Users,DC=plant,DC=example',
    description: 'Where user searches start (the whole subtree below it).',
    init: { message: 'Where user searches start (base DN)', flag: 'ldap-base-dn', when: ldapEnabled },
  },
  LDAP_USER_FILTER: {
    type: 'string',
    group: 'ldap',
    default: '(&(objectClass=user)(sAMAccountName={username}))',
    pattern: {
      regex: /^\(.*\{username\}.*\)$/,
      hint: 'a filter in parentheses holding {username}, e.g. (&(objectClass=user)(|(sAMAccountName={username})(userPrincipalName={username}))) for AD or (&(objectClass=inetOrgPerson)(uid={username})) for OpenLDAP',
    },
    description: 'Search filter for the user; {username} is replaced by the login name, escaped (so * ( ) \\ match only themselves).',
    init: { message: 'User search filter ({username} is the login name)', flag: 'ldap-user-filter', when: ldapEnabled },
  },
  LDAP_USERNAME_ATTRIBUTE: {
    type: 'string',
    group: 'ldap',
    default: 'sAMAccountName',
    pattern: attributeName,
    description: 'Attribute whose value becomes the shopdb username (sAMAccountName for AD, uid for OpenLDAP).',
    init: {
      message: 'Attribute holding the login name (sAMAccountName for AD, uid for OpenLDAP)',
      flag: 'ldap-username-attribute',
      when: ldapEnabled,
    },
  },
  LDAP_DISPLAY_NAME_ATTRIBUTE: {
    type: 'string',
    group: 'ldap',
    default: 'displayName',
    pattern: attributeName,
    description: "Attribute copied into the user's display name at every login.",
  },
  LDAP_MAIL_ATTRIBUTE: {
    type: 'string',
    group: 'ldap',
    default: 'mail',
    pattern: attributeName,
    description: "Attribute copied into the user's email at every login.",
  },
  LDAP_GROUP_BASE_DN: {
    type: 'string',
    group: 'ldap',
    example: 'OU=Groups,DC=plant,DC=example',
    description: 'Where group searches start (nested groups); empty: LDAP_BASE_DN.',
  },
  LDAP_GROUP_ROLE_MAP: {
    type: 'role-map',
    group: 'ldap',
    default: '{}',
    example: '{"CN=ShopDB-Admins,OU=Groups,DC=plant,DC=example":"admin","CN=ShopDB-Users,OU=Groups,DC=plant,DC=example":"viewer"}',
    description:
      'JSON object of group DN to role (admin, editor, viewer), checked in the order written: the user gets the role of the first group they are in (directly or through nested groups). Single-quote it in .env.',
    init: { message: 'Group DN → role rules as a JSON object, first match wins', flag: 'ldap-group-role-map', when: ldapEnabled },
  },
  LDAP_REQUIRED_GROUP: {
    type: 'string',
    group: 'ldap',
    example: 'CN=ShopDB-Access,OU=Groups,DC=plant,DC=example',
    description: 'Optional group DN every directory user must also be in (directly or nested) to log in.',
  },
  LDAP_NESTED_GROUPS: {
    type: 'enum',
    group: 'ldap',
    choices: ['in-chain', 'member-of', 'group-search', 'off'],
    default: 'in-chain',
    description:
      "How groups inside groups are found: in-chain (Active Directory's member:1.2.840.113556.1.4.1941: rule), member-of (OpenLDAP memberOf overlay, followed upwards), group-search (searches for groups whose member is the user or a group found so far), off (direct groups only).",
    init: { message: 'How nested groups are found', flag: 'ldap-nested-groups', when: ldapEnabled },
  },
  LDAP_CONNECT_TIMEOUT: {
    type: 'duration',
    group: 'ldap',
    default: '3s',
    description: 'How long to wait for a directory server to accept a connection (and its TLS handshake) before trying the next.',
  },
  LDAP_TIMEOUT: {
    type: 'duration',
    group: 'ldap',
    default: '5s',
    description:
      'How long one directory operation (bind, search) may take. Servers × (LDAP_CONNECT_TIMEOUT + LDAP_TIMEOUT) must stay below HTTP_REQUEST_TIMEOUT.',
  },
  LDAP_RECHECK_INTERVAL: {
    type: 'duration',
    group: 'ldap',
    default: '15m',
    description:
      'How often `shopdb serve` re-checks signed-in directory users: one disabled or removed from every granting group loses their sessions and API tokens within this time.',
  },

  // ── zabbix ──────────────────────────────────────────────────────────────────────────
  ZABBIX_URL: {
    type: 'url',
    group: 'zabbix',
    protocols: ['http:', 'https:'],
    example: 'https://zabbix.plant.example/api_jsonrpc.php',
    description: 'Zabbix API endpoint for monitoring status per asset; empty disables it.',
  },
  ZABBIX_API_TOKEN: {
    type: 'secret',
    group: 'zabbix',
    requiredInProduction: { variable: 'ZABBIX_URL', is: 'set' },
    example: 'change-me',
    description: 'Zabbix API token (read-only user). Or ZABBIX_API_TOKEN_FILE.',
  },
  ZABBIX_USER: {
    type: 'string',
    group: 'zabbix',
    example: 'svc-shopdb',
    description: 'Instead of a token (Zabbix before 5.4): a read-only Zabbix user whose session shopdb opens and renews.',
  },
  ZABBIX_PASSWORD: {
    type: 'secret',
    group: 'zabbix',
    example: 'change-me',
    description: 'Password of ZABBIX_USER. Or ZABBIX_PASSWORD_FILE.',
  },
  ZABBIX_CA_FILE: {
    type: 'path',
    group: 'zabbix',
    example: '/etc/shopdb/zabbix-ca.pem',
    description: "PEM file of the CA that signed the Zabbix web server's certificate; empty: the system's CAs.",
  },
  ZABBIX_CONNECT_TIMEOUT: {
    type: 'duration',
    group: 'zabbix',
    default: '1s',
    max: 30,
    description: 'How long to wait for the Zabbix web server to accept a connection (and its TLS handshake).',
  },
  ZABBIX_TIMEOUT: {
    type: 'duration',
    group: 'zabbix',
    default: '3s',
    max: 30,
    description:
      'How long one Zabbix API call may take in all. A Zabbix slower than this shows monitoring as unknown; the inventory answers anyway.',
  },
  ZABBIX_HOST_MAP_TTL: {
    type: 'duration',
    group: 'zabbix',
    default: '6h',
    description:
      'How long the list of Zabbix hosts (names, IPs, enabled) is kept before it is refreshed in the background; `shopdb zabbix match` always refreshes it.',
  },
  ZABBIX_PROBLEM_TTL: {
    type: 'duration',
    group: 'zabbix',
    default: '30s',
    max: 60,
    description:
      'How long open problems are kept before they are asked again; at most 60s. A new problem shows on its asset within this time.',
  },

  // ── plugins ─────────────────────────────────────────────────────────────────────────
  SHOPDB_DEFAULT_PLUGINS: {
    type: 'list',
    group: 'plugins',
    default: 'equipment,computers,printers,network,notifications,software',
    description: 'Plugins a new site installs and enables by default (comma-separated).',
  },
  SHOPDB_PLUGIN_DIRS: {
    type: 'list',
    group: 'plugins',
    default: '',
    description:
      'More node_modules folders to look in for plugin packages (comma-separated, relative to the .env folder). shopdb always looks in its own node_modules and in node_modules beside the .env.',
  },

  // ── deploy (docker compose) ─────────────────────────────────────────────────────────
  MYSQL_ROOT_PASSWORD: {
    type: 'secret',
    group: 'deploy',
    minLength: 12,
    example: 'change-me',
    generate: true,
    description: 'Root password of the MySQL container in the compose stack; shopdb itself never uses it.',
  },

  SHOPDB_IMAGE: {
    type: 'string',
    group: 'deploy',
    default: 'shopdb:latest',
    description: 'Image (name:tag) of the API container in the compose stack.',
  },
  SHOPDB_BIND_ADDRESS: {
    type: 'string',
    group: 'deploy',
    default: '127.0.0.1',
    description: 'Host address the compose stack publishes the API port on.',
  },
  COMPOSE_FILE: {
    type: 'string',
    group: 'deploy',
    example: 'docker-compose.secrets.yml',
    description:
      'Compose file of the stack, read by docker compose too (default docker-compose.yml); docker-compose.secrets.yml takes the database password from DB_PASSWORD_FILE.',
  },

  // ── runtime (environment only) ──────────────────────────────────────────────────────
  SHOPDB_ENV_FILE: {
    type: 'path',
    group: 'runtime',
    default: './.env',
    environmentOnly: true,
    description: 'The site .env file, when --env-file is not given.',
  },
  NO_COLOR: {
    type: 'string',
    group: 'runtime',
    environmentOnly: true,
    description: 'Any non-empty value turns colour off (no-color.org).',
  },
  SHOPDB_MYSQL_ADMIN_PASSWORD: {
    type: 'secret',
    group: 'runtime',
    environmentOnly: true,
    description: 'Password of the MySQL administrator for `shopdb init --create-database` (or --mysql-admin-password-stdin).',
  },
  DEBUG: {
    type: 'string',
    group: 'runtime',
    environmentOnly: true,
    description: 'Any non-empty value shows stack traces with errors, like --verbose.',
  },
} as const satisfies Record<string, VarSpec>;

export type ConfigVarName = keyof typeof configSchema;
export const CONFIG_VAR_NAMES = Object.keys(configSchema) as ConfigVarName[];

export function specOf(name: ConfigVarName): VarSpec {
  return configSchema[name];
}

export const GROUP_TITLES: Record<VarGroup, string> = {
  site: 'Site',
  database: 'Database',
  auth: 'Authentication and session',
  http: 'HTTP API',
  logging: 'Logging',
  backup: 'Backups',
  ldap: 'LDAP / Active Directory login',
  zabbix: 'Zabbix monitoring',
  plugins: 'Plugins',
  deploy: 'Docker compose stack',
  runtime: 'Process environment only (not in .env)',
};

// Typed values: what `loadConfig` returns for each variable.
type ParsedType<S> = S extends { type: 'enum'; choices: readonly (infer C)[] }
  ? C
  : S extends { type: 'int' | 'port' | 'duration' }
    ? number
    : S extends { type: 'boolean' }
      ? boolean
      : S extends { type: 'list' | 'origins' | 'url-list' }
        ? string[]
        : S extends { type: 'role-map' }
          ? Record<string, (typeof ROLE_NAMES)[number]>
          : S extends { type: 'trust-proxy' }
            ? boolean | number | string[]
            : string;

type ValueOf<S> = S extends { default: string } ? ParsedType<S> : ParsedType<S> | undefined;

export type ConfigValues = { -readonly [K in ConfigVarName]: ValueOf<(typeof configSchema)[K]> };
