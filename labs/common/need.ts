// What a lab step takes from the state an earlier step left: there, or a clear error naming it.

export function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`${what} is missing: an earlier step did not finish`);
  return v;
}
