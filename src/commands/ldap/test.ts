import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import type { DirectoryTestReport } from '../../core/auth/directory/diagnose.js';
import { ExitCode, UsageError } from '../../core/errors.js';

export default class LdapTest extends BaseCommand {
  static override summary = 'Check the directory login step by step, on every configured server.';
  static override description = `For each LDAP_URL in turn: reachable, TLS (protocol, certificate, issuer, expiry, whether LDAP_CA_FILE verifies it), the service bind, the base DNs; with USERNAME also the exact filter sent, the entry, its direct and nested groups and the query that found each, the rule that matched and the role, the account flags; with --password-stdin also the user's own bind (AD's sub-code in words). Every failed step names its fix. Exit code ${ExitCode.FAILED} when any step fails.`;
  static override examples = [
    '<%= config.bin %> ldap test',
    '<%= config.bin %> ldap test jdoe --json',
    {
      description: "Also check the user's password (read from stdin, never from argv):",
      command: 'printf %s "$PW" | <%= config.bin %> ldap test jdoe --password-stdin',
    },
  ];
  static override enableJsonFlag = true;
  static override args = {
    username: Args.string({ required: false, description: 'A login name to look up as a login would.' }),
  };
  static override flags = {
    'password-stdin': Flags.boolean({ summary: "Read USERNAME's password from stdin and try the user's bind." }),
  };

  async run(): Promise<DirectoryTestReport> {
    const { args, flags } = await this.parse(LdapTest);
    if (flags['password-stdin'] && args.username === undefined)
      throw new UsageError('--password-stdin needs a USERNAME', {
        suggestion: 'Name the user whose password to check: `shopdb ldap test jdoe --password-stdin`.',
      });
    const config = this.loadSiteConfig(flags);
    const { requireDirectorySettings } = await import('../../core/auth/directory/settings.js');
    const { testDirectory } = await import('../../core/auth/directory/diagnose.js');
    const { readSecretFromStdin } = await import('../../cli/stdin.js');
    const settings = requireDirectorySettings(config);
    const password = flags['password-stdin'] ? await readSecretFromStdin(`the password of ${args.username}`) : undefined;
    const report = await testDirectory(settings, { username: args.username, password });

    const { chalk } = this.ui;
    for (const server of report.servers) {
      this.ui.result(`${server.ok ? chalk.green('ok  ') : chalk.red('FAIL')}  ${server.url}`);
      for (const step of server.steps) {
        this.ui.result(`      ${step.ok ? chalk.green('ok  ') : chalk.red('FAIL')}  ${step.step}: ${step.message}`);
        if (step.fix) this.ui.result(`              ${chalk.cyan('Fix:')} ${step.fix}`);
      }
      const groups = server.user?.groups;
      if (groups) {
        for (const query of groups.queries)
          this.ui.result(
            `            ${query.purpose}: ${query.filter} under ${query.base} → ${query.found.length === 0 ? 'none' : query.found.join('; ')}`,
          );
      }
    }
    if (!report.ok) process.exitCode = ExitCode.FAILED;
    return report;
  }
}
