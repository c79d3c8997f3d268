# shopdb-plugin-{{name}}

{{description}}

A shopdb plugin (see shopdb's docs/PLUGIN-QUICKSTART.md and docs/PLUGIN-HOOKS.md).

- `index.js` — the manifest: name, version, the shopdb versions it works with, migrations, seed, routes, hooks.
- `migrations/` — knex migrations; every table starts with `{{prefix}}`.
- `routes.js` — `GET /api/plugins/{{name}}/items`, `POST /api/plugins/{{name}}/items` (editor).
- `test/` — `SHOPDB_BIN=/path/to/shopdb/bin/run.js npm test` installs the plugin on a throwaway site.
