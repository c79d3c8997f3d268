import { Flags } from '@oclif/core';
import { isAbsolute, resolve } from 'node:path';
import { BaseCommand } from '../cli/base-command.js';
import { readSecretFromStdin } from '../cli/stdin.js';
import { specOf, type ConfigVarName } from '../core/config/schema.js';
import { UsageError } from '../core/errors.js';
import {
  assertInitAnswers,
  assertInitTarget,
  initQuestions,
  questionApplies,
  validateAnswer,
  type InitAnswers,
  type InitResult,
} from '../core/init/service.js';

/** The answers a question offers: its schema choices, or false/true for a yes-or-no setting. */
function choicesOf(name: ConfigVarName): readonly string[] | undefined {
  const spec = specOf(name);
  return spec.choices ?? (spec.type === 'boolean' ? ['false', 'true'] : undefined);
}

// One flag per init question, straight from the config schema.
const questionFlags = Object.fromEntries(
  initQuestions().map((name) => {
    const choices = choicesOf(name);
    const flag = choices
      ? Flags.string({ summary: `${specOf(name).init!.message} (${name}).`, options: [...choices] })
      : Flags.string({ summary: `${specOf(name).init!.message} (${name}).` });
    return [specOf(name).init!.flag, flag];
  }),
);

export default class Init extends BaseCommand {
  static override summary = 'Write a site .env with generated secrets (asks on a terminal; --yes for scripts).';
  static override description =
    'Creates the site configuration (mode 0600). Never replaces an existing file without --force, and then keeps the old one as .env.bak-<time>. The default database is an embedded SQLite file under ./data/. With --db mysql --create-database it also creates the database (utf8mb4) and a least-privilege user with a generated password.';
  static override examples = [
    '<%= config.bin %> init',
    '<%= config.bin %> init --yes',
    '<%= config.bin %> init --yes --db mysql --db-host db01 --db-name shopdb --create-database --mysql-admin-user root',
    'printf %s "$PW" | <%= config.bin %> init --yes --db mysql --db-password-stdin',
    `printf %s "$BIND_PW" | <%= config.bin %> init --yes --ldap true --ldap-url ldaps://dc01.plant.example:636 --ldap-bind-dn 'CN=svc-shopdb,OU=Service Accounts,DC=plant,DC=example' --ldap-base-dn 'OU=Staff,DC=plant,DC=example' --ldap-group-role-map '{"CN=ShopDB Admins,OU=Groups,DC=plant,DC=example":"admin"}' --ldap-bind-password-stdin`,
  ];
  static override enableJsonFlag = true;
  static override flags = {
    ...questionFlags,
    yes: Flags.boolean({ char: 'y', summary: 'Do not ask: take the flags given and defaults for the rest.' }),
    force: Flags.boolean({ summary: 'Replace an existing .env (the old one is kept as .env.bak-<time>).' }),
    'db-password-stdin': Flags.boolean({
      summary: 'Read the password of an existing MySQL DB_USER from stdin.',
      exclusive: ['ldap-bind-password-stdin'],
    }),
    'ldap-bind-password-stdin': Flags.boolean({
      summary: 'With --ldap true: read the password of the directory service account (LDAP_BIND_PASSWORD) from stdin.',
    }),
    'create-database': Flags.boolean({ summary: 'Create the MySQL database and user (needs administrator credentials).' }),
    'mysql-admin-user': Flags.string({ summary: 'MySQL administrator for --create-database.', default: 'root' }),
    'mysql-admin-password-stdin': Flags.boolean({
      summary: 'Read the administrator password from stdin (or set SHOPDB_MYSQL_ADMIN_PASSWORD; none given means no password).',
      exclusive: ['db-password-stdin', 'ldap-bind-password-stdin'],
    }),
    'reuse-user': Flags.boolean({
      summary: 'With --create-database: if DB_USER exists, keep it, give it a new generated password and grant it the database.',
    }),
    'db-user-host': Flags.string({ summary: "Host part of the created MySQL account ('%' = any host).", default: '%' }),
    'db-password': Flags.string({ hidden: true }),
  };

  async run(): Promise<InitResult> {
    const { flags } = await this.parse(Init);
    if (flags['db-password'] !== undefined) {
      throw new UsageError('A password on the command line is visible to every user in `ps`; --db-password is refused', {
        suggestion: 'Pipe it in with --db-password-stdin, or set DB_PASSWORD in the environment.',
      });
    }
    if (flags['reuse-user'] && !flags['create-database']) {
      throw new UsageError('--reuse-user only applies with --create-database', {
        suggestion:
          'Add --create-database (and the administrator credentials), or leave out --reuse-user and give the password of the existing user with --db-password-stdin.',
      });
    }
    const envFile = this.envFileOf(flags).path;
    const target = isAbsolute(envFile) ? envFile : resolve(this.cwd, envFile);
    assertInitTarget(target, flags.force);

    const answers = await this.collectAnswers(flags as unknown as Record<string, string | undefined>, flags.yes);
    assertInitAnswers(target, answers);
    const mysql = answers.DB_CLIENT === 'mysql';
    let dbPassword: string | undefined;
    let createDatabase: { adminUser: string; adminPassword: string; userHost: string; reuseUser: boolean } | undefined;
    if (mysql && flags['create-database']) {
      const adminPassword = flags['mysql-admin-password-stdin']
        ? await readSecretFromStdin('the MySQL administrator password')
        : (this.env.SHOPDB_MYSQL_ADMIN_PASSWORD ??
          (this.ui.interactive && !flags.yes
            ? await this.ui.askSecret(`Password of MySQL user ${flags['mysql-admin-user']} (used once, not saved)`)
            : ''));
      createDatabase = {
        adminUser: flags['mysql-admin-user'],
        adminPassword,
        userHost: flags['db-user-host'],
        reuseUser: flags['reuse-user'],
      };
    } else if (mysql) {
      dbPassword = flags['db-password-stdin'] ? await readSecretFromStdin('the database password') : this.env.DB_PASSWORD;
      if (dbPassword === undefined) {
        this.ui.requireInteractive(
          'The password of the MySQL user',
          '--db-password-stdin, set DB_PASSWORD, or use --create-database to create the user with a generated password',
        );
        dbPassword = await this.ui.askSecret(`Password of MySQL user ${answers.DB_USER ?? specOf('DB_USER').default}`);
      }
    }

    let ldapBindPassword: string | undefined;
    if (answers.LDAP_ENABLED === 'true') {
      ldapBindPassword = flags['ldap-bind-password-stdin']
        ? await readSecretFromStdin('the directory service account password')
        : (this.env.LDAP_BIND_PASSWORD ??
          (this.ui.interactive && !flags.yes
            ? await this.ui.askSecret(`Password of ${answers.LDAP_BIND_DN ?? 'the service account'} (empty: set LDAP_BIND_PASSWORD later)`)
            : undefined));
      if (ldapBindPassword === '') ldapBindPassword = undefined;
    } else if (flags['ldap-bind-password-stdin']) {
      throw new UsageError('--ldap-bind-password-stdin only applies with --ldap true', {
        suggestion: 'Add --ldap true and the other --ldap-* answers, or leave out --ldap-bind-password-stdin.',
      });
    }

    const { initSite } = await import('../core/init/service.js');
    const result = await initSite({ envFile: target, force: flags.force, answers, dbPassword, ldapBindPassword, createDatabase });

    if (result.previousEnvFile) this.ui.info(`Kept the previous file as ${result.previousEnvFile}`);
    if (result.databaseCreated || result.userCreated)
      this.ui.info(`Created MySQL ${[result.databaseCreated && 'database', result.userCreated && 'user'].filter(Boolean).join(' and ')}.`);
    if (result.userReused) this.ui.info('Kept the existing MySQL user, with a new generated password and the site privileges.');
    this.ui.result(
      `Wrote ${result.envFile} (mode 0600, ${result.mode} mode, ${result.client}); generated ${result.generatedSecrets.join(', ')}.`,
    );
    this.ui.result('');
    this.ui.result('Next steps:');
    for (const step of result.nextSteps) this.ui.result(`  ${step}`);
    return result;
  }

  /** Flags first; then a prompt on a terminal; with --yes (or nothing to ask on) the default. */
  private async collectAnswers(flags: Record<string, string | undefined>, yes: boolean): Promise<InitAnswers> {
    const answers: InitAnswers = {};
    const missing = initQuestions().filter((name) => flags[specOf(name).init!.flag] === undefined);
    if (!yes && missing.length > 0) {
      this.ui.requireInteractive(
        'An answer for `shopdb init`',
        `--yes to accept the defaults, or the flags ${missing.map((name) => `--${specOf(name).init!.flag}`).join(', ')}`,
      );
    }
    for (const name of initQuestions()) {
      const spec = specOf(name);
      if (!questionApplies(name, answers)) continue;
      const given = flags[spec.init!.flag];
      if (given !== undefined) answers[name] = given;
      else if (!yes) {
        const choices = choicesOf(name);
        answers[name] = choices
          ? await this.ui.askChoice(spec.init!.message, choices, spec.default ?? choices[0]!)
          : await this.ui.askText(spec.init!.message, spec.default ?? '', (value) => validateAnswer(name, value));
      }
    }
    return answers;
  }
}
