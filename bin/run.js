#!/usr/bin/env -S node --
// shopdb's entry point: runs the compiled commands through the oclif manifest built by `npm run build`.
// The `--` matters: Node claims an `--env-file` argument anywhere on its command line (and exits 9
// when that file is missing), even after the script name, unless a `--` comes first.
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
