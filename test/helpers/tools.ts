// Interop tests run real tools (tshark, capinfos, dig, curl, openssl). Where a tool is missing the
// test is skipped with a printed reason, except in CI (CI=true), where a missing tool is a failure.
//
//   describe.skipIf(!requireTool('tshark'))('tshark reads our pcapng', () => { ... });

import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const found = new Map<string, string | undefined>();
const reported = new Set<string>();

/** Full path of an executable on PATH, or undefined. */
export function findTool(name: string): string | undefined {
  if (found.has(name)) return found.get(name);
  let hit: string | undefined;
  const exts = process.platform === 'win32' ? (process.env.PATHEXT ?? '.EXE').split(';') : [''];
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    for (const ext of exts) {
      const candidate = join(dir, name + ext);
      try {
        accessSync(candidate, constants.X_OK);
        if (statSync(candidate).isFile()) {
          hit = candidate;
          break;
        }
      } catch {
        // not here
      }
    }
    if (hit !== undefined) break;
  }
  found.set(name, hit);
  return hit;
}

/**
 * True when `name` is on PATH. When it is not: prints why the dependent tests are skipped and returns
 * false, or, under CI=true, throws (CI must run every interop test).
 */
export function requireTool(name: string): boolean {
  if (findTool(name) !== undefined) return true;
  const reason = `${name} not found on PATH`;
  if (process.env.CI === 'true') throw new Error(`${reason}: CI=true requires it (install it in the CI image)`);
  if (!reported.has(name)) {
    reported.add(name);
    console.warn(`[skip] tests needing ${name} are skipped: ${reason}`);
  }
  return false;
}

/**
 * True when the tests run as root (network namespaces, addresses on a namespace's loopback). When not:
 * prints why the dependent tests are skipped, or, under CI=true (which runs as root), throws.
 */
export function requireRoot(what: string): boolean {
  if (process.getuid?.() === 0) return true;
  const reason = `${what} needs root`;
  if (process.env.CI === 'true') throw new Error(`${reason}: CI=true runs as root and must run it`);
  if (!reported.has(`root:${what}`)) {
    reported.add(`root:${what}`);
    console.warn(`[skip] ${reason}`);
  }
  return false;
}
