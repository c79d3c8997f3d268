import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import type { MigrateResult } from '../core/migrations/site.js';
import type { ServiceState, UpContext } from '../core/deploy/index.js';

export interface UpResult {
  url: string;
  services: ServiceState[];
  migrate: MigrateResult | null;
}

export default class Up extends BaseCommand {
  static override summary = "Start the site's Docker stack, wait until it is healthy, and apply migrations in it.";
  static override description =
    'Runs `docker compose up -d` next to the site .env, waits for MySQL to be healthy, runs `shopdb migrate` inside the api container, then waits until every service passes its health check. Stops with a message naming what to install or start when docker, its compose plugin or its daemon is missing, and with exit code 2 naming the variable when the .env lacks a required secret. See docs/DEPLOY.md.';
  static override examples = [
    '<%= config.bin %> up',
    '<%= config.bin %> up --build --timeout 600',
    '<%= config.bin %> up --no-migrate --json',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    timeout: Flags.integer({ summary: 'Seconds to wait for the services to become healthy.', default: 300, min: 1 }),
    migrate: Flags.boolean({ summary: 'Apply migrations in the api container (--no-migrate to skip).', default: true, allowNo: true }),
    build: Flags.boolean({ summary: 'Rebuild the api image from this checkout before starting.' }),
  };

  async run(): Promise<UpResult> {
    const { flags } = await this.parse(Up);
    const config = this.loadSiteConfig(flags);
    const { ComposeRunner, composeProjectOf, upSteps } = await import('../core/deploy/index.js');
    const runner = new ComposeRunner(composeProjectOf(config, this.env));
    const steps = upSteps({ runner, timeoutSeconds: flags.timeout, migrate: flags.migrate, build: flags.build === true });
    const ctx = await this.ui.tasks<UpContext>(steps, { services: [], migrate: null });

    for (const s of ctx.services) this.ui.result(`${s.service.padEnd(6)} ${s.health || s.state}  ${s.image}`);
    const url = `http://${config.values.SHOPDB_BIND_ADDRESS}:${config.values.HTTP_PORT}`;
    this.ui.result(`The stack is up: the API answers on ${url} (put the TLS proxy in front of it).`);
    return { url, services: ctx.services, migrate: ctx.migrate };
  }
}
