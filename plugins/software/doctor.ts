// The software plugin's check for `shopdb doctor`: licences past their expiry that installations
// still count on, and licences with more installations than seats. Names the licences by id and
// title; the licence key is never selected.

import type { PluginDoctorCheck } from 'shopdb/sdk';
import { licencesNeedingAttention, type Licence } from './service.js';

const named = (licence: Licence) => `licence ${licence.id} (${licence.title.name} ${licence.title.version})`;
const installations = (n: number) => `${n} installation${n === 1 ? '' : 's'}`;

export const licencesCheck: PluginDoctorCheck = {
  id: 'licences',
  title: 'Licences in date and within their seats',
  // Not a pre-flight of anything: shown by a plain `shopdb doctor`.
  tags: [],
  async run({ db, now }) {
    const [{ count }] = (await db('software_licences').count({ count: '*' })) as Array<{ count: number | string }>;
    if (Number(count) === 0) return { status: 'skip', message: 'no licence recorded' };
    const { expired, overAllocated } = await licencesNeedingAttention(db, now);
    if (expired.length === 0 && overAllocated.length === 0)
      return { status: 'pass', message: `${Number(count)} licences: none expired while in use, none over its seats` };
    const lines = [
      ...expired.map((l) => `${named(l)}: expired ${l.expiresOn}, ${installations(l.seatsUsed)} still on it`),
      ...overAllocated.map((l) => `${named(l)}: ${installations(l.seatsUsed)} on ${l.seats} seat${l.seats === 1 ? '' : 's'}`),
    ];
    const fixes = [
      ...(expired.length > 0 ? ['renew an expired licence (record the new one) or move its installations'] : []),
      ...(overAllocated.length > 0 ? ['buy seats, or remove installations from an over-allocated licence'] : []),
    ];
    return {
      status: 'warn',
      message: `${expired.length} expired in use, ${overAllocated.length} over their seats\n${lines.join('\n')}`,
      suggestion: `${fixes.join('; ')} (GET /api/plugins/software/licences lists them).`,
      data: {
        expired: expired.map((l) => ({ id: l.id, expiresOn: l.expiresOn, seatsUsed: l.seatsUsed })),
        overAllocated: overAllocated.map((l) => ({ id: l.id, seats: l.seats, seatsUsed: l.seatsUsed })),
      },
    };
  },
};
