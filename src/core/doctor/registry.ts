// `shopdb doctor` is a registry of checks. Each check says when it matters (its tags); `update`
// runs the checks of its tag as a pre-flight (`doctor --tag <tag>` runs any tag), and the site's
// enabled plugins add theirs (the manifest's `doctor`, registered by ./plugin-checks.ts).

import type { Knex } from 'knex';
import type { LoadedConfig } from '../config/index.js';
import type { DatabaseLogger } from '../db/connect.js';
import { asShopdbError, type ShopdbError } from '../errors.js';

export const CHECK_TAGS = ['install', 'start', 'update', 'backup'] as const;
export type CheckTag = (typeof CHECK_TAGS)[number];

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface CheckOutcome {
  status: CheckStatus;
  message: string;
  suggestion?: string;
  /** Extra facts for --json (versions, paths); never a secret. */
  data?: Record<string, unknown>;
}

/** What checks share: the configuration (or why it failed to load) and one lazily opened database. */
export interface DoctorContext {
  config: LoadedConfig | null;
  configError: ShopdbError | null;
  logger?: DatabaseLogger;
  /** The process PATH, for finding client tools. */
  path: string;
  /** Opens the database once; later checks reuse it. Throws the translated connection error. */
  database(): Promise<Knex>;
}

export interface DoctorCheck {
  id: string;
  title: string;
  tags: readonly CheckTag[];
  run(context: DoctorContext): Promise<CheckOutcome>;
}

export interface CheckReport extends CheckOutcome {
  id: string;
  title: string;
  tags: readonly CheckTag[];
}

export interface DoctorReport {
  ok: boolean;
  tags: CheckTag[] | 'all';
  counts: Record<CheckStatus, number>;
  checks: CheckReport[];
}

export class DoctorRegistry {
  private readonly checks: DoctorCheck[] = [];

  register(check: DoctorCheck): this {
    if (this.checks.some((existing) => existing.id === check.id)) throw new Error(`Doctor check ${check.id} is registered twice`);
    this.checks.push(check);
    return this;
  }

  /** Checks carrying any of `tags` (all checks when none given), in registration order. */
  select(tags?: readonly CheckTag[]): DoctorCheck[] {
    if (!tags || tags.length === 0) return [...this.checks];
    return this.checks.filter((check) => check.tags.some((tag) => tags.includes(tag)));
  }
}

/** Runs the selected checks one after another; a check that throws is reported as failed. */
export async function runChecks(checks: readonly DoctorCheck[], context: DoctorContext, tags?: readonly CheckTag[]): Promise<DoctorReport> {
  const reports: CheckReport[] = [];
  for (const check of checks) {
    let outcome: CheckOutcome;
    try {
      outcome = await check.run(context);
    } catch (error) {
      const failure = asShopdbError(error);
      outcome = { status: 'fail', message: failure.message, suggestion: failure.suggestion };
    }
    reports.push({ id: check.id, title: check.title, tags: check.tags, ...outcome });
  }
  const counts: Record<CheckStatus, number> = { pass: 0, warn: 0, fail: 0, skip: 0 };
  for (const report of reports) counts[report.status]++;
  return { ok: counts.fail === 0, tags: tags && tags.length > 0 ? [...tags] : 'all', counts, checks: reports };
}
