// Checks that each display filter a lab prints beside a capture really selects frames of it, with
// netlab's own dissector and display filter (the subset `netlab decode -Y` speaks). A filter that
// selects nothing would send the reader to an empty Wireshark window: that is a failed checkpoint.

import type { ClosedCapture } from './captures.ts';
import type { CheckResult } from './checkpoint.ts';

export interface FilterCount {
  readonly filter: string;
  /** Frames the filter selects, or undefined when it could not be compiled. */
  readonly matches: number | undefined;
  readonly error?: string;
}

const errorText = (err: unknown): string => (err instanceof Error ? `${err.name}: ${err.message}` : String(err));

/** Reads the capture once and counts, for each filter, the frames it selects. */
export async function countFilterMatches(
  path: string,
  filters: readonly string[],
  prefs: readonly string[] = [],
): Promise<{ frames: number; counts: FilterCount[] }> {
  // Loaded on first use: `netlab lab list` does not need the dissector.
  const [{ readCapture }, { DissectState, parsePrefs }, { dissect }, { compileFilter }] = await Promise.all([
    import('../capture/read.ts'),
    import('../dissect/context.ts'),
    import('../dissect/dissect.ts'),
    import('../dissect/filter/index.ts'),
  ]);
  const compiled = filters.map((f) => {
    try {
      return compileFilter(f);
    } catch (err) {
      return errorText(err);
    }
  });
  const matches = filters.map(() => 0);
  // The preferences the filter is printed with (e.g. eth.check_fcs:TRUE) apply here too.
  const state = new DissectState(parsePrefs(prefs));
  let frames = 0;
  for await (const packet of readCapture(path)) {
    frames++;
    const d = dissect(packet, state);
    compiled.forEach((c, i) => {
      if (typeof c !== 'string' && c.matches(d)) matches[i]++;
    });
  }
  return {
    frames,
    counts: filters.map((filter, i) => {
      const c = compiled[i];
      return typeof c === 'string' ? { filter, matches: undefined, error: c } : { filter, matches: matches[i] };
    }),
  };
}

/** One checkpoint per filter of the capture (except those marked 'unchecked'). */
export async function checkCaptureFilters(c: ClosedCapture, record: (r: CheckResult) => void): Promise<void> {
  const checked = c.filters.filter((f) => f.frames !== 'unchecked');
  if (checked.length === 0) return;
  // One pass over the capture per set of preferences the filters are printed with.
  const results = new Map<string, Awaited<ReturnType<typeof countFilterMatches>>>();
  const key = (f: (typeof checked)[number]): string => (f.prefs ?? []).join(' ');
  try {
    for (const k of new Set(checked.map(key))) {
      const group = checked.filter((f) => key(f) === k);
      results.set(
        k,
        await countFilterMatches(
          c.absolutePath,
          group.map((f) => f.filter),
          group[0].prefs ?? [],
        ),
      );
    }
  } catch (err) {
    record({ label: `${c.path} can be read back`, passed: false, observed: errorText(err), expected: 'a readable pcapng' });
    return;
  }
  checked.forEach((f) => {
    const result = results.get(key(f)) as Awaited<ReturnType<typeof countFilterMatches>>;
    const n = result.counts.find((x) => x.filter === f.filter) as FilterCount;
    const label = `filter "${f.filter}" selects frames of ${c.path}`;
    if (n.matches === undefined) {
      record({ label, passed: false, observed: `the filter does not compile: ${n.error ?? 'error'}`, expected: 'a valid display filter' });
      return;
    }
    const want = f.frames ?? 'some';
    const passed = want === 'some' ? n.matches > 0 : n.matches === want;
    record({ label, passed, observed: `${n.matches} of ${result.frames} frames`, expected: want === 'some' ? 'at least 1' : `${want}` });
  });
}
