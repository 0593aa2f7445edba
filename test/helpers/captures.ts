// Where the real captures made by other people's tools live inside the repository (with their
// manifest and licences): every test, script and bench reads them from here, never from outside.
import { join } from 'node:path';

export const CAPTURES = join(import.meta.dirname, '..', 'captures');

/** The path of one capture in test/captures. */
export function capturePath(name: string): string {
  return join(CAPTURES, name);
}
