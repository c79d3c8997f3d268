import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { UsageError } from '../../core/errors.js';
import type { FleetSiteListing } from '../../core/fleet/fleet-file.js';

export default class FleetAdd extends BaseCommand {
  static override allowsInterruptedRestore = true;
  static override summary = 'Add a site to the fleet this central instance pulls; its summary:read token comes on stdin.';
  static override description =
    'The token is written to the fleet file (FLEET_FILE, mode 0600) and nowhere else: never pass it as an argument. Create it on the site with `shopdb user token create <user> --name <what> --scope summary:read`; such a token reads GET /api/summary and nothing else.';
  static override examples = [
    'ssh plant2 shopdb user token create fleet --name corporate --scope summary:read | <%= config.bin %> fleet add plant-2 https://shopdb.plant2.example --token-stdin',
    '<%= config.bin %> fleet add plant-3 http://10.3.0.5:3000 --token-stdin < plant-3.token',
  ];
  static override enableJsonFlag = true;
  static override args = {
    name: Args.string({ required: true, description: 'What the fleet calls the site (letters, digits, - and _).' }),
    url: Args.string({ required: true, description: "The site's base URL, e.g. https://shopdb.plant2.example." }),
  };
  static override flags = {
    'token-stdin': Flags.boolean({ summary: "Read the site's summary:read API token from stdin (required)." }),
  };

  async run(): Promise<{ site: FleetSiteListing; fleetFile: string }> {
    const { args, flags } = await this.parse(FleetAdd);
    if (!flags['token-stdin']) {
      throw new UsageError("The site's token must come through --token-stdin", {
        suggestion: 'Pipe it in: printf %s "$TOKEN" | shopdb fleet add NAME URL --token-stdin (a token in argv is visible in `ps`).',
      });
    }
    const config = this.loadSiteConfig(flags);
    const [{ readSecretFromStdin }, { addFleetSite, fleetFileOf }] = await Promise.all([
      import('../../cli/stdin.js'),
      import('../../core/fleet/fleet-file.js'),
    ]);
    const token = await readSecretFromStdin("the site's API token");
    const fleetFile = fleetFileOf(config);
    const site = await addFleetSite({ fleetFile, name: args.name, url: args.url, token });
    this.ui.result(`Added ${site.name} (${site.url}, token ${site.tokenPrefix}…) to ${fleetFile}.`);
    return { site, fleetFile };
  }
}
