// `doctor` and an interrupted restore (ADR-019): while the marker stands, the database may hold
// part of a backup, so this fails with the way back instead of letting the other checks say
// "run migrate" (which would fail on the half-restored tables).

import { readRestoreMarker, RestoreInterruptedError } from '../backup/restore-marker.js';
import type { DoctorCheck } from './registry.js';

export const interruptedRestoreCheck: DoctorCheck = {
  id: 'restore',
  title: 'No interrupted restore',
  tags: ['install', 'start', 'update', 'backup'],
  async run(context) {
    if (!context.config) return { status: 'skip', message: 'skipped: the configuration did not load' };
    const marker = readRestoreMarker(context.config);
    if (!marker) return { status: 'pass', message: 'no restore was left unfinished' };
    const refusal = new RestoreInterruptedError(marker);
    return { status: 'fail', message: refusal.message, suggestion: refusal.suggestion, data: { ...marker } };
  },
};
