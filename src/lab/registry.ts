// Finding labs by name in a catalogue (labs/index.ts holds the catalogue, in tour order).

import type { AnyLab } from './types.ts';

const NAME = /^[a-z0-9][a-z0-9-]*$/;

export class UnknownLabError extends Error {
  constructor(
    readonly requested: string,
    readonly known: readonly string[],
  ) {
    super(
      known.length === 0
        ? `no lab named "${requested}": no labs are installed`
        : `no lab named "${requested}". Labs: ${known.join(', ')} (or "all"); "netlab lab list" describes them.`,
    );
    this.name = 'UnknownLabError';
  }
}

/** Throws when names repeat, a name is not kebab-case (it is a folder name), or a lab has no steps. */
export function validateCatalogue(labs: readonly AnyLab[]): void {
  const seen = new Set<string>();
  for (const lab of labs) {
    if (!NAME.test(lab.name)) throw new RangeError(`lab name "${lab.name}": use lower-case letters, digits and '-'`);
    if (lab.name === 'all') throw new RangeError('"all" cannot be a lab name: it means every lab');
    if (seen.has(lab.name)) throw new RangeError(`two labs are named "${lab.name}"`);
    if (lab.steps.length === 0) throw new RangeError(`lab "${lab.name}" has no steps`);
    seen.add(lab.name);
  }
}

/** The labs a command names: one by name, or every one for "all". */
export function selectLabs(labs: readonly AnyLab[], name: string): AnyLab[] {
  if (name === 'all') return [...labs];
  const lab = labs.find((l) => l.name === name);
  if (lab === undefined) throw new UnknownLabError(name, labs.map((l) => l.name));
  return [lab];
}
