// The clock a lab's virtual network runs on: netsim's ManualClock (time moves only when told), plus
// the one thing a driver needs that ManualClock does not say: when the next timer falls due. With it
// the lab moves time straight to the next event (a frame arriving after its link delay, an ARP retry,
// a ping timeout), so a 3-second ARP timeout takes no real time and every run gives the same times.

import { ManualClock, type NetClock, type TimerHandle } from '../base/timer-clock.ts';

export class EventClock implements NetClock {
  private readonly manual: ManualClock;
  /** Timer id -> the time it falls due, for timers that have neither run nor been cleared. */
  private readonly due = new Map<number, number>();

  constructor(start = 0) {
    this.manual = new ManualClock(start);
  }

  now(): number {
    return this.manual.now();
  }

  setTimer(fn: () => void, ms: number): TimerHandle {
    const at = this.manual.now() + Math.max(0, ms);
    const handle = this.manual.setTimer(() => {
      this.due.delete(handle.id);
      fn();
    }, ms);
    this.due.set(handle.id, at);
    return handle;
  }

  clearTimer(handle: TimerHandle): void {
    this.due.delete(handle.id);
    this.manual.clearTimer(handle);
  }

  /** Timers waiting to run. */
  get pending(): number {
    return this.due.size;
  }

  /** When the earliest waiting timer falls due, or undefined when none waits. */
  nextDue(): number | undefined {
    let first: number | undefined;
    for (const at of this.due.values()) if (first === undefined || at < first) first = at;
    return first;
  }

  /** Moves time forward by `ms`, running each timer that falls due on the way at its own time. */
  advance(ms: number): void {
    this.manual.advance(ms);
  }
}
