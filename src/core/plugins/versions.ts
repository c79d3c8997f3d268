// The semver functions plugins need, imported one by one: the whole of semver costs tens of
// milliseconds at start-up, and every command that loads the plugin catalog pays it.

export { default as satisfies } from 'semver/functions/satisfies.js';
export { default as validVersion } from 'semver/functions/valid.js';
export { default as validRange } from 'semver/ranges/valid.js';
export { default as gt } from 'semver/functions/gt.js';
export { default as lt } from 'semver/functions/lt.js';
export { default as eq } from 'semver/functions/eq.js';
export { default as parseVersion } from 'semver/functions/parse.js';
