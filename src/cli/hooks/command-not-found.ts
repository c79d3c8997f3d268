// `shopdb migrat` → "did you mean `shopdb migrate`?", exit code 2, in the same error format as
// every other usage error (and as JSON with --json).

import { Errors, type Hook } from '@oclif/core';
import { closestName } from '../../core/config/parse.js';
import { ExitCode, UsageError } from '../../core/errors.js';

const hook: Hook.CommandNotFound = async function (options) {
  const spaced = (id: string) => id.replace(/:/g, ' ');
  const known = options.config.commands.filter((command) => !command.hidden).map((command) => command.id);
  const guess = closestName(options.id, known);
  const error = new UsageError(
    `\`shopdb ${spaced(options.id)}\` is not a shopdb command${guess ? ` — did you mean \`shopdb ${spaced(guess)}\`?` : ''}`,
    {
      suggestion: 'Run `shopdb --help` for the list of commands.',
    },
  );
  if (options.argv?.includes('--json')) process.stdout.write(JSON.stringify({ error: error.toJSON() }, null, 2) + '\n');
  else process.stderr.write(`Error: ${error.message}\nFix: ${error.suggestion}\n`);
  throw new Errors.ExitError(ExitCode.USAGE);
};

export default hook;
