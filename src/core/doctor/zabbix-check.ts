// `doctor` and Zabbix monitoring: the cheap part of `shopdb zabbix test` — reachable, TLS, version,
// the credentials accepted the way that version wants, and how many hosts they can read. A Zabbix
// that fails is a warning, never a failure: the inventory works without it.

import { zabbixSettingsFromConfig } from '../monitoring/zabbix/settings.js';
import { testZabbix } from '../monitoring/zabbix/diagnose.js';
import type { CheckOutcome, DoctorCheck } from './registry.js';

export const zabbixCheck: DoctorCheck = {
  id: 'zabbix',
  title: 'Zabbix monitoring',
  tags: ['install', 'start'],
  async run(context): Promise<CheckOutcome> {
    if (!context.config) return { status: 'skip', message: 'skipped: the configuration did not load' };
    const settings = zabbixSettingsFromConfig(context.config);
    if (settings === null) return { status: 'pass', message: 'not configured (ZABBIX_URL is empty): assets show no monitoring status' };
    const report = await testZabbix(settings, { cheap: true });
    const data = { url: report.url, version: report.version, auth: report.auth.used, hostsReadable: report.hostsReadable };
    const failed = report.steps.find((step) => !step.ok);
    if (failed) {
      return {
        status: 'warn',
        message: `${failed.step}: ${failed.message} (monitoring shows unknown meanwhile)`,
        suggestion: `${failed.fix ?? ''} \`shopdb zabbix test\` shows every step.`.trim(),
        data,
      };
    }
    return {
      status: 'pass',
      message: `Zabbix ${report.version} answers; the credentials are accepted (${report.auth.used}) and can read ${report.hostsReadable} hosts`,
      data,
    };
  },
};
