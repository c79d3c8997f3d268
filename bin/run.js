#!/usr/bin/env node
// shopdb's entry point: runs the compiled commands through the oclif manifest built by `npm run build`.
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
