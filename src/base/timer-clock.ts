// The clock services and the virtual network read: time in milliseconds and one-shot timers. The real
// clock uses performance.now() and setTimeout; tests and fixture runs pass a ManualClock, whose time
// moves only when told, so ARP ageing, retries and ping timeouts are checked without waiting.

/** A timer started with `setTimer`; pass it to `clearTimer`. */
export interface TimerHandle {
  readonly id: number;
}

export interface NetClock {
  /** Milliseconds (fractional) from an arbitrary origin. */
  now(): number;
  /** Runs `fn` once, `ms` milliseconds from now. */
  setTimer(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timer (nothing happens if it already ran or was cleared). */
  clearTimer(handle: TimerHandle): void;
}

/** A real timer's handle: it carries its Node timeout (no table of timers, no wrapper per timer). */
interface RealTimerHandle extends TimerHandle {
  readonly timeout: ReturnType<typeof setTimeout>;
}

/** The machine's clock: performance.now() and setTimeout. */
export function realClock(): NetClock {
  let next = 1;
  return {
    now: () => performance.now(),
    setTimer(fn, ms): RealTimerHandle {
      return { id: next++, timeout: setTimeout(fn, Math.max(0, ms)) };
    },
    clearTimer(handle) {
      // Clearing a timer that already ran (or a handle of another clock) does nothing.
      const t = (handle as Partial<RealTimerHandle>).timeout;
      if (t !== undefined) clearTimeout(t);
    },
  };
}

interface ManualTimer {
  id: number;
  at: number;
  fn: () => void;
}

/** A clock whose time moves only with `advance()`; due timers run in time order (then start order). */
export class ManualClock implements NetClock {
  private time: number;
  private next = 1;
  private readonly timers = new Map<number, ManualTimer>();

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimer(fn: () => void, ms: number): TimerHandle {
    const id = this.next++;
    this.timers.set(id, { id, at: this.time + Math.max(0, ms), fn });
    return { id };
  }

  clearTimer(handle: TimerHandle): void {
    this.timers.delete(handle.id);
  }

  /** Timers waiting to run. */
  get pending(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, running every timer that falls due on the way (at its own time). */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`ManualClock.advance: ms must be 0 or more, got ${ms}`);
    const target = this.time + ms;
    for (;;) {
      let due: ManualTimer | undefined;
      for (const t of this.timers.values()) {
        if (t.at <= target && (due === undefined || t.at < due.at || (t.at === due.at && t.id < due.id))) due = t;
      }
      if (due === undefined) break;
      this.timers.delete(due.id);
      this.time = Math.max(this.time, due.at);
      due.fn();
    }
    this.time = target;
  }
}
