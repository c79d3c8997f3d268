// The production rules: what `shopdb serve` (and `doctor`, `config check`) refuse to run with
// when SHOPDB_ENV=production. Every problem is reported at once, each naming its variable.

import { ConfigError, type ConfigProblem } from '../errors.js';
import { conditionHolds, type ConfigInspection, type LoadedConfig } from './load.js';
import { CONFIG_VAR_NAMES, specOf, type ConfigVarName } from './schema.js';
import { estimatedSecretBits, looksLikePlaceholder } from './secret-strength.js';

/** A template leftover (secret-strength.ts), or the value .env.example shows for it. */
export function isPlaceholderSecret(value: string, example?: string): boolean {
  return looksLikePlaceholder(value) || (example !== undefined && value === example);
}

const GENERATE_HINT = 'openssl rand -base64 48';

/** Why production would refuse this value of a secret (placeholder, too short, too predictable), if it would. */
export function secretWeakness(name: ConfigVarName, value: string): ConfigProblem | undefined {
  const spec = specOf(name);
  if (value === '') return { variable: name, problem: 'is empty', fix: `set ${name} or ${name}_FILE` };
  if (isPlaceholderSecret(value, spec.example)) {
    return { variable: name, problem: 'still has a placeholder value', fix: `replace it with a strong random value (${GENERATE_HINT})` };
  }
  if (spec.minLength !== undefined && value.length < spec.minLength) {
    return {
      variable: name,
      problem: `is shorter than ${spec.minLength} characters`,
      fix: `use at least ${spec.minLength} random characters (${GENERATE_HINT})`,
    };
  }
  if (spec.minStrengthBits !== undefined && estimatedSecretBits(value) < spec.minStrengthBits) {
    // The estimate itself is not shown: it would tell an attacker how close a guess is.
    return {
      variable: name,
      problem: 'is too predictable (repeated characters or words, or a run such as abcd or 1234)',
      fix: `replace it with a generated value (${GENERATE_HINT}, or \`shopdb init --force\`)`,
    };
  }
  return undefined;
}

export function productionProblems(config: LoadedConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const raw = (name: string): string | undefined => {
    const value = config.values[name as ConfigVarName];
    return value === undefined ? undefined : Array.isArray(value) ? value.join(',') : String(value);
  };

  for (const name of CONFIG_VAR_NAMES) {
    const spec = specOf(name);
    const value = config.values[name];
    const required =
      spec.requiredInProduction === true || (spec.requiredInProduction !== undefined && conditionHolds(spec.requiredInProduction, raw));
    if (required && (value === undefined || value === '')) {
      const fix = spec.generate
        ? `set ${name} (\`shopdb init\` generates one; or: openssl rand -base64 48)`
        : `set ${name}${spec.type === 'secret' ? ` or ${name}_FILE` : ''}`;
      problems.push({ variable: name, problem: 'is required in production but not set', fix });
      continue;
    }
    if (spec.type !== 'secret' || typeof value !== 'string' || !required) continue;
    const weakness = secretWeakness(name, value);
    if (weakness) problems.push(weakness);
  }

  if (config.values.CORS_ORIGINS.includes('*')) {
    problems.push({
      variable: 'CORS_ORIGINS',
      problem: 'allows every origin (*)',
      fix: 'list the exact origins, e.g. https://shopdb.plant.example',
    });
  }
  if (!config.values.COOKIE_SECURE) {
    problems.push({
      variable: 'COOKIE_SECURE',
      problem: 'is false, so the session cookie would travel over plain HTTP',
      fix: 'set COOKIE_SECURE=true and serve shopdb behind HTTPS',
    });
  }
  if (config.values.LDAP_ENABLED && Object.keys(config.values.LDAP_GROUP_ROLE_MAP).length === 0) {
    problems.push({
      variable: 'LDAP_GROUP_ROLE_MAP',
      problem: 'grants no role to any group, so no directory user could log in',
      fix: 'map at least one group DN to a role, e.g. {"CN=ShopDB-Users,OU=Groups,DC=plant,DC=example":"viewer"}',
    });
  }
  if (config.values.LDAP_ENABLED && config.values.LDAP_TLS === 'none' && !config.values.LDAP_ALLOW_PLAINTEXT) {
    problems.push({
      variable: 'LDAP_TLS',
      problem: 'is none, so directory passwords would cross the network unencrypted',
      fix: 'set LDAP_TLS=ldaps (ldaps:// URLs) or LDAP_TLS=starttls; only a lab sets LDAP_ALLOW_PLAINTEXT=true',
    });
  }
  return problems;
}

/** The directory settings that only make sense together (see src/core/auth/directory/settings.ts). */
function directoryProblems(config: LoadedConfig): ConfigProblem[] {
  const v = config.values;
  if (!v.LDAP_ENABLED) return [];
  const problems: ConfigProblem[] = [];
  const urls = v.LDAP_URL ?? [];
  const wantedScheme = v.LDAP_TLS === 'ldaps' ? 'ldaps:' : 'ldap:';
  const mismatched = urls.filter((url) => !url.startsWith(wantedScheme));
  if (mismatched.length > 0) {
    problems.push({
      variable: 'LDAP_URL',
      problem: `${mismatched.join(', ')} does not fit LDAP_TLS=${v.LDAP_TLS} (which needs ${wantedScheme}// URLs)`,
      fix:
        v.LDAP_TLS === 'ldaps'
          ? 'use ldaps://host:636 URLs, or set LDAP_TLS=starttls for ldap:// ones'
          : 'use ldap://host:389 URLs, or set LDAP_TLS=ldaps for ldaps:// ones',
    });
  }
  // The whole directory part of a login must end before the HTTP server gives up on the request:
  // otherwise a hung directory turns into a dropped connection (a 502 at the proxy), not a 503.
  const worstCaseSeconds = Math.max(1, urls.length) * (v.LDAP_CONNECT_TIMEOUT + v.LDAP_TIMEOUT);
  if (worstCaseSeconds >= v.HTTP_REQUEST_TIMEOUT) {
    problems.push({
      variable: 'LDAP_TIMEOUT',
      problem: `${Math.max(1, urls.length)} server(s) × (LDAP_CONNECT_TIMEOUT + LDAP_TIMEOUT) is ${worstCaseSeconds} s, not below HTTP_REQUEST_TIMEOUT (${v.HTTP_REQUEST_TIMEOUT} s)`,
      fix: 'shorten LDAP_CONNECT_TIMEOUT or LDAP_TIMEOUT (e.g. 3s and 5s), list fewer servers, or raise HTTP_REQUEST_TIMEOUT',
    });
  }
  return problems;
}

/** Rules that hold in every mode (combinations the parser alone cannot see). */
export function consistencyProblems(config: LoadedConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (config.values.COOKIE_SAMESITE === 'none' && !config.values.COOKIE_SECURE) {
    problems.push({
      variable: 'COOKIE_SAMESITE',
      problem: 'is none while COOKIE_SECURE is false (browsers drop such cookies)',
      fix: 'set COOKIE_SECURE=true or COOKIE_SAMESITE=lax',
    });
  }
  problems.push(...directoryProblems(config));
  return problems;
}

/** All problems that apply in the configured mode. */
export function configProblems(config: LoadedConfig): ConfigProblem[] {
  const problems = consistencyProblems(config);
  if (config.values.SHOPDB_ENV === 'production') problems.push(...productionProblems(config));
  return problems;
}

/** Throws one ConfigError listing every problem, or returns quietly. */
export function assertConfigUsable(config: LoadedConfig): void {
  const problems = configProblems(config);
  if (problems.length === 0) return;
  const where = config.envFileFound ? config.envFile : 'the environment';
  throw new ConfigError(
    `The configuration is not safe to run in ${config.values.SHOPDB_ENV} mode: ${problems.length} problem${problems.length === 1 ? '' : 's'}`,
    problems,
    {
      suggestion: `Fix them in ${where}. \`shopdb init --force\` writes a fresh .env with generated secrets (keeping a backup of the old one).`,
    },
  );
}

/**
 * Every problem at once, for `config check` and `doctor`: what stops the configuration loading,
 * then the rules of its mode for the variables that did load (a variable already named is not
 * named twice).
 */
export function allConfigProblems(inspection: ConfigInspection): ConfigProblem[] {
  const named = new Set(inspection.problems.map((p) => p.variable.replace(/ \(line \d+\)$/, '').replace(/_FILE$/, '')));
  const rules = configProblems(inspection.config).filter((p) => !named.has(p.variable));
  return [...inspection.problems, ...rules];
}

/** `config check`: the configuration when it loads and meets the rules of its mode; otherwise one ConfigError listing everything. */
export function checkedConfig(inspection: ConfigInspection): LoadedConfig {
  if (inspection.problems.length === 0) {
    assertConfigUsable(inspection.config);
    return inspection.config;
  }
  const problems = allConfigProblems(inspection);
  const { config } = inspection;
  const where = config.envFileFound ? config.envFile : 'the environment';
  throw new ConfigError(
    `The configuration has ${problems.length} problem${problems.length === 1 ? '' : 's'} (${config.values.SHOPDB_ENV} mode, ${where})`,
    problems,
    { suggestion: `Fix ${problems.length === 1 ? 'it' : 'each one'} in ${where} and run the command again.` },
  );
}

export interface ConfigEntry {
  name: string;
  /** Secrets are shown as '(set)' or null, never their value. */
  value: string | number | boolean | string[] | Record<string, string> | null;
  source: string;
  secret: boolean;
}

/** The effective configuration, safe to print or emit as JSON: secrets are masked. */
export function describeConfig(config: LoadedConfig): ConfigEntry[] {
  return CONFIG_VAR_NAMES.filter((name) => !specOf(name).environmentOnly).map((name) => {
    const secret = specOf(name).type === 'secret';
    const value = config.values[name];
    return {
      name,
      value: secret ? (value ? '(set)' : null) : ((value ?? null) as ConfigEntry['value']),
      source: config.sources[name],
      secret,
    };
  });
}
