import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import type { FleetSiteListing } from '../../core/fleet/fleet-file.js';

export default class FleetRemove extends BaseCommand {
  static override allowsInterruptedRestore = true;
  static override summary =
    'Remove a site from the fleet, with its last-known summary. The token stays valid on the site: revoke it there.';
  static override examples = ['<%= config.bin %> fleet remove plant-2'];
  static override enableJsonFlag = true;
  static override args = {
    name: Args.string({ required: true, description: "The site's name in the fleet (`shopdb fleet list`)." }),
  };

  async run(): Promise<{ site: FleetSiteListing; fleetFile: string }> {
    const { args, flags } = await this.parse(FleetRemove);
    const config = this.loadSiteConfig(flags);
    const { fleetFileOf, removeFleetSite } = await import('../../core/fleet/fleet-file.js');
    const fleetFile = fleetFileOf(config);
    const site = await removeFleetSite(fleetFile, args.name);
    this.ui.result(
      `Removed ${site.name} (${site.url}) from ${fleetFile}. Revoke its token on the site: shopdb user token revoke ${site.tokenPrefix}`,
    );
    return { site, fleetFile };
  }
}
