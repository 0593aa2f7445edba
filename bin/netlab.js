#!/usr/bin/env node
// Entry point for `netlab` / `npx netlab`: runs the JavaScript that `npm install` built into dist/
// (scripts/build.mjs, run by the prepare script). In a checkout where dist/ is missing, or with
// NETLAB_FROM_SOURCE=1, it runs the TypeScript sources through tsx (a development dependency).
import { existsSync } from 'node:fs';

const built = new URL('../dist/netlab.js', import.meta.url);
if (process.env.NETLAB_FROM_SOURCE !== '1' && existsSync(built)) {
  await import(built.href);
} else {
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    process.stderr.write('netlab: dist/ is missing and tsx is not installed: run "npm install" (or "npm run build") in the netlab folder.\n');
    process.exit(1);
  }
  register();
  await import('../src/cli/main.ts');
}
