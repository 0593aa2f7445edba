// The election rules of netlab's heartbeat protocol (vrrp-heartbeat.ts), apart from any socket or
// clock, so the real-loopback FloatingIp (src/l4) and the virtual network's floating address
// (src/netsim/floating-vip.ts) decide the same way:
//  - a backup waits interval × threshold plus a skew of (256 − priority)/256 × interval (VRRP's
//    Skew_Time, so that of two backups the higher priority moves first) without an ADVERT from an
//    instance at least as good before it becomes master;
//  - "at least as good": the higher priority, then the higher instance id;
//  - an ADVERT heard by a backup re-arms its timer, unless the backup preempts (preempt on) and the
//    sender ranks below it: then it takes over at once;
//  - an ADVERT heard by a master from a better instance makes it step down (two masters after lost
//    heartbeats resolve on the first ADVERT each hears); from a worse one it is ignored (the worse one
//    steps down when it hears ours).

export interface Rank {
  readonly priority: number;
  readonly instance: number;
}

export type ElectionRole = 'backup' | 'master';

/** What an instance does with an ADVERT it heard. */
export type AdvertAction = 'rearm' | 'preempt' | 'step-down' | 'ignore';

/** How long a backup waits without an ADVERT before it becomes master (ms). */
export function masterDownMs(intervalMs: number, threshold: number, priority: number): number {
  return intervalMs * threshold + ((256 - priority) * intervalMs) / 256;
}

/** True when `a` ranks above `b`: the higher priority, then the higher instance id. */
export function outranks(a: Rank, b: Rank): boolean {
  return a.priority > b.priority || (a.priority === b.priority && a.instance > b.instance);
}

/** The rule for one ADVERT from `heard`, seen by `self` in `role`. */
export function onAdvert(role: ElectionRole, self: Rank & { readonly preempt: boolean }, heard: Rank): AdvertAction {
  if (role === 'backup') return outranks(heard, self) || !self.preempt ? 'rearm' : 'preempt';
  return outranks(heard, self) ? 'step-down' : 'ignore';
}
