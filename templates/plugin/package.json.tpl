{
  "name": "shopdb-plugin-{{name}}",
  "version": "0.1.0",
  "description": "{{description}}",
  "type": "module",
  "main": "index.js",
  "shopdb": { "plugin": true },
  "files": ["index.js", "routes.js", "migrations"],
  "scripts": {
    "test": "node --test test/"
  },
  "engines": { "node": ">=20.19" }
}
