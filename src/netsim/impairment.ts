// Link impairments for labs about loss: each frame sent into an impaired port may be dropped,
// duplicated, or held back for a delay (with jitter, so frames can also arrive out of order). The
// choices come from a seeded generator, so the same seed loses the same frames on every run.
//
//   const lossy = impair(port, { drop: 0.1, delayMs: 20, jitterMs: 5, seed: 'lab-1' }, clock);
//
// Percentages are probabilities per frame (0 to 1). Counters say what happened to how many frames.

import { seededRandom, cryptoRandom, type Random } from '../base/random.ts';
import { realClock, type NetClock } from '../base/timer-clock.ts';
import type { FramePort } from './port.ts';
import { NetlabRangeError } from '../base/errors.ts';

export interface ImpairmentOptions {
  /** Probability that a frame is lost (0..1). */
  drop?: number;
  /** Probability that a frame is sent twice (0..1). The copy follows at once (or after its own jitter). */
  duplicate?: number;
  /** Fixed one-way delay added to every frame, ms. */
  delayMs?: number;
  /** Extra delay drawn uniformly from [0, jitterMs] per frame (reorders frames when it exceeds their spacing). */
  jitterMs?: number;
  /** Seed of the generator (a string or number); without one the choices are crypto-random. */
  seed?: string | number;
}

export interface ImpairmentCounters {
  sent: number;
  dropped: number;
  duplicated: number;
  delayed: number;
}

function probability(key: string, v: number | undefined): number {
  if (v === undefined) return 0;
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new NetlabRangeError(`impairment ${key} must be a probability from 0 to 1, got ${String(v)}`);
  return v;
}

function millis(key: string, v: number | undefined): number {
  if (v === undefined) return 0;
  if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v))
    throw new NetlabRangeError(`impairment ${key} must be 0 or more milliseconds, got ${String(v)}`);
  return v;
}

/** Checks impairment options and names the bad key; returns them complete. */
export function checkImpairment(o: ImpairmentOptions): Required<Omit<ImpairmentOptions, 'seed'>> & { seed: string | number | undefined } {
  return {
    drop: probability('drop', o.drop),
    duplicate: probability('duplicate', o.duplicate),
    delayMs: millis('delayMs', o.delayMs),
    jitterMs: millis('jitterMs', o.jitterMs),
    seed: o.seed,
  };
}

/** A port whose outgoing frames suffer the given impairments; frames arriving are untouched. */
export function impair(inner: FramePort, options: ImpairmentOptions, clock: NetClock = realClock()): FramePort & { readonly counters: ImpairmentCounters } {
  const o = checkImpairment(options);
  const random: Random = o.seed === undefined ? cryptoRandom() : seededRandom(String(o.seed));
  const unit = (): number => random.uint32() / 0x1_0000_0000;
  const counters: ImpairmentCounters = { sent: 0, dropped: 0, duplicated: 0, delayed: 0 };
  const pending = new Set<ReturnType<NetClock['setTimer']>>();
  let open = true;
  const later = (frame: Uint8Array): void => {
    const wait = o.delayMs + (o.jitterMs > 0 ? unit() * o.jitterMs : 0);
    if (wait <= 0) {
      inner.send(frame);
      return;
    }
    counters.delayed++;
    const copy = frame.slice();
    const handle = clock.setTimer(() => {
      pending.delete(handle);
      if (open) inner.send(copy);
    }, wait);
    pending.add(handle);
  };
  return {
    name: inner.name,
    counters,
    send(frame) {
      if (!open) return;
      counters.sent++;
      // Draw every number for every frame, so one setting does not shift the choices of another.
      const lose = unit() < o.drop;
      const twice = unit() < o.duplicate;
      if (lose) {
        counters.dropped++;
        return;
      }
      later(frame);
      if (twice) {
        counters.duplicated++;
        later(frame);
      }
    },
    onFrame(handler) {
      inner.onFrame(handler);
    },
    async close() {
      open = false;
      for (const h of pending) clock.clearTimer(h);
      pending.clear();
      await inner.close();
    },
  };
}
