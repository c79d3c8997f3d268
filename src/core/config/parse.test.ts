import { describe, expect, it } from 'vitest';
import { closestName, parseBoolean, parseDuration, parseValue, type ParseResult } from './parse.js';
import { CONFIG_VAR_NAMES, specOf, type ConfigVarName } from './schema.js';

const parse = (name: ConfigVarName, raw: string): ParseResult => parseValue(raw, specOf(name));

function accepted(name: ConfigVarName, raw: string): unknown {
  const result = parse(name, raw);
  if (!result.ok) throw new Error(`${name}=${raw} was rejected: ${result.problem} — ${result.fix}`);
  return result.value;
}

function rejected(name: ConfigVarName, raw: string): { problem: string; fix: string } {
  const result = parse(name, raw);
  if (result.ok) throw new Error(`${name}=${raw} was accepted as ${JSON.stringify(result.value)}`);
  return { problem: result.problem, fix: result.fix };
}

describe('parseValue', () => {
  it('accepts every default declared in the schema for its own type', () => {
    const broken = CONFIG_VAR_NAMES.filter((name) => {
      const fallback = specOf(name).default;
      return fallback !== undefined && !parse(name, fallback).ok;
    });
    expect(broken).toEqual([]);
  });

  describe('port', () => {
    it.each([
      ['1', 1],
      ['8080', 8080],
      [' 443 ', 443],
      ['65535', 65535],
    ])('reads %j as %i', (raw, value) => {
      expect(accepted('HTTP_PORT', raw)).toBe(value);
    });

    it.each(['0', '65536', '-1'])('rejects %j as out of range, naming the allowed range', (raw) => {
      const { problem, fix } = rejected('HTTP_PORT', raw);
      expect(problem).toContain('out of range');
      expect(fix).toBe('set a whole number from 1 to 65535');
    });

    it.each(['abc', '80.5', '8080x', '1e3'])('rejects %j as not a whole number', (raw) => {
      const { problem, fix } = rejected('DB_PORT', raw);
      expect(problem).toBe(`"${raw}" is not a whole number`);
      expect(fix).toContain('from 1 to 65535');
    });
  });

  describe('int', () => {
    it('uses the bounds of the variable in the check and in the fix', () => {
      expect(accepted('DB_POOL_MAX', '200')).toBe(200);
      expect(rejected('DB_POOL_MAX', '0').fix).toBe('set a whole number from 1 to 200');
      expect(rejected('BACKUP_KEEP_DAYS', '36501').fix).toBe('set a whole number from 0 to 36500');
      expect(accepted('BACKUP_KEEP_DAYS', '0')).toBe(0);
    });
  });

  describe('boolean', () => {
    it.each(['true', 'TRUE', '1', 'yes', 'On'])('reads %j as true', (raw) => {
      expect(accepted('COOKIE_SECURE', raw)).toBe(true);
    });

    it.each(['false', 'False', '0', 'no', 'off'])('reads %j as false', (raw) => {
      expect(accepted('LDAP_ENABLED', raw)).toBe(false);
    });

    it.each(['maybe', 'y', 'enabled'])('rejects %j and says to set true or false', (raw) => {
      expect(rejected('COOKIE_SECURE', raw)).toEqual({ problem: `"${raw}" is not true or false`, fix: 'set true or false' });
    });

    it('returns undefined from parseBoolean for anything else', () => {
      expect(parseBoolean('truthy')).toBeUndefined();
    });
  });

  describe('duration (in seconds)', () => {
    it.each([
      ['90', 90],
      ['90s', 90],
      ['15m', 900],
      ['15 M', 900],
      ['8h', 28_800],
      ['1d', 86_400],
      ['500ms', 0.5],
    ])('reads %j as %d seconds', (raw, seconds) => {
      expect(accepted('JWT_EXPIRES_IN', raw)).toBe(seconds);
      expect(parseDuration(raw)).toBe(seconds);
    });

    it.each(['0s', '0', 'abc', '1.5h', '-5m', '10 minutes', '8h30m'])('rejects %j with an example of a valid one', (raw) => {
      const { problem, fix } = rejected('DB_CONNECT_TIMEOUT', raw);
      expect(problem).toBe(`"${raw}" is not a duration`);
      expect(fix).toContain('e.g. 30s, 15m, 8h or 1d');
    });
  });

  describe('enum', () => {
    it('is case-insensitive and normalises to the declared choice', () => {
      expect(accepted('DB_CLIENT', 'MySQL')).toBe('mysql');
      expect(accepted('SHOPDB_ENV', ' Development ')).toBe('development');
    });

    it('rejects anything else and lists the choices', () => {
      expect(rejected('DB_CLIENT', 'postgres')).toEqual({ problem: '"postgres" is not allowed', fix: 'set one of: sqlite, mysql' });
      expect(rejected('COOKIE_SAMESITE', 'sometimes').fix).toBe('set one of: strict, lax, none');
    });
  });

  describe('string patterns', () => {
    it.each(['plant3', 'Plant-3_north', 'a'.repeat(63), '7th-hangar'])('accepts the site name %j', (raw) => {
      expect(accepted('SHOPDB_SITE_NAME', raw)).toBe(raw);
    });

    it.each(['my site', '-lead', '_lead', 'a'.repeat(64), 'plant/3', 'hangar.7', 'ünï'])(
      'rejects the site name %j and says what is allowed',
      (raw) => {
        const { problem, fix } = rejected('SHOPDB_SITE_NAME', raw);
        expect(problem).toBe(`"${raw}" is not allowed`);
        expect(fix).toBe('use letters, digits, - and _ (at most 63), starting with a letter or digit');
      },
    );

    it('applies the database name and user patterns', () => {
      expect(rejected('DB_NAME', 'shop-db').fix).toContain('letters, digits and _');
      expect(accepted('DB_NAME', 'shopdb_plant3')).toBe('shopdb_plant3');
      expect(rejected('DB_USER', 'u'.repeat(33)).fix).toContain('at most 32');
      expect(accepted('DB_USER', 'svc.shopdb-3')).toBe('svc.shopdb-3');
    });

    it('leaves strings without a pattern alone', () => {
      expect(accepted('LDAP_BIND_DN', 'CN=svc shopdb,OU=Service Accounts,DC=plant')).toBe('CN=svc shopdb,OU=Service Accounts,DC=plant');
    });
  });

  describe('url', () => {
    it('accepts the declared protocols', () => {
      expect(accepted('LDAP_URL', 'ldaps://dc01.plant.example:636')).toEqual(['ldaps://dc01.plant.example:636']);
      expect(accepted('LDAP_URL', 'ldap://dc01')).toEqual(['ldap://dc01']);
    });

    it('takes several comma-separated directory URLs, in order (failover)', () => {
      expect(accepted('LDAP_URL', 'ldaps://dc01:636, ldaps://dc02:636')).toEqual(['ldaps://dc01:636', 'ldaps://dc02:636']);
      expect(rejected('LDAP_URL', 'ldaps://dc01:636,https://dc02').problem).toBe('"https://dc02" has protocol https:');
    });

    it('rejects another protocol and names the accepted ones', () => {
      expect(rejected('LDAP_URL', 'https://dc01.plant.example')).toEqual({
        problem: '"https://dc01.plant.example" has protocol https:',
        fix: 'use a URL starting with ldap: or ldaps://',
      });
      expect(rejected('ZABBIX_URL', 'ftp://zabbix.plant.example').fix).toBe('use a URL starting with http: or https://');
    });

    it('rejects a bare host name and shows a full example', () => {
      const { problem, fix } = rejected('ZABBIX_URL', 'zabbix.plant.example');
      expect(problem).toBe('"zabbix.plant.example" is not a URL');
      expect(fix).toContain('https://zabbix.plant.example/api_jsonrpc.php');
    });
  });

  describe('origins', () => {
    it('reads a comma-separated list and drops a trailing slash', () => {
      expect(accepted('CORS_ORIGINS', 'https://shopdb.plant.example/, http://localhost:5173')).toEqual([
        'https://shopdb.plant.example',
        'http://localhost:5173',
      ]);
    });

    it('reads empty as no origin and keeps * for the production rules to judge', () => {
      expect(accepted('CORS_ORIGINS', '')).toEqual([]);
      expect(accepted('CORS_ORIGINS', '*')).toEqual(['*']);
    });

    it.each(['https://shopdb.plant.example/app', 'shopdb.plant.example', 'ftp://shopdb.plant.example', 'https://a.example?x=1'])(
      'rejects %j, naming the entry and the expected form',
      (entry) => {
        const { problem, fix } = rejected('CORS_ORIGINS', `https://ok.example,${entry}`);
        expect(problem).toBe(`"${entry}" is not an origin`);
        expect(fix).toContain('scheme://host[:port]');
      },
    );
  });

  describe('role map (JSON)', () => {
    it('reads a JSON object of group → role', () => {
      const raw = '{"CN=ShopDB-Admins,OU=Groups,DC=plant":"admin","CN=Floor,OU=Groups,DC=plant":"viewer"}';
      expect(accepted('LDAP_GROUP_ROLE_MAP', raw)).toEqual({
        'CN=ShopDB-Admins,OU=Groups,DC=plant': 'admin',
        'CN=Floor,OU=Groups,DC=plant': 'viewer',
      });
      expect(accepted('LDAP_GROUP_ROLE_MAP', '{}')).toEqual({});
    });

    it('rejects invalid JSON and says to single-quote it in the .env', () => {
      const { problem, fix } = rejected('LDAP_GROUP_ROLE_MAP', '{CN=Admins:admin}');
      expect(problem).toBe('is not valid JSON');
      expect(fix).toContain('single-quote it in .env');
    });

    it.each(['["admin"]', 'null', '"admin"', '42'])('rejects %j as not a JSON object', (raw) => {
      expect(rejected('LDAP_GROUP_ROLE_MAP', raw).problem).toBe('is not a JSON object');
    });

    it('rejects an unknown role and lists the known ones', () => {
      expect(rejected('LDAP_GROUP_ROLE_MAP', '{"CN=Admins":"root"}')).toEqual({
        problem: 'group "CN=Admins" maps to unknown role "root"',
        fix: 'use one of: admin, editor, viewer',
      });
      expect(rejected('LDAP_GROUP_ROLE_MAP', '{"CN=Admins":1}').problem).toContain('unknown role 1');
    });

    it('keeps commas and equals signs inside a DN, escaped ones too, and the order the rules are written in', () => {
      const raw = '{"CN=Shop\\\\, Hangar 2,OU=Groups,DC=plant":"editor","CN=A=B,DC=plant":"admin"}';
      expect(Object.entries(accepted('LDAP_GROUP_ROLE_MAP', raw) as object)).toEqual([
        ['CN=Shop\\, Hangar 2,OU=Groups,DC=plant', 'editor'],
        ['CN=A=B,DC=plant', 'admin'],
      ]);
    });

    it('rejects a group that is not a DN, naming the fix', () => {
      expect(rejected('LDAP_GROUP_ROLE_MAP', '{"ShopDB-Admins":"admin"}')).toEqual({
        problem: 'key "ShopDB-Admins" is not a group DN',
        fix: 'write each group as its full DN, e.g. "CN=ShopDB-Admins,OU=Groups,DC=plant,DC=example"',
      });
    });
  });

  describe('trust proxy', () => {
    it.each([
      ['false', false],
      ['true', true],
      ['2', 2],
      ['10.0.0.0/8, 192.168.1.10', ['10.0.0.0/8', '192.168.1.10']],
      ['::1,fd00::/8', ['::1', 'fd00::/8']],
    ])('reads %j', (raw, value) => {
      expect(accepted('TRUST_PROXY', raw)).toEqual(value);
    });

    it.each(['10.0.0.0/33', '10.0.0.300', 'proxy.plant.example', '::1/129', '10.0.0.0/', '10.0.0.0/8/1', '10.0.0.0/0x8', '10.0.0.0/-1'])(
      'rejects %j as not an IP or CIDR',
      (raw) => {
        const { problem, fix } = rejected('TRUST_PROXY', `192.168.1.10,${raw}`);
        expect(problem).toBe(`"${raw}" is not an IP address or CIDR range`);
        expect(fix).toContain('10.0.0.0/8');
      },
    );
  });

  it('passes secrets and paths through untouched and splits lists', () => {
    expect(accepted('JWT_SECRET', ' spaced #secret ')).toBe(' spaced #secret ');
    expect(accepted('BACKUP_DIR', '../backups')).toBe('../backups');
    expect(accepted('SHOPDB_DEFAULT_PLUGINS', 'equipment, printers,,network ')).toEqual(['equipment', 'printers', 'network']);
  });
});

describe('closestName', () => {
  const known = CONFIG_VAR_NAMES;

  it.each([
    ['DB_HOTS', 'DB_HOST'],
    ['JWT_SECERT', 'JWT_SECRET'],
    ['HTTP_PROT', 'HTTP_PORT'],
    ['SHOPDB_SITENAME', 'SHOPDB_SITE_NAME'],
  ])('suggests %s → %s', (typo, name) => {
    expect(closestName(typo, known)).toBe(name);
  });

  it('suggests nothing for a name that is not close to any', () => {
    expect(closestName('PAYROLL_EXPORT_PATH', known)).toBeUndefined();
  });
});
