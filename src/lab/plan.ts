// A lab's plan: its steps in order, each followed by the exercises ("your turn") that come after it.
// Steps and exercises are numbered together, as the runner prints them (`Step 3/9`, `Your turn 4/9`),
// and `--from` names a place in the plan by that number or by words of its title.

import type { Exercise } from './exercise.ts';
import type { AnyLab } from './types.ts';
import { NetlabRangeError } from '../base/errors.ts';

export type PlanItem =
  | { readonly kind: 'step'; readonly index: number; readonly title: string }
  | { readonly kind: 'exercise'; readonly exercise: Exercise<unknown>; readonly title: string };

/** The steps and exercises of a lab in the order they run (an exercise whose step is missing is left out). */
export function labPlan(lab: AnyLab): PlanItem[] {
  const items: PlanItem[] = [];
  lab.steps.forEach((step, index) => {
    items.push({ kind: 'step', index, title: step.title });
    for (const exercise of lab.exercises ?? []) if (exercise.after === step.title) items.push({ kind: 'exercise', exercise, title: exercise.title });
  });
  return items;
}

/** Throws when an exercise names a step the lab does not have, or two exercises share a title. */
export function validatePlan(lab: AnyLab): void {
  const titles = new Set(lab.steps.map((s) => s.title));
  const seen = new Set<string>();
  for (const e of lab.exercises ?? []) {
    if (!titles.has(e.after)) throw new NetlabRangeError(`lab "${lab.name}": the exercise "${e.title}" follows "${e.after}", which is not a step of the lab`);
    if (seen.has(e.title)) throw new NetlabRangeError(`lab "${lab.name}": two exercises are titled "${e.title}"`);
    seen.add(e.title);
  }
}

export class UnknownStepError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnknownStepError';
  }
}

/**
 * Where `--from SPEC` starts, as a 0-based plan position: SPEC is a number (1-based, as printed) or
 * words that all appear in one title (case ignored; the first such title wins).
 */
export function resolveFrom(lab: AnyLab, spec: string): number {
  const plan = labPlan(lab);
  const listing = plan.map((p, i) => `  ${String(i + 1).padStart(2)}. ${p.kind === 'exercise' ? 'your turn: ' : ''}${p.title}`).join('\n');
  const t = spec.trim();
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    if (n >= 1 && n <= plan.length) return n - 1;
    throw new UnknownStepError(`lab ${lab.name} has ${plan.length} steps; --from takes 1 to ${plan.length} or words of a title:\n${listing}`);
  }
  const words = t
    .toLowerCase()
    .split(/\s+/)
    .filter((w) => w !== '');
  const at = plan.findIndex((p) => words.every((w) => p.title.toLowerCase().includes(w)));
  if (words.length > 0 && at >= 0) return at;
  throw new UnknownStepError(`no step of lab ${lab.name} has "${t}" in its title. Its steps:\n${listing}`);
}
