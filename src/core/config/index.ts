// Public face of the configuration module: one schema, one loader, one set of rules.
export * from './schema.js';
export * from './load.js';
export * from './production.js';
export * from './render.js';
export { parseBoolean, parseDuration, parseList, closestName } from './parse.js';
export { parseEnvFile, type ParsedEnvFile, type EnvFileEntry } from './env-file.js';
export { estimatedSecretBits, looksLikePlaceholder } from './secret-strength.js';
