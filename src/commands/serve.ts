import { BaseCommand } from '../cli/base-command.js';
import { assertConfigUsable } from '../core/config/index.js';
import type { ServerStopped } from '../api/server.js';

export default class Serve extends BaseCommand {
  static override summary = 'Run the HTTP API until SIGTERM or Ctrl-C.';
  static override description = `Listens on HTTP_HOST:HTTP_PORT and writes JSON logs (LOG_LEVEL) to stderr. In production mode it refuses to start on an unsafe configuration (exit 2, listing every problem). If the database cannot be reached it keeps running and retrying; /api/ready answers 503 with the reason meanwhile. On SIGTERM or SIGINT it stops accepting connections, lets requests in flight finish, closes the database pool and exits 0.`;
  static override examples = [
    '<%= config.bin %> serve',
    '<%= config.bin %> serve --env-file /srv/shopdb/.env',
    {
      description: 'On another port, with debug logs (the environment wins over the .env):',
      command: 'HTTP_PORT=9000 LOG_LEVEL=debug <%= config.bin %> serve',
    },
  ];
  static override enableJsonFlag = true;

  async run(): Promise<ServerStopped> {
    const { flags } = await this.parse(Serve);
    const config = this.loadSiteConfig(flags);
    assertConfigUsable(config);
    // Fastify and the database drivers load only now, never for `--help`.
    const { startServer } = await import('../api/server.js');
    const server = await startServer({ config });
    const stopped = await server.stopped;
    this.ui.result(`Stopped after ${stopped.uptimeSeconds} s (${stopped.stoppedBy}).`);
    return stopped;
  }
}
