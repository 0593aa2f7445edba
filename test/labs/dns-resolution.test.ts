// The dns-resolution lab: a --check run through the runner passes; its captures show the servers'
// port as 53, so tshark dissects every frame as DNS and finds nothing malformed; the port rewrite
// keeps checksums good; a cache that forgets makes the cache checkpoints fail; a fixture run writes
// nothing (real sockets are not deterministic); the CLI exits 0.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import lab from '../../labs/dns-resolution.ts';
import { remapPorts } from '../../src/capture/port-remap.ts';
import type { AnyLab, Step } from '../../src/lab/types.ts';
import { decode } from '../../src/wire/decode.ts';
import { encode, ethernet, ipv4, payload, udp } from '../../src/wire/index.ts';
import type { Udp } from '../../src/wire/udp.ts';
import { requireTool } from '../helpers/tools.ts';
import { expectCleanDnsCaptures, failedLabels, labHarness, tsharkRows, labCli } from './harness.ts';

const { temp, run } = labHarness('dns-resolution-lab');

describe('lab dns-resolution, --check through the runner', () => {
  let r: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    r = await run(lab);
  }, 60_000);

  it('passes every checkpoint', () => {
    expect(r.summary.failed, r.text).toBe(0);
    expect(r.summary.passed).toBeGreaterThanOrEqual(requireTool('tshark') ? 40 : 30);
    expect(r.text).toMatch(new RegExp(`^${r.summary.passed} passed, 0 failed$`, 'm'));
  });

  it('writes one capture per step that talks to servers', () => {
    expect(readdirSync(join(r.out, 'dns-resolution')).sort()).toEqual([
      'dns-resolution-cache.pcapng',
      'dns-resolution-first.pcapng',
      'dns-resolution-nxdomain.pcapng',
      'dns-resolution-ttl.pcapng',
    ]);
  });

  it.skipIf(!requireTool('tshark'))('tshark: every frame is DNS on port 53, good UDP checksums, nothing malformed, each filter selects frames', () => {
    const captures = r.summary.labs[0]?.captures ?? [];
    expect(captures).toHaveLength(4);
    expectCleanDnsCaptures(captures);
    const first = captures.find((c) => c.path.endsWith('dns-resolution-first.pcapng'));
    const rows = tsharkRows(first?.absolutePath ?? '', 'dns.flags.authoritative == 1', ['dns.a', 'dns.cname', 'dns.resp.ttl']);
    expect(rows).toEqual([['192.0.2.1', 'example.com', '3600,3600']]);
  });

  it('is a figure record of root -> .com -> example.com with the records, TTLs and the cache with its expiry', () => {
    const shows = r.summary.record.labs[0]?.items.flatMap((i) => i.shows) ?? [];
    const trees = shows.flatMap((s) => (s.kind === 'figure' && s.figure.kind === 'tree' ? [s.figure] : []));
    expect(trees).toHaveLength(1);
    const t = trees[0];
    expect(t.nodes.map((n) => [n.label.split(' ')[0], n.parent, n.edge])).toEqual([
      ['root', undefined, undefined],
      ['.com', 0, 'referral: com'],
      ['authoritative', 1, 'referral: example.com'],
    ]);
    expect(t.nodes[0].records.filter((x) => x.section === 'authority').map((x) => `${x.name} ${x.type}`)).toEqual(['com NS']);
    expect(t.nodes[2].records.filter((x) => x.section === 'answer').map((x) => `${x.name} ${x.type} ${x.ttl}`)).toEqual([
      'www.example.com CNAME 3600',
      'example.com A 3600',
    ]);
    // The nodes' times are the run's: in order, within the run.
    expect(t.nodes[1].at).toBeGreaterThanOrEqual(t.nodes[0].at);
    const a = t.cache?.entries.find((e) => e.name === 'example.com' && e.type === 'A');
    expect(a?.ttl).toBe(3600);
    expect(Math.abs((a?.expires ?? 0) - (t.nodes[2].at + 3600 * 1000))).toBeLessThan(2000);
    // Nothing more at the terminal: the figure's text is empty.
    expect(t.text).toBe('');
  });
});

describe('lab dns-resolution, checkpoints that fail', () => {
  it('a resolver that forgets its cache fails the cache checkpoints', async () => {
    const forget: Step<unknown> = {
      title: 'forget everything',
      explain: '',
      run(ctx) {
        const state = ctx.state as { net?: { resolver: { cache: { clear(): void } } } };
        if (state.net === undefined) throw new Error('no resolver');
        const cache = state.net.resolver.cache;
        // Cleared now and before every later question: the resolver can never answer from its cache.
        const realGet = (cache as unknown as { get: (...a: unknown[]) => unknown }).get.bind(cache);
        (cache as unknown as { get: (...a: unknown[]) => unknown }).get = (...a: unknown[]) => {
          cache.clear();
          return realGet(...a);
        };
      },
    };
    const broken: AnyLab = { ...lab, steps: [...lab.steps.slice(0, 2), forget, lab.steps[2]] };
    const r = await run(broken);
    expect(failedLabels(r.summary)).toEqual(
      expect.arrayContaining([
        'no server was asked again',
        'both answers came from the cache',
        'the resolver followed the cached CNAME to the cached A record',
      ]),
    );
    expect(r.text.replace(/\s+/g, ' ')).toMatch(/FAIL no server was asked again: [1-9]\d* \(expected 0\)/);
  }, 60_000);

  it.each([
    ['waits', "a wait is not the scheduler's"],
    ['computes', 'CPU time counts'],
  ])(
    "a resolver that %s 80 ms before each question fails the study guide's 200 ms (%s)",
    async (how) => {
      const slow: Step<unknown> = {
        title: 'a slow resolver',
        explain: '',
        run(ctx) {
          const state = ctx.state as { net?: { timed: { query: (...a: unknown[]) => Promise<unknown> } } };
          if (state.net === undefined) throw new Error('no resolver');
          const timed = state.net.timed;
          const ask = timed.query.bind(timed);
          timed.query = async (...a: unknown[]) => {
            if (how === 'waits') await new Promise((resolve) => setTimeout(resolve, 80));
            else {
              // 80 ms of CPU, however long the machine takes to give it.
              const cpu0 = process.cpuUsage();
              let x = 0;
              while ((process.cpuUsage(cpu0).user + process.cpuUsage(cpu0).system) / 1000 < 80) x += Math.sqrt(x + 1);
              if (x < 0) throw new Error('unreachable');
            }
            return ask(...a);
          };
        },
      };
      const broken: AnyLab = { ...lab, steps: [lab.steps[0], slow, lab.steps[1]] };
      const r = await run(broken);
      expect(failedLabels(r.summary)).toEqual(["the whole lookup on loopback took less than a study guide's 200 ms (CPU + waiting)"]);
    },
    60_000,
  );
});

describe('remapPorts', () => {
  it('shows a server port as 53 and keeps the UDP checksum right (RFC 1624), leaving other ports alone', () => {
    const frame = encode([
      ethernet({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }),
      ipv4({ src: '127.53.0.53', dst: '127.53.0.1' }),
      udp({ sport: 40000, dport: 34593 }),
      payload('abc'),
    ]);
    const out = remapPorts(frame, new Map([[34593, 53]]));
    const u = decode(out, 1).layers.find((l) => l.kind === 'udp')?.value as Udp;
    expect([u.srcPort, u.dstPort, u.checksumStatus]).toEqual([40000, 53, 'good']);
    const fresh = encode([
      ethernet({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }),
      ipv4({ src: '127.53.0.53', dst: '127.53.0.1' }),
      udp({ sport: 40000, dport: 53 }),
      payload('abc'),
    ]);
    expect(Buffer.from(out).equals(Buffer.from(fresh))).toBe(true);
    expect(Buffer.from(remapPorts(frame, new Map([[1, 53]]))).equals(Buffer.from(frame))).toBe(true);
    expect(remapPorts(new Uint8Array([1, 2, 3]), new Map([[1, 53]]))).toEqual(new Uint8Array([1, 2, 3]));
  });
});

describe('lab dns-resolution, deterministic (fixtures)', () => {
  it('passes and writes nothing into the fixtures folder (real sockets differ on every run)', async () => {
    const r = await run(lab, { deterministic: true });
    expect(r.summary.failed, r.text).toBe(0);
    expect(readdirSync(r.out)).toEqual([]);
  }, 60_000);
});

describe('netlab lab run dns-resolution --check', () => {
  it('exits 0 and ends with "N passed, 0 failed"', async () => {
    const stdout = await labCli('dns-resolution', temp());
    expect(stdout.trim().split('\n').pop()).toMatch(/^[1-9]\d* passed, 0 failed$/);
  }, 60_000);
});
