// The routes of "{{name}}", mounted under /api/plugins/{{name}}. Reading needs a logged-in user
// (viewer); writing needs an editor. Everything a route needs comes through `host`.

const itemSchema = {
  type: 'object',
  required: ['id', 'name', 'note'],
  properties: { id: { type: 'integer' }, name: { type: 'string' }, note: { type: ['string', 'null'] } },
};

/** `app` is a Fastify scope; `host` is shopdb's PluginRouteHost (docs/PLUGIN-HOOKS.md). */
export async function routes(app, host) {
  app.get(
    '/items',
    { schema: { summary: 'List the items.', tags: ['{{name}}'], response: { 200: { type: 'object', properties: { results: { type: 'array', items: itemSchema } } }, ...host.errorResponses } } },
    async (request) => ({ results: await request.db('{{prefix}}items').select('id', 'name', 'note').orderBy('id') }),
  );

  app.post(
    '/items',
    {
      onRequest: host.requireRole('editor'),
      schema: {
        summary: 'Add an item.',
        tags: ['{{name}}'],
        body: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string', minLength: 1, maxLength: 191 }, note: { type: ['string', 'null'], maxLength: 2000 } } },
        response: { 201: itemSchema, ...host.errorResponses },
      },
    },
    async (request, reply) => {
      const { name, note = null } = request.body;
      const item = await request.db.transaction(async (trx) => {
        if (await trx('{{prefix}}items').where({ name }).first('id')) throw new host.errors.ConflictError(`There is already an item named "${name}"`);
        const [id] = await trx('{{prefix}}items').insert({ name, note });
        const created = { id: Number(id), name, note };
        await host.recordAudit(trx, host.actorOf(request), { action: 'create', objectType: '{{name}}.item', objectId: created.id, after: created });
        return created;
      });
      return reply.code(201).send(item);
    },
  );
}
