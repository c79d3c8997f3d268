// Response schemas of the monitoring routes: one asset's Zabbix status, and a problem.

const problemProperties = {
  eventid: { type: 'string' },
  hostid: { type: 'string' },
  name: { type: 'string' },
  severity: { type: 'string', enum: ['not-classified', 'information', 'warning', 'average', 'high', 'disaster'] },
  since: { type: 'string', format: 'date-time' },
  acknowledged: { type: 'boolean' },
} as const;

export const problemSchema = { type: 'object', required: Object.keys(problemProperties), properties: problemProperties } as const;

export const monitoringStatusSchema = {
  type: 'object',
  required: ['state', 'reason', 'hostid', 'host', 'problems', 'checkedAt', 'ageSeconds', 'stale'],
  properties: {
    state: { type: 'string', enum: ['ok', 'problem', 'unknown', 'unmatched', 'disabled'] },
    reason: { type: ['string', 'null'] },
    hostid: { type: ['string', 'null'] },
    host: { type: ['string', 'null'] },
    problems: { type: 'array', items: problemSchema },
    checkedAt: { type: ['string', 'null'], format: 'date-time' },
    ageSeconds: { type: ['integer', 'null'] },
    stale: { type: 'boolean' },
  },
} as const;

export const pinSchema = {
  type: 'object',
  required: ['assetId', 'hostid', 'host', 'matchedHow', 'matchedAt', 'matchedBy'],
  properties: {
    assetId: { type: 'integer' },
    hostid: { type: 'string' },
    host: { type: 'string' },
    matchedHow: { type: 'string', enum: ['hostname', 'short-name', 'ip', 'manual'] },
    matchedAt: { type: 'string', format: 'date-time' },
    matchedBy: { type: 'string' },
  },
} as const;
