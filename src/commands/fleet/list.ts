import { BaseCommand } from '../../cli/base-command.js';
import type { FleetSiteListing } from '../../core/fleet/fleet-file.js';

export default class FleetList extends BaseCommand {
  static override allowsInterruptedRestore = true;
  static override summary = "List the sites of the fleet: name, URL, the token's prefix (never the token), when added.";
  static override examples = ['<%= config.bin %> fleet list', '<%= config.bin %> fleet list --json'];
  static override enableJsonFlag = true;

  async run(): Promise<{ fleetFile: string; sites: FleetSiteListing[] }> {
    const { flags } = await this.parse(FleetList);
    const config = this.loadSiteConfig(flags);
    const [{ fleetFileOf, listingOf, readFleetFile }, { printTable }] = await Promise.all([
      import('../../core/fleet/fleet-file.js'),
      import('../../cli/users.js'),
    ]);
    const fleetFile = fleetFileOf(config);
    const { sites, warnings } = await readFleetFile(fleetFile);
    for (const warning of warnings) this.ui.warn(warning);
    const listings = sites.map(listingOf);
    if (listings.length === 0) {
      this.ui.info(`No sites in ${fleetFile}: add one with \`shopdb fleet add NAME URL --token-stdin\`.`);
      return { fleetFile, sites: listings };
    }
    printTable(
      this.ui,
      ['NAME', 'URL', 'TOKEN', 'ADDED'],
      listings.map((s) => [s.name, s.url, `${s.tokenPrefix}…`, s.addedAt.slice(0, 10)]),
    );
    return { fleetFile, sites: listings };
  }
}
