// For the user and token command suites: a migrated (unseeded) site, and a check that output
// carries no password hash and no token other than the one allowed.

import { expect } from 'vitest';
import { migrateSite } from '../../src/core/migrations/site.js';
import { createSite, type EngineName, type TestSite } from './site.js';

export async function createMigratedSite(engine: EngineName): Promise<TestSite> {
  const site = await createSite(engine);
  await migrateSite({ config: site.config() });
  return site;
}

/** No scrypt hash, no hash-named field, no shopdb_ token except `allowedToken`. */
export function expectNoSecrets(text: string, allowedToken?: string): void {
  expect(text).not.toMatch(/scrypt\$/);
  expect(text).not.toMatch(/password_?hash|token_?hash/i);
  const tokens = text.match(/shopdb_[A-Za-z0-9_-]{43}/g) ?? [];
  expect(tokens.filter((token) => token !== allowedToken)).toEqual([]);
}
