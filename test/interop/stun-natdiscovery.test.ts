// An independent RFC 5780 client, coturn's turnutils_natdiscovery (Debian package coturn), run through
// netlab's socket-mode relay against netlab's STUN server for every mapping x filtering behaviour the
// translator can be set to, beside netlab's own client on the same relay: both must name the
// behaviour the relay was set to, and agree on hairpinning.
//
// natdiscovery sends mapping test III to the OTHER-ADDRESS of test II's answer. RFC 5780 §7.4 makes
// OTHER-ADDRESS relative to the socket that answered, so against a server that follows it (netlab's
// default 'per-socket') test III goes to the primary address and alternate port and an
// address-dependent NAT is reported as address-and-port-dependent: one case below shows that, the
// others run the server with OTHER-ADDRESS fixed on the alternate endpoint ('alternate').
// natdiscovery waits 3 s for each answer that does not come, so the cases run side by side, each on
// addresses of its own (relay 127.74.0.12x, server 127.74.1.x, client 127.73.0.3x).

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { SocketRelay } from '../../src/nat/socket-relay.ts';
import { StunClient } from '../../src/nat/stun/client.ts';
import { StunServer } from '../../src/nat/stun/server.ts';
import { dgramNetwork } from '../../src/nat/stun/transport.ts';
import type { NatBehaviour } from '../../src/nat/types.ts';
import { requireTool } from '../helpers/tools.ts';

const run = promisify(execFile);
const BEHAVIOURS: readonly NatBehaviour[] = ['endpoint-independent', 'address-dependent', 'address-and-port-dependent'];
const WORDS: Record<string, NatBehaviour> = {
  'Endpoint Independent': 'endpoint-independent',
  'Address Dependent': 'address-dependent',
  'Address and Port Dependent': 'address-and-port-dependent',
};

export interface NatDiscoveryVerdict {
  mapping: NatBehaviour | 'no-nat' | undefined;
  filtering: NatBehaviour | undefined;
  hairpinning: boolean;
}

/** Reads natdiscovery's verdict lines ("NAT with Address Dependent Mapping!", "Received a request ..."). */
export function parseNatDiscovery(out: string): NatDiscoveryVerdict {
  const section = (title: string): string => {
    const i = out.indexOf(`-= ${title} Behavior Discovery =-`);
    if (i < 0) return '';
    const j = out.indexOf('-= ', i + 3);
    return out.slice(i, j < 0 ? undefined : j);
  };
  const verdict = (text: string, kind: string): NatBehaviour | undefined => {
    const all = [...text.matchAll(new RegExp(`NAT with (Endpoint Independent|Address Dependent|Address and Port Dependent) ${kind}!`, 'g'))];
    return all.length === 0 ? undefined : WORDS[all[all.length - 1][1]];
  };
  const m = section('Mapping');
  return {
    mapping: verdict(m, 'Mapping') ?? (/No NAT!/.test(m) ? 'no-nat' : undefined),
    filtering: verdict(section('Filtering'), 'Filtering'),
    hairpinning: /Received a request \(maybe a successful hairpinning\)/.test(section('Hairpinning')),
  };
}

interface Case {
  mapping: NatBehaviour;
  filtering: NatBehaviour;
  other: 'per-socket' | 'alternate';
  i: number;
}

const CASES: Case[] = BEHAVIOURS.flatMap((mapping, a) => BEHAVIOURS.map((filtering, b) => ({ mapping, filtering, other: 'alternate' as const, i: a * 3 + b })));
CASES.push({ mapping: 'address-dependent', filtering: 'endpoint-independent', other: 'per-socket', i: 9 });

interface Outcome {
  c: Case;
  theirs: NatDiscoveryVerdict;
  ours: { mapping: string; filtering: string; hairpinning: boolean };
  out: string;
  table: string;
}

async function runCase(c: Case): Promise<Outcome> {
  const p1 = `127.74.1.${2 * c.i + 1}`;
  const p2 = `127.74.1.${2 * c.i + 2}`;
  const a1 = `127.73.254.${2 * c.i + 1}`;
  const a2 = `127.73.254.${2 * c.i + 2}`;
  const relay = await SocketRelay.start({
    inside: '127.73.0.0/16',
    publicAddress: `127.74.0.${120 + c.i}`,
    mirrors: [
      { outside: p1, inside: a1 },
      { outside: p2, inside: a2 },
    ],
    mapping: c.mapping,
    filtering: c.filtering,
    ports: { min: 40000, max: 49999, holdMs: 0 },
  });
  const net = dgramNetwork();
  const srv = await StunServer.start(net, { primary: p1, alternate: p2, advertise: (a) => relay.aliasOf(a) ?? a, otherAddress: c.other });
  try {
    for (const e of srv.endpoints) await relay.mirror(e.address, e.port);
    const local = `127.73.0.${30 + c.i}`;
    const { stdout } = await run('turnutils_natdiscovery', ['-m', '-f', '-H', '-p', String(srv.primary.port), '-L', local, a1], { timeout: 60_000 });
    const ours = await new StunClient(net, { local, server: { address: a1, port: srv.primary.port }, rtoMs: 50 }).classify();
    return { c, theirs: parseNatDiscovery(stdout), ours, out: stdout, table: relay.format() };
  } finally {
    await srv.close();
    await relay.close();
  }
}

describe.skipIf(!requireTool('turnutils_natdiscovery'))('coturn natdiscovery through the socket-mode relay', () => {
  // Every case starts at once (natdiscovery mostly waits); each test reads its own outcome.
  let all: Promise<Outcome[]>;
  beforeAll(() => {
    all = Promise.all(CASES.map(runCase));
    all.catch(() => undefined);
  });

  it('reads natdiscovery verdict lines', () => {
    const text =
      '\n-= Hairpinning Behavior Discovery =-\nReceived a request (maybe a successful hairpinning)\n-= Mapping Behavior Discovery =-\nNo NAT! (Endpoint Independent Mapping)\nNAT with Address Dependent Mapping!\n-= Filtering Behavior Discovery =-\nSTUN receive timeout..\nNAT with Address and Port Dependent Filtering!\n';
    expect(parseNatDiscovery(text)).toEqual({ mapping: 'address-dependent', filtering: 'address-and-port-dependent', hairpinning: true });
    expect(parseNatDiscovery('-= Hairpinning Behavior Discovery =-\nSTUN receive timeout..\n').hairpinning).toBe(false);
  });

  it.each(CASES.filter((c) => c.other === 'alternate'))(
    'mapping $mapping, filtering $filtering: natdiscovery and netlab agree',
    async (c) => {
      const o = (await all).find((x) => x.c === c) as Outcome;
      console.log(
        `${c.mapping} / ${c.filtering}: natdiscovery ${o.theirs.mapping} / ${o.theirs.filtering} / hairpin ${o.theirs.hairpinning}; netlab ${o.ours.mapping} / ${o.ours.filtering} / hairpin ${o.ours.hairpinning}`,
      );
      expect(o.theirs, o.out).toEqual({ mapping: c.mapping, filtering: c.filtering, hairpinning: o.ours.hairpinning });
      expect([o.ours.mapping, o.ours.filtering]).toEqual([c.mapping, c.filtering]);
      expect(o.table).toMatch(/127\.73\.0\.\d+:\d+ +<-> +127\.74\.0\.1\d\d:\d+/);
    },
    120_000,
  );

  it('with OTHER-ADDRESS per socket (RFC 5780 §7.4), natdiscovery calls address-dependent mapping address-and-port-dependent', async () => {
    const o = (await all).find((x) => x.c.other === 'per-socket') as Outcome;
    expect(o.ours.mapping).toBe('address-dependent');
    expect(o.theirs.mapping, o.out).toBe('address-and-port-dependent');
    expect(o.theirs.filtering).toBe('endpoint-independent');
  }, 120_000);
});
