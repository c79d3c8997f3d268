// Turns the raw string of one variable into its typed value, or into a problem that names the
// fix. One function per type, chosen by the schema's `type`.

import { isIP } from 'node:net';
import { ROLE_NAMES, type VarSpec } from './schema.js';

export type ParseResult = { ok: true; value: unknown } | { ok: false; problem: string; fix: string };

const ok = (value: unknown): ParseResult => ({ ok: true, value });
const bad = (problem: string, fix: string): ParseResult => ({ ok: false, problem, fix });

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);
const DURATION = /^(\d+)\s*(ms|s|m|h|d)?$/i;
const DURATION_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

export function parseBoolean(raw: string): boolean | undefined {
  const word = raw.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  return undefined;
}

/** Seconds, from "90", "90s", "15m", "8h", "1d" or "500ms". */
export function parseDuration(raw: string): number | undefined {
  const match = DURATION.exec(raw.trim());
  if (!match) return undefined;
  const unit = (match[2] ?? 's').toLowerCase();
  return Number(match[1]) * (DURATION_SECONDS[unit] ?? 1);
}

export function parseList(raw: string): string[] {
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

function parseInteger(raw: string, spec: VarSpec, min: number, max: number): ParseResult {
  const text = raw.trim();
  if (!/^-?\d+$/.test(text)) return bad(`"${raw}" is not a whole number`, `set a whole number from ${min} to ${max}`);
  const value = Number(text);
  if (value < min || value > max) return bad(`${value} is out of range`, `set a whole number from ${min} to ${max}`);
  return ok(value);
}

function parseOrigin(origin: string): string | undefined {
  if (origin === '*') return origin;
  try {
    const url = new URL(origin);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    if (url.origin !== origin.replace(/\/$/, '')) return undefined;
    return url.origin;
  } catch {
    return undefined;
  }
}

function isCidrOrIp(entry: string): boolean {
  const [address, bits, ...rest] = entry.split('/');
  if (rest.length > 0 || address === undefined) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (bits === undefined) return true;
  // Digits only: Number('') is 0 and Number('0x8') is 8, neither is a prefix length.
  if (!/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

/** Parses one raw value according to its spec. Empty strings are handled by the caller. */
export function parseValue(raw: string, spec: VarSpec): ParseResult {
  switch (spec.type) {
    case 'string':
      return spec.pattern && !spec.pattern.regex.test(raw) ? bad(`"${raw}" is not allowed`, `use ${spec.pattern.hint}`) : ok(raw);
    case 'secret':
    case 'path':
      return ok(raw);
    case 'int':
      return parseInteger(raw, spec, spec.min ?? Number.MIN_SAFE_INTEGER, spec.max ?? Number.MAX_SAFE_INTEGER);
    case 'port':
      return parseInteger(raw, spec, spec.min ?? 1, spec.max ?? 65535);
    case 'boolean': {
      const value = parseBoolean(raw);
      return value === undefined ? bad(`"${raw}" is not true or false`, 'set true or false') : ok(value);
    }
    case 'enum': {
      const choices = spec.choices ?? [];
      const value = raw.trim().toLowerCase();
      return choices.includes(value) ? ok(value) : bad(`"${raw}" is not allowed`, `set one of: ${choices.join(', ')}`);
    }
    case 'duration': {
      const value = parseDuration(raw);
      if (value === undefined || value <= 0) return bad(`"${raw}" is not a duration`, 'set a number with a unit, e.g. 30s, 15m, 8h or 1d');
      return spec.max !== undefined && value > spec.max
        ? bad(`"${raw}" is longer than ${spec.max}s`, `set at most ${spec.max}s`)
        : ok(value);
    }
    case 'url':
      return parseUrl(raw, spec);
    case 'url-list': {
      const urls: string[] = [];
      for (const entry of parseList(raw)) {
        const parsed = parseUrl(entry, spec);
        if (!parsed.ok) return parsed;
        urls.push(parsed.value as string);
      }
      return urls.length > 0
        ? ok(urls)
        : bad('holds no URL', `set one or more comma-separated URLs such as ${spec.example ?? 'ldaps://host.example'}`);
    }
    case 'list':
      return ok(parseList(raw));
    case 'origins': {
      const origins: string[] = [];
      for (const entry of parseList(raw)) {
        const origin = parseOrigin(entry);
        if (origin === undefined) {
          return bad(`"${entry}" is not an origin`, 'list origins as scheme://host[:port], e.g. https://shopdb.plant.example');
        }
        origins.push(origin);
      }
      return ok(origins);
    }
    case 'role-map': {
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        return bad('is not valid JSON', `write a JSON object such as ${spec.example ?? '{}'} (single-quote it in .env)`);
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        return bad('is not a JSON object', `write a JSON object such as ${spec.example ?? '{}'}`);
      }
      for (const [group, role] of Object.entries(parsed)) {
        // A group is named by its DN; a bare name ("ShopDB-Admins") would never match.
        if (!/^[^=,]+=[^=]/.test(group.trim())) {
          return bad(
            `key "${group}" is not a group DN`,
            'write each group as its full DN, e.g. "CN=ShopDB-Admins,OU=Groups,DC=plant,DC=example"',
          );
        }
        if (!(ROLE_NAMES as readonly unknown[]).includes(role)) {
          return bad(`group "${group}" maps to unknown role ${JSON.stringify(role)}`, `use one of: ${ROLE_NAMES.join(', ')}`);
        }
      }
      return ok(parsed);
    }
    case 'trust-proxy': {
      const flag = parseBoolean(raw);
      if (flag !== undefined) return ok(flag);
      if (/^\d+$/.test(raw.trim())) return ok(Number(raw.trim()));
      const entries = parseList(raw);
      const wrong = entries.find((entry) => !isCidrOrIp(entry));
      return wrong === undefined && entries.length > 0
        ? ok(entries)
        : bad(`"${wrong ?? raw}" is not an IP address or CIDR range`, 'set false, true, a hop count, or IPs/CIDRs such as 10.0.0.0/8');
    }
  }
}

function parseUrl(raw: string, spec: VarSpec): ParseResult {
  try {
    const url = new URL(raw.trim());
    if (spec.protocols && !spec.protocols.includes(url.protocol)) {
      return bad(`"${raw}" has protocol ${url.protocol}`, `use a URL starting with ${spec.protocols.join(' or ')}//`);
    }
    return ok(url.toString());
  } catch {
    return bad(`"${raw}" is not a URL`, `set a full URL such as ${spec.example?.split(',')[0] ?? 'https://host.example'}`);
  }
}

/** Levenshtein distance, for "did you mean" on misspelt variable names. */
export function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0]!;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j]!;
      previous[j] = Math.min(above + 1, previous[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return previous[b.length]!;
}

/** The known name closest to `name`, if it is close enough to be a typo. */
export function closestName(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 4)) ? best : undefined;
}
