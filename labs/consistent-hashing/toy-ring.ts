// A study guide's small ring: positions 1..30 walked clockwise, servers at chosen positions, requests
// at chosen positions. netlab's own ringLookup answers where each request goes (the first server at or
// after the request's position, wrapping past 30 to the first), on a ring given by hand instead of
// hashed, so the guide's numbers come out exactly.

import { Endpoint, ringLookup, type Ring } from '../../src/balance/index.ts';

export const RING_SIZE = 30;

/** Where the guide's requests sit on the ring. */
export const REQUESTS = [2, 6, 9, 12, 17, 21, 25, 28];

/** A ring from names and positions (1..30). */
export function toyRing(points: Readonly<Record<string, number>>): Ring {
  const sorted = Object.entries(points).sort((a, b) => a[1] - b[1]);
  return {
    positions: Float64Array.from(sorted, ([, p]) => p),
    owners: sorted.map(([name]) => new Endpoint({ name, address: '127.82.0.1', port: 1 })),
  };
}

/** The server each position goes to. */
export function toyPlace(ring: Ring, at: readonly number[]): string[] {
  return at.map((p) => ringLookup(ring, p)?.name ?? '-');
}

/** The range of positions each server owns ("1-10"), in ring order; a range that wraps reads "26-30,1-4". */
export function toyRanges(ring: Ring): [string, string][] {
  const n = ring.positions.length;
  return ring.owners.map((e, i) => {
    const end = ring.positions[i];
    const start = i === 0 ? ring.positions[n - 1] + 1 : ring.positions[i - 1] + 1;
    if (i === 0 && start <= RING_SIZE) return [e.name, `${start}-${RING_SIZE},1-${end}`];
    return [e.name, `${i === 0 ? 1 : start}-${end}`];
  });
}

/** Three lines: the positions (their last digit), the servers (their number at their position), the requests (r). */
export function toyStrip(ring: Ring, at: readonly number[]): string[] {
  const ticks = Array.from({ length: RING_SIZE }, (_, i) => String((i + 1) % 10)).join('');
  const srv = Array.from({ length: RING_SIZE }, () => ' ');
  ring.owners.forEach((e, i) => {
    srv[ring.positions[i] - 1] = e.name.replace(/^N/, '');
  });
  const req = Array.from({ length: RING_SIZE }, (_, i) => (at.includes(i + 1) ? 'r' : ' '));
  return [`position  ${ticks}`, `server N  ${srv.join('')}`, `request   ${req.join('')}`];
}
