#!/usr/bin/env node
// Entry point for `npx netlab`: runs the TypeScript CLI through tsx, so nobody has to build by hand.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
