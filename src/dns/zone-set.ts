// The zones one server answers for, and which one answers a name: the deepest zone whose origin is
// the name or above it (a server holding "test" and "example.test" answers www.example.test from the
// second).

import { ancestorKeys, type Zone } from './zone.ts';
import { NetlabRangeError } from '../base/errors.ts';

export class ZoneSet {
  private readonly byOrigin = new Map<string, Zone>();
  /** Goes up with every change (answer caches compare it). */
  version = 0;

  constructor(zones: readonly Zone[] = []) {
    for (const z of zones) this.add(z);
  }

  /** Adds a zone; refuses a second zone with the same origin. */
  add(zone: Zone): void {
    if (this.byOrigin.has(zone.originKey)) throw new NetlabRangeError(`two zones for ${zone.origin || '.'}`);
    this.byOrigin.set(zone.originKey, zone);
    this.version++;
  }

  /** Replaces the zone with this origin (or adds it). */
  replace(zone: Zone): void {
    this.byOrigin.set(zone.originKey, zone);
    this.version++;
  }

  get zones(): Zone[] {
    return [...this.byOrigin.values()];
  }

  /** The zone that answers for `name`, or undefined (REFUSED). Bad names find no zone. */
  find(name: string): Zone | undefined {
    let keys: string[];
    try {
      keys = ancestorKeys(name);
    } catch {
      return undefined;
    }
    for (const k of keys) {
      const z = this.byOrigin.get(k);
      if (z !== undefined) return z;
    }
    return undefined;
  }
}
