// Spanning tree on a triangle of switches: without it one broadcast circles forever (a storm the
// switches' queues cap); with it one port is blocked and the broadcast reaches each host once.
// BPDUs are checked against tshark's STP dissector.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/base/timer-clock.ts';
import { NetTap } from '../../src/netsim/tap.ts';
import { memoryLink, type FramePort } from '../../src/netsim/port.ts';
import { MAX_BACKLOG, Switch } from '../../src/netsim/switch.ts';
import { bpduFrame, decodeBpduFrame, isBpduFrame } from '../../src/wire/stp.ts';
import { requireTool } from '../helpers/tools.ts';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await tick();
}

/** Three switches in a triangle, each with one host port; `rx[i]` counts frames host i receives. */
function triangle(stp: boolean, clock: ManualClock, tap?: NetTap) {
  const timers = { helloSeconds: 1, maxAgeSeconds: 6, forwardDelaySeconds: 4 };
  const sw = [1, 2, 3].map((n) => new Switch({ name: `sw${n}`, clock, stp: stp ? timers : undefined, mac: `02:00:00:00:00:0${n}` }));
  const hosts: FramePort[] = [];
  const rx = [0, 0, 0];
  sw.forEach((s, i) => {
    const [h, p] = memoryLink(`h${i + 1}`, `sw${i + 1}-p0`);
    h.onFrame((f) => {
      if (!isBpduFrame(f)) rx[i]++;
    });
    hosts.push(h);
    s.addPort(p);
  });
  const join = (a: number, b: number, name: string): void => {
    let [pa, pb] = memoryLink(`sw${a + 1}-${name}`, `sw${b + 1}-${name}`);
    if (tap !== undefined) pa = tap.port(pa);
    sw[a].addPort(pa);
    sw[b].addPort(pb);
  };
  join(0, 1, 'to12');
  join(1, 2, 'to23');
  join(2, 0, 'to31');
  return { sw, hosts, rx, close: () => Promise.all(sw.map((s) => s.close())) };
}

/** A broadcast ARP-like frame from host 1. */
function broadcast(): Uint8Array {
  const f = new Uint8Array(60);
  f.fill(0xff, 0, 6);
  f.set([0x02, 0, 0, 0, 0xaa, 0x01], 6);
  f[12] = 0x08;
  f[13] = 0x06;
  return f;
}

const dataTx = (sw: Switch[]): number => sw.reduce((n, s) => n + s.portNames.reduce((m, p) => m + s.counters(p).txFrames, 0), 0);

async function converge(clock: ManualClock, seconds: number): Promise<void> {
  for (let t = 0; t < seconds * 4; t++) {
    clock.advance(250);
    await turns(4);
  }
}

describe('BPDUs', () => {
  it('encode and decode a Configuration BPDU; garbage never throws', () => {
    const b = {
      type: 'config' as const,
      flags: 0,
      rootId: { priority: 32768, mac: Uint8Array.of(2, 0, 0, 0, 0, 1) },
      rootPathCost: 19,
      bridgeId: { priority: 32768, mac: Uint8Array.of(2, 0, 0, 0, 0, 2) },
      portId: 0x8002,
      messageAge: 1,
      maxAge: 20,
      helloTime: 2,
      forwardDelay: 15,
    };
    const f = bpduFrame(b, Uint8Array.of(2, 0, 0, 0, 0, 2));
    expect(f.length).toBe(60);
    expect([...f.subarray(12, 17)]).toEqual([0, 38, 0x42, 0x42, 0x03]);
    const d = decodeBpduFrame(f);
    expect(d.ok && d.bpdu).toMatchObject({ type: 'config', rootPathCost: 19, portId: 0x8002, messageAge: 1, maxAge: 20, helloTime: 2, forwardDelay: 15 });
    for (let n = 0; n < 60; n++) expect(() => decodeBpduFrame(f.subarray(0, n))).not.toThrow();
    const bad = f.slice();
    bad[20] = 0x7;
    const r = decodeBpduFrame(bad);
    expect(r.ok).toBe(false);
    expect(() => bpduFrame({ ...b, maxAge: 300 }, b.bridgeId.mac)).toThrow(/max age/);
  });
});

describe('a triangle of switches', () => {
  it('without spanning tree: one broadcast becomes a storm, bounded by the switch queues', async () => {
    const clock = new ManualClock();
    const t = triangle(false, clock);
    try {
      t.hosts[0].send(broadcast());
      await turns(300);
      // Host 2 and host 3 each see the same broadcast over and over (it circles both ways).
      expect(t.rx[1]).toBeGreaterThan(100);
      expect(t.rx[2]).toBeGreaterThan(100);
      expect(t.rx[0]).toBeGreaterThan(100); // it even comes back to its sender
      const tx = dataTx(t.sw);
      await turns(50);
      expect(dataTx(t.sw)).toBeGreaterThan(tx); // and it never stops
      for (const s of t.sw) expect(s.backlogSize).toBeLessThanOrEqual(MAX_BACKLOG);
      console.log(`storm (STP off): after 350 turns hosts received ${t.rx.join('/')} copies, switches sent ${dataTx(t.sw)} frames`);
    } finally {
      await t.close();
    }
  });

  it('with spanning tree: the root is the lowest bridge id, one port is blocked, the broadcast arrives once', async () => {
    const clock = new ManualClock();
    const t = triangle(true, clock);
    try {
      await converge(clock, 10); // 2 x forward delay (4 s) and some hellos
      const [sw1, sw2, sw3] = t.sw;
      expect(sw1.stp?.isRoot).toBe(true);
      expect(sw2.stp?.isRoot).toBe(false);
      const roles = t.sw.flatMap((s) => s.portNames.map((p, i) => `${p}=${s.stp?.role(i)}/${s.stp?.state(i)}`));
      // sw3 is farthest from the root on the sw2-sw3 link... every port forwards except one alternate.
      const blocked = roles.filter((r) => r.includes('alternate'));
      expect(blocked, roles.join(' ')).toHaveLength(1);
      expect(blocked[0]).toMatch(/^sw3-to23=alternate\/blocking$/);
      expect(roles.filter((r) => r.endsWith('/forwarding'))).toHaveLength(8);
      expect(sw3.formatStp()).toMatch(/root 32768\/02:00:00:00:00:01, cost 19/);
      const before = dataTx(t.sw);
      t.hosts[0].send(broadcast());
      await turns(300);
      expect(t.rx).toEqual([0, 1, 1]);
      const sent = dataTx(t.sw) - before;
      // sw1 floods to 2 ports, sw2 to host 2 and sw3, sw3 to host 3 (its port to sw2 is blocked):
      // 5 data frames (plus the BPDUs of 300 turns without clock movement: none).
      expect(sent).toBe(5);
      expect(sw3.counters('sw3-to23').drops['stp-blocked']).toBeGreaterThanOrEqual(0);
      console.log(`STP on: hosts received ${t.rx.join('/')} copies; switches sent ${sent} frames for one broadcast`);
    } finally {
      await t.close();
    }
  });

  it('reroutes when the root link fails (stored information ages out after max age)', async () => {
    const clock = new ManualClock();
    const t = triangle(true, clock);
    try {
      await converge(clock, 10);
      t.sw[0].setPortUp('sw1-to31', false);
      t.sw[2].setPortUp('sw3-to31', false);
      await converge(clock, 16); // max age 6 s, then listening + learning 8 s
      const roles = t.sw.flatMap((s) => s.portNames.map((p, i) => `${p}=${s.stp?.role(i)}/${s.stp?.state(i)}`));
      expect(roles, roles.join(' ')).toContain('sw3-to23=root/forwarding');
      t.hosts[0].send(broadcast());
      await turns(300);
      expect(t.rx).toEqual([0, 1, 1]);
    } finally {
      await t.close();
    }
  });

  it.skipIf(!requireTool('tshark'))('tshark decodes the BPDUs as stp, none malformed', async () => {
    const clock = new ManualClock();
    const tap = NetTap.inMemory({ time: () => ({ sec: 1_700_000_000 + Math.floor(clock.now() / 1000), nsec: 0 }) });
    const t = triangle(true, clock, tap);
    try {
      await converge(clock, 10);
    } finally {
      await t.close();
    }
    const file = join(mkdtempSync(join(tmpdir(), 'netlab-stp-')), 'bpdu.pcapng');
    writeFileSync(file, tap.bytes());
    const out = execFileSync(
      'tshark',
      ['-r', file, '-T', 'fields', '-e', 'frame.protocols', '-e', 'stp.root.hw', '-e', 'stp.root.cost', '-e', 'stp.bridge.hw', '-e', '_ws.malformed'],
      { encoding: 'utf8' },
    );
    const lines = out.trim().split('\n');
    expect(lines.length).toBeGreaterThan(5);
    const roots: string[] = [];
    for (const l of lines) {
      const [protocols, root, cost, bridge, malformed] = l.split('\t');
      expect(protocols).toBe('eth:llc:stp');
      expect(bridge).toMatch(/^02:00:00:00:00:0[123]$/);
      expect(Number(cost)).toBeGreaterThanOrEqual(0);
      expect(malformed ?? '').toBe('');
      roots.push(root);
    }
    // Before convergence each bridge claims to be the root; after it, every BPDU names sw1.
    expect(roots.slice(-5)).toEqual(Array(5).fill('02:00:00:00:00:01'));
  });
});
