// A running topology seen live in Wireshark: its links are the segments `tshark -D` lists (through
// netlab's extcap), and `tshark -i netlab-TOPOLOGY-LINK -a duration:N` captures the pings crossing
// that link while they happen.

import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { installExtcap } from '../../src/cli/extcap.ts';
import { LiveFeed } from '../../src/netsim/live-feed.ts';
import { NetTap } from '../../src/netsim/tap.ts';
import { Topology } from '../../src/netsim/topology.ts';
import { parseTopology } from '../../src/netsim/topology-spec.ts';
import { requireTool } from '../helpers/tools.ts';

const run = promisify(execFile);
const home = mkdtempSync(join(tmpdir(), 'netlab-topo-live-home-'));
const runtime = mkdtempSync(join(tmpdir(), 'netlab-topo-live-run-'));
afterAll(() => {
  rmSync(home, { recursive: true, force: true });
  rmSync(runtime, { recursive: true, force: true });
});
const env = { ...process.env, HOME: home, NETLAB_RUNTIME_DIR: runtime };

const SPEC = parseTopology(
  JSON.stringify({
    name: 'live',
    linkType: 'memory',
    links: [{ name: 'h1-sw1' }, { name: 'h2-sw1' }],
    switches: [
      {
        name: 'sw1',
        ports: [
          { name: 'p1', link: 'h1-sw1' },
          { name: 'p2', link: 'h2-sw1' },
        ],
      },
    ],
    hosts: [
      { name: 'h1', interfaces: [{ name: 'eth0', link: 'h1-sw1', address: '10.7.0.1/24', mac: '02:00:00:00:07:01' }] },
      { name: 'h2', interfaces: [{ name: 'eth0', link: 'h2-sw1', address: '10.7.0.2/24', mac: '02:00:00:00:07:02' }] },
    ],
  }),
);

describe.skipIf(!requireTool('tshark'))('a topology live in Wireshark', () => {
  it('lists its links as interfaces and captures the pings crossing one', async () => {
    installExtcap(home);
    const feed = new LiveFeed({ topology: 'live', dir: runtime });
    const topo = await Topology.fromSpec(SPEC, { tap: NetTap.liveOnly(feed) });
    await feed.start();
    let pinging = true;
    const pings = (async () => {
      while (pinging) {
        if (feed.watching('h2-sw1') > 0) await topo.host('h1').ping('10.7.0.2', { count: 1, timeoutMs: 500 });
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    try {
      const list = execFileSync('tshark', ['-D'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      expect(list).toContain('netlab-live-h1-sw1 (netlab live: h1-eth0 <-> sw1-p1 (seen at h1-eth0))');
      expect(list).toContain('netlab-live-h2-sw1');
      const out = join(home, 'live.pcapng');
      await run('tshark', ['-i', 'netlab-live-h2-sw1', '-a', 'duration:3', '-w', out], { env, timeout: 30_000 });
      const rows = execFileSync('tshark', ['-r', out, '-T', 'fields', '-e', 'eth.src', '-e', 'ip.src', '-e', 'icmp.type', '-e', '_ws.malformed'], {
        encoding: 'utf8',
      })
        .trim()
        .split('\n')
        .map((l) => l.split('\t'));
      const requests = rows.filter((r) => r[2] === '8');
      const replies = rows.filter((r) => r[2] === '0');
      expect(requests.length).toBeGreaterThanOrEqual(5);
      expect(replies.length).toBeGreaterThanOrEqual(5);
      expect(new Set(requests.map((r) => `${r[0]} ${r[1]}`))).toEqual(new Set(['02:00:00:00:07:01 10.7.0.1']));
      expect(rows.every((r) => (r[3] ?? '') === '')).toBe(true);
    } finally {
      pinging = false;
      await pings;
      await topo.close();
      await feed.close();
    }
  }, 60_000);
});
