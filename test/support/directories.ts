// Real directory servers for the directory-login suites, on loopback and on random ports: an
// OpenLDAP (slapd with its own cn=config) and a Samba 4 Active Directory domain controller.
// Both use certificates from a throwaway test CA, are administered with the ldap-utils tools
// over LDAPS, and can be stopped and started again to play "the directory is down".
//
// Samba's LDAP ports cannot be moved from 389/636, so each domain controller runs alone in a
// network namespace; socat relays carry a host port to a Unix socket in the instance folder and,
// inside the namespace, on to Samba. Provisioning a domain takes seconds, so it happens once per
// machine (per Samba version and recipe) into a cached tarball; each domain controller starts
// from a fresh copy of it.
//
// Every daemon is started through `setpriv --pdeathsig KILL`, so it dies with the test process
// even after a kill -9, and in its own process group, which stop() and cleanup() kill whole.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { freePort } from './ports.js';

export type DirectoryKind = 'openldap' | 'ad';

export interface TestDirectory {
  kind: DirectoryKind;
  /** ldap://127.0.0.1:PORT, with StartTLS. */
  ldapUrl: string;
  /** ldaps://127.0.0.1:PORT. */
  ldapsUrl: string;
  /** PEM of the test CA that signed the server certificate (SAN: IP 127.0.0.1, DNS localhost). */
  caFile: string;
  /** PEM of another CA, one that did not sign it. */
  wrongCaFile: string;
  baseDn: string;
  /** Where addUser puts users. On AD, CN=Users also holds Administrator, Guest, krbtgt, the service account and built-in groups. */
  usersDn: string;
  /** Where addGroup puts groups. */
  groupsDn: string;
  /** A service account that is no administrator and can search users and groups. */
  bindDn: string;
  bindPassword: string;
  /** The directory's administrator (rootdn / Administrator), for tests that need to look behind the scenes. */
  adminDn: string;
  adminPassword: string;
  serverCertNotAfter: Date;
  /** Server output, for a failing test to print. */
  logFile: string;
  /**
   * OpenLDAP: uid=name under usersDn, an inetOrgPerson with uid, cn (the display name, else the
   * name), sn and userPassword ({SSHA}). AD: CN=name under usersDn, an enabled user with
   * sAMAccountName=name and userPrincipalName=name@shop.test. Returns the DN.
   */
  addUser(name: string, password: string, options?: { displayName?: string; mail?: string }): Promise<string>;
  /**
   * `count` users named prefix0001, prefix0002, … (zero-padded to the width of count), over one
   * connection. Without a password they are for searching and paging, not for binding (on AD an
   * enabled account that requires none: hashing a password costs Samba ~20 ms a user).
   * `memberOf` puts them all in that group in one modification.
   */
  addUsers(count: number, prefix: string, options?: { password?: string; memberOf?: string }): Promise<void>;
  addGroup(name: string): Promise<string>;
  /**
   * The member may be a user or a group (nesting). memberOf lists direct groups only, on both:
   * nested ones take AD's in-chain matching rule (1.2.840.113556.1.4.1941), or a walk on OpenLDAP.
   */
  addMember(groupDn: string, memberDn: string): Promise<void>;
  removeMember(groupDn: string, memberDn: string): Promise<void>;
  setPassword(name: string, password: string): Promise<void>;
  /** AD: sets ACCOUNTDISABLE in userAccountControl. OpenLDAP has no such flag: throws. */
  disableUser(name: string): Promise<void>;
  deleteUser(name: string): Promise<void>;
  /** The server goes away: new connections are refused, open ones are cut. */
  stop(): Promise<void>;
  /** Back on the same ports, with the same data; resolves once it answers. */
  start(): Promise<void>;
  /** Kills everything and removes the instance folder. */
  cleanup(): Promise<void>;
}

export interface StartDirectoryOptions {
  /** How long the server certificate is valid (default 365 days). */
  serverCertDays?: number;
}

/**
 * OpenLDAP's groupOfNames must have a member, so every group made by addGroup keeps this entry
 * as a member from the start; it is no person and no group, and memberships through it mean
 * nothing. refint puts it back too when a group's last real member is deleted.
 */
export const OPENLDAP_GROUP_PLACEHOLDER_DN = 'cn=nobody,ou=services,dc=shop,dc=test';

const SERVICE_ACCOUNT = 'svc-shopdb';
const SERVICE_PASSWORD = 'Svc-Shopdb-Test-1';
const ADMIN_PASSWORD = 'Admin-Shopdb-Test-1';
const READY_TIMEOUT_MS = 60_000;
const LDAP_TOOLS = ['/usr/bin/ldapsearch', '/usr/bin/ldapadd', '/usr/bin/ldapmodify', '/usr/bin/ldapdelete'];

// ---------------------------------------------------------------------------------------------
// Can they run here?

/**
 * Null when that directory can be started on this machine, else why not. With
 * SHOPDB_TEST_DIRECTORIES=1 (CI) a missing prerequisite throws instead: the suites are required.
 */
export function directorySkipReason(kind: DirectoryKind): string | null {
  const reason = kind === 'openldap' ? openLdapMissing() : sambaMissing();
  if (reason === null) return null;
  if (process.env.SHOPDB_TEST_DIRECTORIES === '1') {
    throw new Error(`The ${kind} directory suites are required (SHOPDB_TEST_DIRECTORIES=1) but cannot run: ${reason}`);
  }
  if (!reportedSkips.has(kind)) {
    reportedSkips.add(kind);
    process.stderr.write(`[shopdb tests] ${kind} directory suites are SKIPPED: ${reason}\n`);
  }
  return reason;
}
const reportedSkips = new Set<DirectoryKind>();

function missingFiles(paths: string[], install: string): string | null {
  const missing = paths.filter((path) => !existsSync(path));
  return missing.length > 0 ? `missing ${missing.join(', ')}: ${install}` : null;
}

function openLdapMissing(): string | null {
  return (
    missingFiles(
      [
        '/usr/sbin/slapd',
        '/usr/sbin/slapadd',
        ...LDAP_TOOLS,
        ...['back_mdb', 'memberof', 'refint'].map((module) => `/usr/lib/ldap/${module}.so`),
      ],
      'apt-get install slapd ldap-utils',
    ) ?? missingFiles(['/usr/bin/openssl', '/usr/bin/setpriv'], 'apt-get install openssl util-linux')
  );
}

function sambaMissing(): string | null {
  const files =
    missingFiles(['/usr/sbin/samba', '/usr/bin/samba-tool'], 'apt-get install --no-install-recommends samba-ad-dc samba-ad-provision') ??
    missingFiles(LDAP_TOOLS, 'apt-get install ldap-utils') ??
    missingFiles(['/usr/bin/socat'], 'apt-get install socat') ??
    missingFiles(
      ['/usr/bin/openssl', '/usr/bin/setpriv', '/usr/bin/unshare', '/usr/sbin/ip'],
      'apt-get install openssl util-linux iproute2',
    );
  if (files) return files;
  if (userInfo().uid !== 0) return 'needs root (the domain controller runs in its own network namespace)';
  const namespace = spawnSync('unshare', ['-n', 'ip', 'link', 'set', 'lo', 'up'], { encoding: 'utf8' });
  if (namespace.status !== 0)
    return `cannot make a network namespace here (unshare -n: ${namespace.stderr.trim() || namespace.error?.message})`;
  return null;
}

// ---------------------------------------------------------------------------------------------
// Processes that must not outlive the tests

interface Daemon {
  child: ChildProcess;
  exited: Promise<void>;
}

const liveDaemons = new Set<Daemon>();
const liveFolders = new Set<string>();
let backstopInstalled = false;

// For a test file that forgets cleanup(); pdeathsig covers deaths that skip 'exit'.
function installBackstop(): void {
  if (backstopInstalled) return;
  backstopInstalled = true;
  process.on('exit', () => {
    for (const daemon of liveDaemons) killGroup(daemon);
    for (const folder of liveFolders) rmSync(folder, { recursive: true, force: true });
  });
}

/**
 * A folder for one directory instance, named with its owner's pid so that the next start can
 * remove what a killed test process (kill -9: no 'exit' hook runs) left behind.
 */
function instanceFolder(prefix: string): string {
  for (const name of readdirSync(tmpdir())) {
    const owner = /^shopdb-(?:openldap|samba)-(\d+)-/.exec(name);
    if (owner && !processAlive(Number(owner[1]))) rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
  const folder = mkdtempSync(join(tmpdir(), `${prefix}${process.pid}-`));
  liveFolders.add(folder);
  return folder;
}

function removeInstanceFolder(folder: string): void {
  rmSync(folder, { recursive: true, force: true });
  liveFolders.delete(folder);
}

function killGroup(daemon: Daemon): void {
  try {
    process.kill(-daemon.child.pid!, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** Starts a long-running program in its own process group, its output appended to logFile. */
function startDaemon(command: string, args: string[], logFile: string): Daemon {
  installBackstop();
  const log = openSync(logFile, 'a');
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', command, ...args], { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const daemon: Daemon = { child, exited };
  liveDaemons.add(daemon);
  void exited.then(() => liveDaemons.delete(daemon));
  return daemon;
}

async function killDaemon(daemon: Daemon): Promise<void> {
  if (daemon.child.exitCode !== null || daemon.child.signalCode !== null) return;
  killGroup(daemon);
  await daemon.exited;
}

function running(daemon: Daemon | undefined): boolean {
  return daemon !== undefined && daemon.child.exitCode === null && daemon.child.signalCode === null;
}

function logTail(logFile: string): string {
  try {
    return readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
}

async function waitUntil(ready: () => Promise<boolean>, what: string, logFile: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await ready())) {
    if (Date.now() > deadline)
      throw new Error(`Timed out after ${READY_TIMEOUT_MS / 1000} s waiting for ${what}; its log ends:\n${logTail(logFile)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Two different free ports (freePort can give the same one twice once it is closed again). */
async function twoFreePorts(): Promise<[number, number]> {
  const first = await freePort();
  let second = await freePort();
  while (second === first) second = await freePort();
  return [first, second];
}

/**
 * The first start, on two free ports; on two others when one was taken between freePort()
 * closing it and the server binding it (the kernel hands the same range to outgoing connections).
 */
async function startOnFreePorts(
  usePorts: (ldapPort: number, ldapsPort: number) => void,
  start: () => Promise<void>,
  logFiles: string[],
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    usePorts(...(await twoFreePorts()));
    for (const logFile of logFiles) writeFileSync(logFile, '');
    try {
      return await start();
    } catch (error) {
      const portTaken = logFiles.some((logFile) => logTail(logFile).includes('Address already in use'));
      if (!portTaken || attempt === 3) throw error;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Certificates

interface Certificates {
  caFile: string;
  wrongCaFile: string;
  certFile: string;
  keyFile: string;
  notAfter: Date;
}

async function openssl(args: string[]): Promise<void> {
  const result = await execa('openssl', args, { reject: false });
  if (result.exitCode !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr}`);
}

/** A test CA, a server certificate it signed for 127.0.0.1 and localhost, and an unrelated CA. */
async function makeCertificates(dir: string, serverCertDays: number): Promise<Certificates> {
  mkdirSync(dir, { recursive: true });
  const file = (name: string) => join(dir, name);
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const makeCa = (name: string, subject: string) =>
    openssl([
      'req',
      '-x509',
      '-new',
      ...ecKey,
      '-keyout',
      file(`${name}.key`),
      '-out',
      file(`${name}.pem`),
      '-days',
      '3650',
      '-subj',
      subject,
    ]);
  await Promise.all([makeCa('ca', '/CN=shopdb test CA'), makeCa('wrong-ca', '/CN=shopdb unrelated test CA')]);
  await openssl(['req', '-new', ...ecKey, '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=localhost']);
  writeFileSync(
    file('server.ext'),
    [
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      '',
    ].join('\n'),
  );
  await openssl([
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-days',
    String(serverCertDays),
    '-extfile',
    file('server.ext'),
    '-out',
    file('server.pem'),
  ]);
  // Samba refuses a private key that others may read.
  chmodSync(file('server.key'), 0o600);
  const notAfter = new Date(new X509Certificate(readFileSync(file('server.pem'))).validTo);
  return { caFile: file('ca.pem'), wrongCaFile: file('wrong-ca.pem'), certFile: file('server.pem'), keyFile: file('server.key'), notAfter };
}

// ---------------------------------------------------------------------------------------------
// LDIF and the ldap-utils tools

/** A DN attribute value with RFC 4514's special characters escaped. */
export function escapeDnValue(value: string): string {
  return value
    .replace(/[,+"\\<>;=]/g, (char) => `\\${char}`)
    .replace(/^[ #]/, (char) => `\\${char}`)
    .replace(/ $/, '\\ ');
}

/** One LDIF attribute line; base64 when the value is not plain ASCII text LDIF allows as is. */
function ldifLine(attribute: string, value: string | Buffer): string {
  const text = typeof value === 'string' ? value : null;
  if (text !== null && /^[\x21-\x39\x3b\x3d-\x7e][\x20-\x7e]*$/.test(text) && !text.endsWith(' ')) return `${attribute}: ${text}`;
  return `${attribute}:: ${Buffer.from(value).toString('base64')}`;
}

function ldifRecord(lines: Array<string | false | undefined>): string {
  return `${lines.filter(Boolean).join('\n')}\n\n`;
}

/** An LDAP client session's settings: the server, who binds, and the CA to trust. */
interface LdapSession {
  url: string;
  bindDn: string;
  passwordFile: string;
  caFile: string;
}

interface ToolResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

async function ldapTool(
  tool: 'ldapsearch' | 'ldapadd' | 'ldapmodify' | 'ldapdelete',
  session: LdapSession,
  args: string[],
  input?: string,
  timeoutMs = 300_000,
): Promise<ToolResult> {
  const result = await execa(
    tool,
    ['-x', '-H', session.url, '-D', session.bindDn, '-y', session.passwordFile, '-o', 'nettimeout=10', ...args],
    {
      input,
      reject: false,
      timeout: timeoutMs,
      // LDAPTIMEOUT: no answer to one operation in 60 s is an error, not a hang.
      env: { LDAPTLS_CACERT: session.caFile, LDAPTLS_REQCERT: 'demand', LDAPTIMEOUT: '60' },
    },
  );
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

async function ldapChange(tool: 'ldapadd' | 'ldapmodify', session: LdapSession, ldif: string): Promise<void> {
  const result = await ldapTool(tool, session, [], ldif);
  if (result.exitCode !== 0)
    throw new Error(`${tool} as ${session.bindDn} failed (${result.exitCode}): ${result.stderr.trim()}\nLDIF:\n${ldif.slice(0, 2000)}`);
}

async function ldapDelete(session: LdapSession, dn: string): Promise<void> {
  const result = await ldapTool('ldapdelete', session, [dn]);
  if (result.exitCode !== 0) throw new Error(`ldapdelete ${dn} failed (${result.exitCode}): ${result.stderr.trim()}`);
}

/** True once a base search as the session's account succeeds. */
async function answers(session: LdapSession, baseDn: string): Promise<boolean> {
  // Short: whatever holds the port may accept and never answer.
  const result = await ldapTool('ldapsearch', session, ['-b', baseDn, '-s', 'base', '-LLL', '1.1'], undefined, 5_000);
  return result.exitCode === 0;
}

function writeSecret(path: string, secret: string): string {
  // No newline: ldap tools' -y sends the file's bytes as the password.
  writeFileSync(path, secret, { mode: 0o600 });
  return path;
}

function paddedNames(count: number, prefix: string): string[] {
  const width = String(count).length;
  return Array.from({ length: count }, (_, index) => `${prefix}${String(index + 1).padStart(width, '0')}`);
}

function memberChange(groupDn: string, change: 'add' | 'delete', memberDns: string[]): string {
  return ldifRecord([
    ldifLine('dn', groupDn),
    'changetype: modify',
    `${change}: member`,
    ...memberDns.map((dn) => ldifLine('member', dn)),
    '-',
  ]);
}

// ---------------------------------------------------------------------------------------------
// OpenLDAP

const OPENLDAP_BASE_DN = 'dc=shop,dc=test';
const OPENLDAP_SCHEMAS = ['core', 'cosine', 'inetorgperson', 'nis'];
const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'directories');

/** {SSHA}, which slapd checks a simple bind against. */
function sshaHash(password: string): string {
  const salt = randomBytes(8);
  const digest = createHash('sha1').update(password).update(salt).digest();
  return `{SSHA}${Buffer.concat([digest, salt]).toString('base64')}`;
}

export async function startOpenLdap(options: StartDirectoryOptions = {}): Promise<TestDirectory> {
  const root = instanceFolder('shopdb-openldap-');
  const logFile = join(root, 'slapd.log');
  const usersDn = `ou=people,${OPENLDAP_BASE_DN}`;
  const groupsDn = `ou=groups,${OPENLDAP_BASE_DN}`;
  const adminDn = `cn=admin,${OPENLDAP_BASE_DN}`;
  const bindDn = `cn=${SERVICE_ACCOUNT},ou=services,${OPENLDAP_BASE_DN}`;
  let slapd: Daemon | undefined;
  try {
    const certificates = await makeCertificates(join(root, 'tls'), options.serverCertDays ?? 365);
    const configDir = join(root, 'slapd.d');
    mkdirSync(configDir);
    mkdirSync(join(root, 'data'));
    const values: Record<string, string> = {
      '@ROOT@': root,
      '@CA_FILE@': certificates.caFile,
      '@CERT_FILE@': certificates.certFile,
      '@KEY_FILE@': certificates.keyFile,
      '@BASE_DN@': OPENLDAP_BASE_DN,
      '@ADMIN_DN@': adminDn,
      '@ADMIN_PASSWORD_HASH@': sshaHash(ADMIN_PASSWORD),
      '@PLACEHOLDER_DN@': OPENLDAP_GROUP_PLACEHOLDER_DN,
      '@SCHEMAS@': OPENLDAP_SCHEMAS.map((name) => readFileSync(`/etc/ldap/schema/${name}.ldif`, 'utf8')).join('\n'),
    };
    const config = readFileSync(join(FIXTURES, 'slapd-config.ldif'), 'utf8').replace(/@[A-Z_]+@/g, (name) => values[name] ?? name);
    writeFileSync(join(root, 'config.ldif'), config);
    await slapadd(['-n0', '-F', configDir, '-l', join(root, 'config.ldif')]);
    // The fixed entries go in before the first start; groups never do (see addGroup).
    const base = [
      ldifRecord([`dn: ${OPENLDAP_BASE_DN}`, 'objectClass: dcObject', 'objectClass: organization', 'o: shop', 'dc: shop']),
      ...['people', 'groups', 'services'].map((ou) =>
        ldifRecord([`dn: ou=${ou},${OPENLDAP_BASE_DN}`, 'objectClass: organizationalUnit', `ou: ${ou}`]),
      ),
      ldifRecord([
        `dn: ${bindDn}`,
        'objectClass: organizationalRole',
        'objectClass: simpleSecurityObject',
        `cn: ${SERVICE_ACCOUNT}`,
        ldifLine('userPassword', sshaHash(SERVICE_PASSWORD)),
      ]),
      ldifRecord([
        `dn: ${OPENLDAP_GROUP_PLACEHOLDER_DN}`,
        'objectClass: organizationalRole',
        'cn: nobody',
        'description: the member of every group made by the tests (groupOfNames needs one)',
      ]),
    ].join('');
    writeFileSync(join(root, 'base.ldif'), base);
    await slapadd(['-n1', '-F', configDir, '-l', join(root, 'base.ldif')]);

    // The URLs are settled by the first start (see startOnFreePorts).
    let ldapUrl = '';
    let ldapsUrl = '';
    const admin: LdapSession = {
      url: '',
      bindDn: adminDn,
      passwordFile: writeSecret(join(root, 'admin.secret'), ADMIN_PASSWORD),
      caFile: certificates.caFile,
    };
    const service: LdapSession = {
      url: '',
      bindDn,
      passwordFile: writeSecret(join(root, 'service.secret'), SERVICE_PASSWORD),
      caFile: certificates.caFile,
    };
    const userDn = (name: string) => `uid=${escapeDnValue(name)},${usersDn}`;

    const stop = async () => {
      if (slapd) await killDaemon(slapd);
    };
    const start = async () => {
      if (running(slapd)) return;
      // -d keeps slapd in the foreground, so it stays our child and dies with us; at 'stats' it
      // logs each operation, and why it could not listen.
      const daemon = startDaemon('/usr/sbin/slapd', ['-d', 'stats', '-F', configDir, '-h', `${ldapUrl}/ ${ldapsUrl}/`], logFile);
      slapd = daemon;
      try {
        await waitUntil(
          async () => {
            if (!running(daemon))
              throw new Error(`slapd exited (${daemon.child.exitCode ?? daemon.child.signalCode}); its log ends:\n${logTail(logFile)}`);
            return answers(service, OPENLDAP_BASE_DN);
          },
          'slapd to answer',
          logFile,
        );
      } catch (error) {
        await stop();
        throw error;
      }
    };
    await startOnFreePorts(
      (ldapPort, ldapsPort) => {
        ldapUrl = `ldap://127.0.0.1:${ldapPort}`;
        ldapsUrl = `ldaps://127.0.0.1:${ldapsPort}`;
        admin.url = ldapsUrl;
        service.url = ldapUrl;
      },
      start,
      [logFile],
    );

    const personRecord = (name: string, password: string | undefined, extra: { displayName?: string; mail?: string } = {}) =>
      ldifRecord([
        ldifLine('dn', userDn(name)),
        'objectClass: inetOrgPerson',
        ldifLine('uid', name),
        ldifLine('cn', extra.displayName ?? name),
        ldifLine('sn', name),
        extra.displayName !== undefined && ldifLine('displayName', extra.displayName),
        extra.mail !== undefined && ldifLine('mail', extra.mail),
        password !== undefined && ldifLine('userPassword', sshaHash(password)),
      ]);

    return {
      kind: 'openldap',
      ldapUrl,
      ldapsUrl,
      caFile: certificates.caFile,
      wrongCaFile: certificates.wrongCaFile,
      baseDn: OPENLDAP_BASE_DN,
      usersDn,
      groupsDn,
      bindDn,
      bindPassword: SERVICE_PASSWORD,
      adminDn,
      adminPassword: ADMIN_PASSWORD,
      serverCertNotAfter: certificates.notAfter,
      logFile,
      async addUser(name, password, extra) {
        await ldapChange('ldapadd', admin, personRecord(name, password, extra));
        return userDn(name);
      },
      async addUsers(count, prefix, extra = {}) {
        const names = paddedNames(count, prefix);
        await ldapChange('ldapadd', admin, names.map((name) => personRecord(name, extra.password)).join(''));
        if (extra.memberOf) await ldapChange('ldapmodify', admin, memberChange(extra.memberOf, 'add', names.map(userDn)));
      },
      async addGroup(name) {
        // Over the wire, not slapadd: the memberof overlay only sees groups added while it runs.
        const dn = `cn=${escapeDnValue(name)},${groupsDn}`;
        await ldapChange(
          'ldapadd',
          admin,
          ldifRecord([
            ldifLine('dn', dn),
            'objectClass: groupOfNames',
            ldifLine('cn', name),
            ldifLine('member', OPENLDAP_GROUP_PLACEHOLDER_DN),
          ]),
        );
        return dn;
      },
      async addMember(groupDn, memberDn) {
        await ldapChange('ldapmodify', admin, memberChange(groupDn, 'add', [memberDn]));
      },
      async removeMember(groupDn, memberDn) {
        await ldapChange('ldapmodify', admin, memberChange(groupDn, 'delete', [memberDn]));
      },
      async setPassword(name, password) {
        await ldapChange(
          'ldapmodify',
          admin,
          ldifRecord([
            ldifLine('dn', userDn(name)),
            'changetype: modify',
            'replace: userPassword',
            ldifLine('userPassword', sshaHash(password)),
            '-',
          ]),
        );
      },
      async disableUser() {
        throw new Error('disableUser is not supported on OpenLDAP: it has no account-disabled flag (the ppolicy overlay is not loaded)');
      },
      async deleteUser(name) {
        await ldapDelete(admin, userDn(name));
      },
      stop,
      start,
      async cleanup() {
        await stop();
        removeInstanceFolder(root);
      },
    };
  } catch (error) {
    if (slapd) await killDaemon(slapd);
    removeInstanceFolder(root);
    throw error;
  }
}

async function slapadd(args: string[]): Promise<void> {
  const result = await execa('/usr/sbin/slapadd', args, { reject: false });
  if (result.exitCode !== 0) throw new Error(`slapadd ${args.join(' ')} failed: ${result.stderr}`);
}

// ---------------------------------------------------------------------------------------------
// Samba AD

const AD_REALM = 'SHOP.TEST';
const AD_BASE_DN = 'DC=shop,DC=test';
const AD_USERS_DN = `CN=Users,${AD_BASE_DN}`;
const AD_GROUPS_DN = `OU=Groups,${AD_BASE_DN}`;
const AD_ADMIN_DN = `CN=Administrator,${AD_USERS_DN}`;
const AD_SERVICE_DN = `CN=${SERVICE_ACCOUNT},${AD_USERS_DN}`;
const UF_ACCOUNTDISABLE = 0x2;
const UF_PASSWD_NOTREQD = 0x20;
const UF_NORMAL_ACCOUNT = 0x200;

/**
 * How the cached domain is made. Part of the cache key: changing the recipe provisions anew.
 * Password rules are off so tests may use any password and set the same one twice.
 */
const PROVISION_ARGS = [
  'domain',
  'provision',
  `--realm=${AD_REALM}`,
  '--domain=SHOP',
  '--server-role=dc',
  '--dns-backend=NONE',
  '--use-rfc2307',
  '--host-name=dc1',
  '--host-ip=127.0.0.1',
  '--option=interfaces=lo',
  '--option=bind interfaces only=yes',
  `--adminpass=${ADMIN_PASSWORD}`,
];
const AFTER_PROVISION: string[][] = [
  [
    'domain',
    'passwordsettings',
    'set',
    '--complexity=off',
    '--history-length=0',
    '--min-pwd-age=0',
    '--max-pwd-age=0',
    '--min-pwd-length=0',
  ],
  ['user', 'create', SERVICE_ACCOUNT, SERVICE_PASSWORD, '--description=shopdb directory login (tests)'],
  ['ou', 'create', AD_GROUPS_DN],
];

/** The domain controller's smb.conf: everything under its own folder, only LDAP and Kerberos. */
function smbConf(dir: string, tls?: Certificates): string {
  const lines = [
    '[global]',
    'netbios name = DC1',
    `realm = ${AD_REALM}`,
    'workgroup = SHOP',
    'server role = active directory domain controller',
    'server services = ldap, kdc',
    'interfaces = lo',
    'bind interfaces only = yes',
    'idmap_ldb:use rfc2307 = yes',
    `private dir = ${dir}/private`,
    `binddns dir = ${dir}/bind-dns`,
    `lock directory = ${dir}/lock`,
    `state directory = ${dir}/state`,
    `cache directory = ${dir}/cache`,
    `pid directory = ${dir}/run`,
    `ncalrpc dir = ${dir}/run/ncalrpc`,
    `winbindd socket directory = ${dir}/run/winbindd`,
    `log file = ${dir}/log/samba.log`,
    // A test domain need not survive a power cut; without fsync a bulk add is faster.
    'ldb:nosync = true',
  ];
  if (tls) lines.push('tls enabled = yes', `tls keyfile = ${tls.keyFile}`, `tls certfile = ${tls.certFile}`, `tls cafile = ${tls.caFile}`);
  return `${lines.join('\n\t')}\n`;
}

function writeSmbConf(dir: string, tls?: Certificates): string {
  for (const sub of ['etc', 'private', 'bind-dns', 'lock', 'state', 'cache', 'run', 'log']) mkdirSync(join(dir, sub), { recursive: true });
  const configFile = join(dir, 'etc', 'smb.conf');
  writeFileSync(configFile, smbConf(dir, tls));
  return configFile;
}

async function sambaTool(args: string[], configFile: string): Promise<void> {
  const result = await execa('samba-tool', [...args, `--configfile=${configFile}`], { reject: false, timeout: 300_000 });
  if (result.exitCode !== 0)
    throw new Error(`samba-tool ${args.slice(0, 2).join(' ')} failed (${result.exitCode}): ${result.stderr || result.stdout}`);
}

function lockAbandoned(lockFile: string): boolean {
  try {
    const owner = Number(readFileSync(lockFile, 'utf8').trim());
    if (owner > 0) return !processAlive(owner);
    return Date.now() - statSync(lockFile).mtimeMs > 60_000;
  } catch {
    // Released meanwhile: the loop looks for the tarball again.
    return false;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The provisioned domain as a tarball, made once per machine for this Samba version and recipe.
 * Test files start domain controllers in parallel: one provisions under a lock file, the others
 * wait for the tarball (or take over the lock when its owner died).
 */
async function provisionedDomain(): Promise<string> {
  const version = spawnSync('samba', ['--version'], { encoding: 'utf8' })
    .stdout.trim()
    .replace(/[^\w.-]+/g, '_');
  const recipe = createHash('sha256')
    .update(JSON.stringify([PROVISION_ARGS, AFTER_PROVISION, smbConf('/')]))
    .digest('hex')
    .slice(0, 12);
  const cache = join(tmpdir(), `shopdb-samba-domain-${version}-${recipe}`);
  const tarball = join(cache, 'domain.tar');
  const lockFile = join(cache, 'provision.lock');
  mkdirSync(cache, { recursive: true });
  const deadline = Date.now() + 10 * 60_000;
  while (!existsSync(tarball)) {
    let lock: number;
    try {
      lock = openSync(lockFile, 'wx');
    } catch {
      // Someone provisions; a lock whose owner is gone (or never wrote its pid) is taken over.
      if (lockAbandoned(lockFile)) rmSync(lockFile, { force: true });
      if (Date.now() > deadline)
        throw new Error(`Timed out waiting for another test process to provision the Samba domain (lock ${lockFile})`);
      await new Promise((resolve) => setTimeout(resolve, 250));
      continue;
    }
    writeFileSync(lock, String(process.pid));
    closeSync(lock);
    try {
      if (!existsSync(tarball)) await provisionInto(cache, tarball);
    } finally {
      rmSync(lockFile, { force: true });
    }
  }
  return tarball;
}

async function provisionInto(cache: string, tarball: string): Promise<void> {
  // Under the lock: whatever else is here was left by a provisioner that died.
  for (const name of readdirSync(cache)) if (name !== 'provision.lock') rmSync(join(cache, name), { recursive: true, force: true });
  const work = join(cache, `work-${process.pid}`);
  mkdirSync(work, { recursive: true });
  const started = Date.now();
  try {
    // An explicit, nearly empty smb.conf: provision would otherwise take defaults from /etc/samba.
    const seedConfig = join(cache, `seed-${process.pid}.conf`);
    writeFileSync(seedConfig, '[global]\n');
    await sambaTool([...PROVISION_ARGS, `--targetdir=${work}`], seedConfig);
    rmSync(seedConfig);
    const configFile = writeSmbConf(work);
    for (const args of AFTER_PROVISION) await sambaTool(args, configFile);
    const partial = `${tarball}.${process.pid}`;
    const tar = await execa('tar', ['-C', work, '-cf', partial, '.'], { reject: false });
    if (tar.exitCode !== 0) throw new Error(`tar of the provisioned domain failed: ${tar.stderr}`);
    renameSync(partial, tarball);
    process.stderr.write(
      `[shopdb tests] provisioned the Samba test domain in ${((Date.now() - started) / 1000).toFixed(1)} s (cached in ${cache})\n`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// Runs as `sh -c` inside the new namespace, then becomes samba, so the relays' parent is samba
// and they die with it. $1/$2: the Unix sockets for LDAP and LDAPS, $3: smb.conf.
const NAMESPACE_SCRIPT = [
  'ip link set lo up || exit 1',
  'setpriv --pdeathsig KILL -- socat "UNIX-LISTEN:$1,fork,unlink-early" TCP:127.0.0.1:389 &',
  'setpriv --pdeathsig KILL -- socat "UNIX-LISTEN:$2,fork,unlink-early" TCP:127.0.0.1:636 &',
  'exec samba --interactive --model=single --no-process-group --configfile="$3"',
].join('\n');

export async function startSambaAd(options: StartDirectoryOptions = {}): Promise<TestDirectory> {
  const tarball = await provisionedDomain();
  const root = instanceFolder('shopdb-samba-');
  const logFile = join(root, 'samba.log');
  const daemons: Daemon[] = [];
  const stop = async () => {
    await Promise.all(daemons.splice(0).map(killDaemon));
  };
  try {
    const dc = join(root, 'dc');
    mkdirSync(dc);
    const untar = await execa('tar', ['-C', dc, '-xf', tarball], { reject: false });
    if (untar.exitCode !== 0) throw new Error(`extracting the provisioned domain failed: ${untar.stderr}`);
    const certificates = await makeCertificates(join(root, 'tls'), options.serverCertDays ?? 365);
    const configFile = writeSmbConf(dc, certificates);
    const ldapSocket = join(root, 'ldap.sock');
    const ldapsSocket = join(root, 'ldaps.sock');
    if (ldapsSocket.length > 100) throw new Error(`The temp folder's path is too long for a Unix socket: ${ldapsSocket}`);

    const relayLog = join(root, 'relay.log');
    // The ports and URLs are settled by the first start (see startOnFreePorts).
    let ports: [number, number] = [0, 0];
    let ldapUrl = '';
    let ldapsUrl = '';
    const admin: LdapSession = {
      url: '',
      bindDn: AD_ADMIN_DN,
      passwordFile: writeSecret(join(root, 'admin.secret'), ADMIN_PASSWORD),
      caFile: certificates.caFile,
    };
    const service: LdapSession = {
      url: '',
      bindDn: AD_SERVICE_DN,
      passwordFile: writeSecret(join(root, 'service.secret'), SERVICE_PASSWORD),
      caFile: certificates.caFile,
    };
    const userDn = (name: string) => `CN=${escapeDnValue(name)},${AD_USERS_DN}`;

    const start = async () => {
      if (daemons.length > 0) return;
      const samba = startDaemon('unshare', ['-n', '--', 'sh', '-c', NAMESPACE_SCRIPT, 'sh', ldapSocket, ldapsSocket, configFile], logFile);
      daemons.push(samba);
      for (const [port, socket] of [
        [ports[0], ldapSocket],
        [ports[1], ldapsSocket],
      ] as const) {
        daemons.push(startDaemon('socat', [`TCP-LISTEN:${port},bind=127.0.0.1,fork,reuseaddr`, `UNIX-CONNECT:${socket}`], relayLog));
      }
      try {
        await waitUntil(
          async () => {
            const dead = daemons.find((daemon) => !running(daemon));
            if (dead)
              throw new Error(
                `${dead === samba ? 'samba' : 'a socat relay'} exited (${dead.child.exitCode ?? dead.child.signalCode}); the log ends:\n${logTail(dead === samba ? logFile : relayLog)}`,
              );
            return answers(service, AD_BASE_DN);
          },
          'the Samba domain controller to answer',
          logFile,
        );
      } catch (error) {
        await stop();
        throw error;
      }
    };
    await startOnFreePorts(
      (ldapPort, ldapsPort) => {
        ports = [ldapPort, ldapsPort];
        ldapUrl = `ldap://127.0.0.1:${ldapPort}`;
        ldapsUrl = `ldaps://127.0.0.1:${ldapsPort}`;
        admin.url = ldapsUrl;
        service.url = ldapsUrl;
      },
      start,
      [relayLog],
    );

    const unicodePwd = (password: string) => ldifLine('unicodePwd', Buffer.from(`"${password}"`, 'utf16le'));
    const userRecord = (name: string, password: string | undefined, extra: { displayName?: string; mail?: string } = {}) =>
      ldifRecord([
        ldifLine('dn', userDn(name)),
        'objectClass: user',
        ldifLine('sAMAccountName', name),
        ldifLine('userPrincipalName', `${name}@${AD_REALM.toLowerCase()}`),
        extra.displayName !== undefined && ldifLine('displayName', extra.displayName),
        extra.mail !== undefined && ldifLine('mail', extra.mail),
        password !== undefined && unicodePwd(password),
        // Enabled; without a password AD enables an account only when it is marked as needing none.
        `userAccountControl: ${password !== undefined ? UF_NORMAL_ACCOUNT : UF_NORMAL_ACCOUNT | UF_PASSWD_NOTREQD}`,
      ]);

    return {
      kind: 'ad',
      ldapUrl,
      ldapsUrl,
      caFile: certificates.caFile,
      wrongCaFile: certificates.wrongCaFile,
      baseDn: AD_BASE_DN,
      usersDn: AD_USERS_DN,
      groupsDn: AD_GROUPS_DN,
      bindDn: AD_SERVICE_DN,
      bindPassword: SERVICE_PASSWORD,
      adminDn: AD_ADMIN_DN,
      adminPassword: ADMIN_PASSWORD,
      serverCertNotAfter: certificates.notAfter,
      logFile,
      async addUser(name, password, extra) {
        await ldapChange('ldapadd', admin, userRecord(name, password, extra));
        return userDn(name);
      },
      async addUsers(count, prefix, extra = {}) {
        const names = paddedNames(count, prefix);
        await ldapChange('ldapadd', admin, names.map((name) => userRecord(name, extra.password)).join(''));
        if (extra.memberOf) await ldapChange('ldapmodify', admin, memberChange(extra.memberOf, 'add', names.map(userDn)));
      },
      async addGroup(name) {
        const dn = `CN=${escapeDnValue(name)},${AD_GROUPS_DN}`;
        await ldapChange('ldapadd', admin, ldifRecord([ldifLine('dn', dn), 'objectClass: group', ldifLine('sAMAccountName', name)]));
        return dn;
      },
      async addMember(groupDn, memberDn) {
        await ldapChange('ldapmodify', admin, memberChange(groupDn, 'add', [memberDn]));
      },
      async removeMember(groupDn, memberDn) {
        await ldapChange('ldapmodify', admin, memberChange(groupDn, 'delete', [memberDn]));
      },
      async setPassword(name, password) {
        await ldapChange(
          'ldapmodify',
          admin,
          ldifRecord([ldifLine('dn', userDn(name)), 'changetype: modify', 'replace: unicodePwd', unicodePwd(password), '-']),
        );
      },
      async disableUser(name) {
        const dn = userDn(name);
        const found = await ldapTool('ldapsearch', admin, ['-LLL', '-b', dn, '-s', 'base', 'userAccountControl']);
        const current = Number(/^userAccountControl: (\d+)$/m.exec(found.stdout)?.[1]);
        if (found.exitCode !== 0 || !Number.isInteger(current))
          throw new Error(`could not read ${dn}'s userAccountControl: ${found.stderr.trim() || found.stdout}`);
        await ldapChange(
          'ldapmodify',
          admin,
          ldifRecord([
            ldifLine('dn', dn),
            'changetype: modify',
            'replace: userAccountControl',
            `userAccountControl: ${current | UF_ACCOUNTDISABLE}`,
            '-',
          ]),
        );
      },
      async deleteUser(name) {
        await ldapDelete(admin, userDn(name));
      },
      stop,
      start,
      async cleanup() {
        await stop();
        removeInstanceFolder(root);
      },
    };
  } catch (error) {
    await stop();
    removeInstanceFolder(root);
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// A hung directory

/** A loopback TCP port that accepts connections and never answers (a hung directory). */
export async function startSilentPort(): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `ldap://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
