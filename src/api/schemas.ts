// JSON-schema pieces every route file shares. A row id is a positive signed 32-bit integer: the
// range of an INT primary key on MySQL, checked before any query sees it.

export const rowId = { type: 'integer', minimum: 1, maximum: 2_147_483_647 } as const;

/** `/:id` route parameters. */
export const idParams = { type: 'object', additionalProperties: false, required: ['id'], properties: { id: rowId } } as const;
