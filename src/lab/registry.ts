// Finding labs by name in a catalogue (labs/index.ts holds the catalogue, in tour order). A catalogue
// entry is a lab's info and a loader: listing labs loads none of them.

import type { AnyLab, LabInfo } from './types.ts';
import { validatePlan } from './plan.ts';
import { closest } from './suggest.ts';
import { NetlabRangeError } from '../base/errors.ts';

/** A lab as a catalogue lists it: what `lab list` prints, and how to load the lab itself. */
export interface LabEntry extends LabInfo {
  load(): Promise<AnyLab>;
}

/** A catalogue entry for a lab already loaded (tests build catalogues from their own labs). */
export function entryOf(lab: AnyLab): LabEntry {
  return { name: lab.name, title: lab.title, duration: lab.duration, needs: lab.needs, load: async () => lab };
}

const NAME = /^[a-z0-9][a-z0-9-]*$/;

function suggestion(requested: string, known: readonly string[]): string {
  const c = closest(requested, known);
  return c === undefined ? '' : ` Did you mean "${c}"?`;
}

export class UnknownLabError extends Error {
  constructor(
    readonly requested: string,
    readonly known: readonly string[],
  ) {
    super(
      known.length === 0
        ? `no lab named "${requested}": no labs are installed`
        : `no lab named "${requested}".${suggestion(requested, known)} Labs: ${known.join(', ')} (or "all"); "netlab lab list" describes them.`,
    );
    this.name = 'UnknownLabError';
  }
}

/** Throws when names repeat or a name is not kebab-case (it is a folder name). */
export function validateCatalogue(labs: readonly LabInfo[]): void {
  const seen = new Set<string>();
  for (const lab of labs) {
    if (!NAME.test(lab.name)) throw new NetlabRangeError(`lab name "${lab.name}": use lower-case letters, digits and '-'`);
    if (lab.name === 'all') throw new NetlabRangeError('"all" cannot be a lab name: it means every lab');
    if (seen.has(lab.name)) throw new NetlabRangeError(`two labs are named "${lab.name}"`);
    seen.add(lab.name);
  }
}

/** The labs a command names: one by name, or every one for "all". */
export function selectLabs<L extends LabInfo>(labs: readonly L[], name: string): L[] {
  if (name === 'all') return [...labs];
  const lab = labs.find((l) => l.name === name);
  if (lab === undefined)
    throw new UnknownLabError(
      name,
      labs.map((l) => l.name),
    );
  return [lab];
}

/** Loads the labs of a selection, checking that each has steps and says what its entry says. */
export async function loadLabs(entries: readonly LabEntry[]): Promise<AnyLab[]> {
  const labs: AnyLab[] = [];
  for (const e of entries) {
    const lab = await e.load();
    if (lab.name !== e.name) throw new NetlabRangeError(`the catalogue entry "${e.name}" loaded the lab "${lab.name}"`);
    if (lab.steps.length === 0) throw new NetlabRangeError(`lab "${lab.name}" has no steps`);
    validatePlan(lab);
    labs.push(lab);
  }
  return labs;
}
