// How late this process's timers ran: the room a lab's timing checkpoint gives a timer on a busy
// machine, measured instead of guessed. A timer never fires early; it fires late by as long as the
// event loop was busy (other callbacks) or the thread was not running (other processes had the CPU).
// LoopLag schedules a timer every `sampleMs` and records how late each one ran; a timer due at any
// moment of a window was late by at most the worst lateness seen over that window plus one sampling
// period (a stall that began just after a sample shows in the next one).
//
// runQueueWaitMs(): the time this thread spent ready to run but waiting for a CPU (Linux
// /proc/thread-self/schedstat, second field), so that a wall-clock figure can be split into the part
// the code took and the part the scheduler added. undefined where the kernel does not say.
//
// ownTime(): for work whose every party runs in this process (a lab's client, servers and resolver on
// loopback), the time it took leaving out the time the machine gave the process no CPU: the CPU time
// the process used (user + system, every thread) plus the time its event loop sat idle waiting for
// something to happen (a timer, a socket). A program that computes shows in the first part, one that
// waits (a timeout, a retry, a sleep) in the second; a busy machine in neither.

import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

export interface LagSample {
  /** performance.now() when the timer ran. */
  readonly at: number;
  /** ms it ran after it was due. */
  readonly lateMs: number;
}

export class LoopLag {
  readonly samples: LagSample[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private due = 0;
  private stopped = false;

  /** Starts sampling now, one timer every `sampleMs` (at most `maxSamples` kept: the newest). */
  constructor(
    readonly sampleMs = 5,
    private readonly maxSamples = 20_000,
  ) {
    if (!(sampleMs >= 1)) throw new RangeError(`LoopLag sampleMs must be >= 1, got ${sampleMs}`);
    this.arm();
  }

  private arm(): void {
    this.due = performance.now() + this.sampleMs;
    this.timer = setTimeout(() => {
      const at = performance.now();
      this.samples.push({ at, lateMs: Math.max(0, at - this.due) });
      if (this.samples.length > this.maxSamples) this.samples.shift();
      if (!this.stopped) this.arm();
    }, this.sampleMs);
    this.timer.unref();
  }

  /** The worst lateness of a sample that ran in [from, to] (performance.now() times), 0 if none. */
  worstMs(from = Number.NEGATIVE_INFINITY, to = Number.POSITIVE_INFINITY): number {
    let worst = 0;
    for (const s of this.samples) if (s.at >= from && s.at <= to && s.lateMs > worst) worst = s.lateMs;
    return worst;
  }

  /**
   * How late a timer due at `due` that ran at `ran` could be because of the loop and the scheduler: the
   * worst lateness of the samples that ran from `due` until just after `ran` (the sample that measured
   * the stall runs right after it ends), plus one sampling period. 0 + one period on an idle machine.
   */
  allowanceMs(due: number, ran: number): number {
    return this.worstMs(due - this.sampleMs, ran + 2 * this.sampleMs) + this.sampleMs;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** ms this thread has waited, runnable, for a CPU since it started; undefined where unknown. */
export function runQueueWaitMs(): number | undefined {
  for (const path of ['/proc/thread-self/schedstat', '/proc/self/schedstat']) {
    try {
      const fields = readFileSync(path, 'latin1').trim().split(/\s+/);
      const ns = Number(fields[1]);
      if (fields.length >= 2 && Number.isFinite(ns)) return ns / 1e6;
    } catch {
      // not Linux, or no schedstats: try the next, then say unknown
    }
  }
  return undefined;
}

/** What ownTime() measured since it was started (ms). */
export interface OwnTime {
  /** CPU time of the process (user + system, all threads). */
  readonly cpuMs: number;
  /** Time the event loop waited, idle, for a timer or a socket. */
  readonly idleMs: number;
  /** cpuMs + idleMs. */
  readonly ownMs: number;
  /** Wall-clock time. */
  readonly wallMs: number;
}

/** Starts measuring; call the function returned to read the figures since then. */
export function ownTime(): () => OwnTime {
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  return () => {
    const cpu = process.cpuUsage(cpu0);
    const elu = performance.eventLoopUtilization(elu0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    return { cpuMs, idleMs: elu.idle, ownMs: cpuMs + elu.idle, wallMs: performance.now() - t0 };
  };
}
