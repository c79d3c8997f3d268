// `doctor` and directory login: every LDAP_URL reachable, its TLS verified and the service bind
// accepted (the steps of `shopdb ldap test` without a user), and warnings 30 days ahead of what
// will break logins on a known date — the server certificate, the CA in LDAP_CA_FILE, and (AD) the
// service account's password (pwdLastSet + the domain's maxPwdAge).

import { X509Certificate } from 'node:crypto';
import { CERT_WARNING_DAYS, daysUntil, servicePasswordExpiry, testServer } from '../auth/directory/diagnose.js';
import { connectTo, describeDirectoryError } from '../auth/directory/client.js';
import { directorySettingsFromConfig, type DirectorySettings } from '../auth/directory/settings.js';
import type { CheckOutcome, DoctorCheck } from './registry.js';

/** Every certificate in a PEM bundle. */
function certificatesIn(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) => new X509Certificate(block));
}

async function passwordWarning(settings: DirectorySettings, url: string, now: Date): Promise<string | null> {
  const connection = await connectTo(settings, url);
  try {
    await connection.client.bind(settings.bindDn, settings.bindPassword);
    const expiry = await servicePasswordExpiry(connection.client, settings);
    if (expiry.expiresAt === null) return null;
    const days = daysUntil(expiry.expiresAt, now);
    return days < CERT_WARNING_DAYS
      ? `the password of LDAP_BIND_DN ${days < 0 ? 'has expired' : `expires in ${days} days`} (${expiry.reason})`
      : null;
  } finally {
    await connection.close();
  }
}

export const directoryCheck: DoctorCheck = {
  id: 'directory',
  title: 'Directory login (LDAP / Active Directory)',
  tags: ['install', 'start', 'update'],
  async run(context): Promise<CheckOutcome> {
    if (!context.config) return { status: 'skip', message: 'skipped: the configuration did not load' };
    const settings = directorySettingsFromConfig(context.config);
    if (settings === null) return { status: 'pass', message: 'not enabled (LDAP_ENABLED=false): local accounts only' };
    const now = new Date();
    const servers = [];
    for (const url of settings.urls) servers.push(await testServer(settings, url, { now }));
    const failures = servers.flatMap((server) => server.steps.filter((step) => !step.ok).map((step) => ({ url: server.url, ...step })));
    const warnings: string[] = [];
    for (const server of servers) {
      const days = server.tls?.validTo ? daysUntil(server.tls.validTo, now) : null;
      if (days !== null && days < CERT_WARNING_DAYS)
        warnings.push(`${server.url}: the server certificate expires in ${days} days (${server.tls!.validTo!.toISOString().slice(0, 10)})`);
    }
    if (settings.ca) {
      for (const cert of certificatesIn(settings.ca)) {
        const days = daysUntil(new Date(cert.validTo), now);
        if (days < CERT_WARNING_DAYS) warnings.push(`the CA ${cert.subject.replace(/\n/g, ', ')} in LDAP_CA_FILE expires in ${days} days`);
      }
    }
    const working = servers.find((server) => server.ok);
    if (working) {
      try {
        const warning = await passwordWarning(settings, working.url, now);
        if (warning) warnings.push(warning);
      } catch (error) {
        warnings.push(`the service account's password age could not be read: ${describeDirectoryError(error, settings).message}`);
      }
    }
    const data = { servers: servers.map((server) => ({ url: server.url, ok: server.ok, tlsValidTo: server.tls?.validTo ?? null })) };
    const lines = [...failures.map((f) => `${f.url}: ${f.step}: ${f.message}`), ...warnings];
    if (!working) {
      return {
        status: 'fail',
        message: ['no directory server works: directory accounts cannot log in', ...lines].join('\n'),
        suggestion: failures[0]?.fix ?? 'Run `shopdb ldap test` for the details.',
        data,
      };
    }
    if (failures.length > 0 || warnings.length > 0) {
      return {
        status: 'warn',
        message: [`${servers.filter((s) => s.ok).length} of ${servers.length} server(s) work`, ...lines].join('\n'),
        suggestion: failures[0]?.fix ?? 'Renew or change it before that date; `shopdb ldap test` shows the details.',
        data,
      };
    }
    return { status: 'pass', message: `${servers.length} server(s) reachable, TLS verified, service bind accepted`, data };
  },
};
