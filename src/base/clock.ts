// The clock a lab reads. Normal runs: the wall clock at start plus process.hrtime, so timestamps
// are real and never go backwards. Fixture runs: a fixed clock that starts at a fixed instant and
// moves forward by a fixed tick at every reading, so captures are byte-identical on every machine.

export interface Timestamp {
  /** Whole seconds since the Unix epoch. */
  readonly sec: number;
  /** Nanoseconds within the second (0..999999999). */
  readonly nsec: number;
}

export interface Clock {
  /** True for the fixed clock of fixture runs. */
  readonly fixed: boolean;
  /** The current time. A fixed clock moves forward by its tick after each reading. */
  now(): Timestamp;
  /** Moves a fixed clock forward (a simulated delay); a real clock ignores it. */
  advance(ms: number): void;
}

const NS_PER_SEC = 1_000_000_000n;

function fromNs(ns: bigint): Timestamp {
  return { sec: Number(ns / NS_PER_SEC), nsec: Number(ns % NS_PER_SEC) };
}

/** Wall clock read once, then advanced with the monotonic process.hrtime. */
export function realClock(): Clock {
  const wallBase = BigInt(Date.now()) * 1_000_000n;
  const monoBase = process.hrtime.bigint();
  return {
    fixed: false,
    now: () => fromNs(wallBase + (process.hrtime.bigint() - monoBase)),
    advance: () => undefined,
  };
}

/** 2024-01-01T00:00:00Z: where fixture captures start. */
export const FIXED_START_SEC = 1_704_067_200;
/** How far a fixed clock moves at each reading: 100 µs. */
export const FIXED_TICK_NS = 100_000;

/** A clock for fixtures: starts at `startSec`, ticks `tickNs` per reading. */
export function fixedClock(startSec = FIXED_START_SEC, tickNs = FIXED_TICK_NS): Clock {
  let ns = BigInt(startSec) * NS_PER_SEC;
  const tick = BigInt(tickNs);
  return {
    fixed: true,
    now: () => {
      const t = fromNs(ns);
      ns += tick;
      return t;
    },
    advance: (ms: number) => {
      if (!(ms >= 0)) throw new RangeError(`advance(${ms}): a clock only moves forward`);
      ns += BigInt(Math.round(ms * 1e6));
    },
  };
}

/** Milliseconds from a to b. */
export function elapsedMs(a: Timestamp, b: Timestamp): number {
  return (b.sec - a.sec) * 1000 + (b.nsec - a.nsec) / 1e6;
}
