// The Wireshark extcap: a running LiveFeed's segment appears in `tshark -D`, and `tshark -i SEGMENT
// -a duration:N` captures the frames the topology publishes, byte for byte.

import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { installExtcap } from '../../src/cli/extcap.ts';
import { parseCapture } from '../../src/capture/read.ts';
import { LiveFeed } from '../../src/netsim/live-feed.ts';
import { interfaceName, listFeeds } from '../../src/netsim/live-registry.ts';
import { encode, ethernet, ipv4, payload, udp } from '../../src/wire/index.ts';
import { requireTool } from '../helpers/tools.ts';

const run = promisify(execFile);
const home = mkdtempSync(join(tmpdir(), 'netlab-extcap-home-'));
const runtime = mkdtempSync(join(tmpdir(), 'netlab-extcap-run-'));
afterAll(() => {
  rmSync(home, { recursive: true, force: true });
  rmSync(runtime, { recursive: true, force: true });
});
// The extcap (a child of tshark) finds the feed through the same runtime folder.
const env = { ...process.env, HOME: home, NETLAB_RUNTIME_DIR: runtime };

function frame(n: number): Uint8Array {
  return encode([
    ethernet({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }),
    ipv4({ src: '10.0.0.1', dst: '10.0.0.2', id: n }),
    udp({ sport: 5000, dport: 6000 }),
    payload(`frame ${n}`),
  ]);
}

describe('LiveFeed registry', () => {
  it('announces segments while running and forgets them when closed', async () => {
    const feed = new LiveFeed({ topology: 'unit', dir: runtime });
    feed.addSegment('lan1', 'LAN 1 (switch sw1)');
    await feed.start();
    expect(listFeeds(runtime).map((f) => f.segments.map((s) => interfaceName(f.topology, s.name)))).toEqual([['netlab-unit-lan1']]);
    await feed.close();
    expect(listFeeds(runtime)).toEqual([]);
  });
});

describe.skipIf(!requireTool('tshark'))('Wireshark extcap (tshark -i)', () => {
  it('lists a running segment and captures what it carries', async () => {
    installExtcap(home);
    const feed = new LiveFeed({ topology: 'extcap-test', dir: runtime });
    feed.addSegment('lan', 'the test LAN');
    await feed.start();
    const sent: Uint8Array[] = [];
    let n = 0;
    const timer = setInterval(() => {
      if (feed.watching('lan') === 0) return;
      const f = frame(n++);
      sent.push(f);
      feed.publish('lan', f);
    }, 50);
    try {
      const list = execFileSync('tshark', ['-D'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      expect(list).toContain('netlab-extcap-test-lan (netlab extcap-test: the test LAN)');
      const out = join(home, 'live.pcapng');
      await run('tshark', ['-i', 'netlab-extcap-test-lan', '-a', 'duration:3', '-w', out], { env, timeout: 30_000 });
      const got = parseCapture(readFileSync(out)).packets.map((p) => Buffer.from(p.data).toString('hex'));
      expect(got.length).toBeGreaterThanOrEqual(5);
      // What tshark captured is a run of what the feed sent, in order, byte for byte.
      const sentHex = sent.map((f) => Buffer.from(f).toString('hex'));
      const first = sentHex.indexOf(got[0]);
      expect(first).toBeGreaterThanOrEqual(0);
      expect(got).toEqual(sentHex.slice(first, first + got.length));
    } finally {
      clearInterval(timer);
      await feed.close();
    }
  }, 60_000);
});
