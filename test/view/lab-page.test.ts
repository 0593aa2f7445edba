// The lab page's parts without a browser: figure records and their text form, the run record the
// events build, the static index.html (self-contained, its JSON safe inside a script element), the
// topology snapshots of a real LabNet (MAC table, ARP cache, routes, frames), the learner's lines
// from the page and the terminal, and the --web server (events, answers, captures).

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { checksumFigure, figureText, barFigure, lineFigure, treeFigure, ttlLeft, type TreeRecord } from '../../src/lab/figure.ts';
import { LearnerInput } from '../../src/lab/learner-input.ts';
import { runLabs } from '../../src/lab/runner.ts';
import { Host, LabNet, Switch } from '../../src/netsim/index.ts';
import { internetChecksum } from '../../src/wire/checksum.ts';
import { startLabServer } from '../../src/view/lab-server.ts';
import { labIndexHtml, scriptJson } from '../../src/view/lab-static.ts';
import { applyLabEvent, emptyRun, type LabEvent, type LabRunJson } from '../../src/view/lab-types.ts';
import { frameSummary, linkSegment, TopologyWatch, topologySnapshot } from '../../src/view/topology.ts';
import { LiveFeed } from '../../src/netsim/live-feed.ts';
import { findInterface, interfaceName, listFeeds } from '../../src/netsim/live-registry.ts';
import { connect } from 'node:net';
import { tinyLab } from '../lab/tiny-lab.ts';
import { defineLab } from '../../src/lab/define.ts';
import type { AnyLab } from '../../src/lab/types.ts';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'netlab-labpage-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** The JSON embedded in an index.html. */
function embedded(html: string): LabRunJson {
  const m = /<script type="application\/json" id="lab-data">([\s\S]*?)<\/script>/.exec(html);
  if (m === null) throw new Error('no lab-data script in the page');
  return JSON.parse(m[1]) as LabRunJson;
}

describe('figures', () => {
  it('work the checksum of an IPv4 header as RFC 1071 does, folding each carry', () => {
    const header = [0x4500, 0x0020, 0x0001, 0x0000, 0x4011, 0x0000, 0x0a00, 0x0001, 0x0a00, 0x0002];
    const f = checksumFigure(
      'IPv4 header',
      header.map((value, i) => ({ label: `word ${i}`, value })),
    );
    const bytes = Uint8Array.from(header.flatMap((w) => [w >> 8, w & 0xff]));
    expect(f.checksum).toBe(internetChecksum(bytes));
    expect(f.words.at(-1)?.sum).toBe(header.reduce((a, b) => a + b, 0));
    expect(f.words.map((w) => w.sum)).toEqual(header.map((_, i) => header.slice(0, i + 1).reduce((a, b) => a + b, 0)));
    const text = figureText(f);
    expect(text.at(-1)).toBe(`complement: ~0x${f.folded.toString(16).padStart(4, '0')} = 0x${f.checksum.toString(16).padStart(4, '0')}`);
    expect(text.filter((l) => l.startsWith('fold the carry:'))).toHaveLength(f.folds.length);
  });

  it('fold a sum with carries until it fits 16 bits', () => {
    const f = checksumFigure('carries', [
      { label: 'a', value: 0xffff },
      { label: 'b', value: 0xffff },
      { label: 'c', value: 0x0003 },
    ]);
    expect(f.folds).toEqual([{ sum: 0x20001, low: 0x0001, carry: 2, next: 0x0003 }]);
    expect(f.checksum).toBe(~0x0003 & 0xffff);
  });

  it('refuse a word that is not 16 bits and bars that do not match their categories', () => {
    expect(() => checksumFigure('x', [{ label: 'big', value: 0x10000 }])).toThrow(/word big is not 16 bits/);
    expect(() => barFigure('x', ['a', 'b'], [{ name: 's', values: [1] }], 'requests')).toThrow(/series s has 1 values for 2 categories/);
  });

  it('hold a tree whose parents come first, printed as an indented table, and count a TTL down to 0', () => {
    const at = 1_700_000_000_000;
    const rec = (name: string, ttl: number): TreeRecord => ({ section: 'authority', name, type: 'NS', ttl, data: `ns.${name}.` });
    const tree = treeFigure(
      'referrals',
      [
        { label: 'root', detail: '127.0.0.1', at, records: [rec('com', 172800)] },
        { label: 'com', detail: '127.0.0.2', at: at + 5, parent: 0, edge: 'referral: com', records: [rec('example.com', 86400)] },
      ],
      { title: 'cache', entries: [{ name: 'example.com', type: 'A', data: '192.0.2.1', ttl: 3600, expires: at + 3_600_000 }] },
    );
    const text = figureText(tree).join('\n');
    expect(text).toMatch(/^root\s*$/m);
    expect(text).toMatch(/^ {2}com\s+referral: com/m);
    expect(text).toMatch(/authority\s+example\.com NS ns\.example\.com\.\s+86400/);
    expect(text).toMatch(/example\.com\s+A\s+3600\s+192\.0\.2\.1/);
    expect(() => treeFigure('bad', [{ label: 'a', detail: '', at, parent: 0, records: [] }])).toThrow(/node 0 \(a\) has parent 0/);
    expect([ttlLeft(3600, at, at + 999), ttlLeft(3600, at, at + 1000), ttlLeft(2, at, at + 2500)]).toEqual([3600, 3599, 0]);
  });

  it('print their default text form as a table, or the text the lab gave', () => {
    const bars = barFigure('per server', ['s1', 's2'], [{ name: 'round_robin', values: [7, 7] }], 'requests');
    expect(figureText(bars).join('\n')).toMatch(/requests\s+round_robin/);
    const line = lineFigure(
      'cwnd',
      'time (ms)',
      'segments',
      [
        {
          name: 'cwnd',
          points: [
            [0, 3],
            [2, 6],
          ],
        },
      ],
      'my chart',
    );
    expect(line.text).toBe('my chart');
  });
});

describe('the run record', () => {
  it('puts shows, checks, captures and an exercise exchange under the item they belong to', () => {
    const run = emptyRun('2026-01-01T00:00:00Z');
    const events: LabEvent[] = [
      { type: 'lab', name: 'l', title: 'L', duration: '1 min', outDir: 'o/l' },
      { type: 'item', kind: 'step', position: 0, total: 2, title: 'one', text: 'explain' },
      { type: 'show', show: { kind: 'text', text: 'hi' } },
      { type: 'check', check: { label: 'c', passed: true, observed: '1', expected: '1' } },
      { type: 'captures', captures: [{ id: 1, path: 'o/l/a.pcapng', file: 'a.pcapng', frames: 2, filters: [{ filter: 'arp' }] }] },
      { type: 'item-end', state: 'done' },
      { type: 'item', kind: 'exercise', position: 1, total: 2, title: 'ex', text: 'task', expects: 'a number' },
      { type: 'waiting', waiting: { kind: 'exercise', title: 'ex' } },
      { type: 'exchange', exchange: { kind: 'answer', text: '3: 3 is right', correct: true, from: 'page' } },
      { type: 'waiting', waiting: null },
      { type: 'item-end', state: 'right' },
      { type: 'check', check: { label: 'clean-up', passed: false, observed: 'x', expected: 'y' } },
      { type: 'lab-end', passed: 1, failed: 1 },
      { type: 'done' },
    ];
    for (const e of events) applyLabEvent(run, e);
    const lab = run.labs[0];
    expect(lab.items.map((i) => [i.title, i.state, i.shows.length, i.checks.length, i.captures.length])).toEqual([
      ['one', 'done', 1, 1, 1],
      ['ex', 'right', 0, 0, 0],
    ]);
    expect(lab.items[1].exchange).toEqual([{ kind: 'answer', text: '3: 3 is right', correct: true, from: 'page' }]);
    expect(lab.checks.map((c) => c.label)).toEqual(['clean-up']);
    expect([lab.passed, lab.failed, lab.done, run.done, run.waiting]).toEqual([1, 1, true, true, undefined]);
  });
});

describe('the static index.html', () => {
  it('embeds the run as JSON that cannot end its script element, with the script and style inline', () => {
    const run = emptyRun();
    applyLabEvent(run, { type: 'lab', name: 'l', title: '</script><script>alert(1)</script>', duration: '1', outDir: 'o' });
    const html = labIndexHtml(run, { js: 'console.log("</script>")', css: 'body{}' });
    expect(html.match(/<\/script>/g)).toHaveLength(2); // the JSON's and the page script's own ends
    expect(embedded(html).labs[0].title).toBe('</script><script>alert(1)</script>');
    expect(html).toContain('<style>body{}</style>');
    expect(html).not.toMatch(/<script[^>]+src=|<link/);
    expect(scriptJson('\u2028')).toBe('"\\u2028"');
  });

  it('is written beside the captures after a run, with the steps, checks and capture links', async () => {
    const out = tempDir();
    const summary = await runLabs([tinyLab({ exercise: true })], { mode: 'check', pause: false, out, stdout: new Collect(), env: {}, writeIndex: true });
    const index = join(out, 'tiny', 'index.html');
    expect(summary.labs[0].index).toBe(index);
    const run = embedded(readFileSync(index, 'utf8'));
    const lab = run.labs[0];
    expect(lab.name).toBe('tiny');
    expect(lab.items.map((i) => i.kind)).toEqual(['step', 'exercise', 'step', 'step']);
    const checks = lab.items.flatMap((i) => i.checks).length + lab.checks.length;
    expect(checks).toBe(summary.passed + summary.failed);
    expect(lab.items[0].captures.map((c) => c.file)).toEqual(['hola.pcapng']);
    expect(lab.items[1].exchange?.map((x) => x.correct)).toEqual([false, true]);
    expect([lab.passed, lab.failed]).toEqual([summary.passed, summary.failed]);
  });

  it('is not written by a deterministic (fixture) run, nor unless asked (the CLI asks)', async () => {
    const out = tempDir();
    const summary = await runLabs([tinyLab()], { mode: 'check', pause: false, out, stdout: new Collect(), env: {}, deterministic: true, writeIndex: true });
    expect(summary.labs[0].index).toBeUndefined();
    const plain = await runLabs([tinyLab()], { mode: 'check', pause: false, out: tempDir(), stdout: new Collect(), env: {} });
    expect(plain.labs[0].index).toBeUndefined();
  });
});

/** Two hosts on a switch; h1 pings h2. */
async function smallLan(): Promise<{ net: LabNet; sw: Switch; h1: Host; h2: Host }> {
  const net = new LabNet({ start: { sec: 1_700_000_000, nsec: 0 }, name: 'lan' });
  const sw = net.node(new Switch({ name: 'sw1', clock: net.clock }));
  const hosts = [1, 2].map((n) => {
    const [hostSide, switchSide] = net.link(`h${n}-sw1`, `h${n}-eth0`, `sw1-p${n}`);
    sw.addPort(switchSide);
    const h = net.node(new Host({ name: `h${n}`, clock: net.clock }));
    h.addInterface({ name: 'eth0', port: hostSide, mac: `02:00:00:00:00:0${n}`, address: `192.168.9.${n}/24`, announce: false });
    return h;
  });
  return { net, sw, h1: hosts[0], h2: hosts[1] };
}

describe('the topology of a virtual network', () => {
  it('draws the nodes and links and shows the tables a ping fills', async () => {
    const frames: string[] = [];
    const snaps: number[] = [];
    const feed = new LiveFeed({ topology: 'lan-test', dir: tempDir() });
    const watch = new TopologyWatch(
      { topology: (t) => snaps.push(t.frames), frame: (f) => frames.push(`${f.link} ${f.from}>${f.to} ${f.summary}`) },
      () => 'net',
      feed,
    );
    const { net, h1 } = await smallLan();
    const before = topologySnapshot(net, 1, 'lan');
    expect(before.nodes.map((n) => [n.name, n.kind])).toEqual([
      ['sw1', 'switch'],
      ['h1', 'host'],
      ['h2', 'host'],
    ]);
    expect(before.links.map((l) => [l.name, l.aNode, l.bNode])).toEqual([
      ['h1-sw1', 'h1', 'sw1'],
      ['h2-sw1', 'h2', 'sw1'],
    ]);
    expect(before.nodes[0].tables[0].rows).toEqual([]);
    await net.run(h1.ping('192.168.9.2', { count: 1 }));
    const after = topologySnapshot(net, 1, 'lan');
    expect(after.nodes[0].tables[0].rows.map((r) => [r[1], r[2]])).toEqual([
      ['02:00:00:00:00:01', 'sw1-p1'],
      ['02:00:00:00:00:02', 'sw1-p2'],
    ]);
    const arp = after.nodes[1].tables.find((t) => t.title === 'ARP cache');
    expect(arp?.rows.map((r) => [r[0], r[1]])).toEqual([['192.168.9.2', '02:00:00:00:00:02']]);
    expect(after.nodes[1].tables.find((t) => t.title === 'Routes')?.rows[0][0]).toBe('192.168.9.0');
    expect(frames[0]).toBe('h1-sw1 h1-eth0>sw1-p1 ARP who-has 192.168.9.2 tell 192.168.9.1');
    expect(frames).toContain('h2-sw1 h2-eth0>sw1-p2 ARP 192.168.9.2 is-at 02:00:00:00:00:02');
    expect(frames.some((f) => f.includes('IPv4 ICMP 192.168.9.1 > 192.168.9.2'))).toBe(true);
    expect(after.frames).toBe(net.frames.length);
    watch.tick();
    expect(snaps.at(-1)).toBe(net.frames.length);
    await net.close();
    watch.close();
    await feed.close();
  });

  it('sends the page the frames of the live feed, which the Wireshark extcap reads too', async () => {
    const dir = tempDir();
    const feed = new LiveFeed({ topology: 'lan-test', dir });
    await feed.start();
    const page: { link: string; summary: string }[] = [];
    const watch = new TopologyWatch({ topology: () => undefined, frame: (f) => page.push({ link: f.link, summary: f.summary }) }, () => 'net', feed);
    const { net, h1 } = await smallLan();
    const id = watch.snapshots().length;
    watch.tick(); // announces the links built so far
    // As `netlab extcap --capture` does: find the interface in the runtime folder, WATCH its segment.
    const found = findInterface(interfaceName('lan-test', linkSegment(id, 'h1-sw1')), dir);
    if (found === undefined) throw new Error('the link is not announced in the runtime folder');
    expect(found.segment).toBe(linkSegment(id, 'h1-sw1'));
    expect(listFeeds(dir)[0].segments.map((s) => s.name)).toEqual([linkSegment(id, 'h1-sw1'), linkSegment(id, 'h2-sw1')]);
    const sock = connect({ host: found.feed.host, port: found.feed.port });
    let buf = Buffer.alloc(0);
    sock.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
    });
    await new Promise<void>((res) => sock.once('connect', () => res()));
    sock.write(`WATCH ${found.segment}\n`);
    while (!buf.includes(10)) await new Promise((r) => setTimeout(r, 5));
    expect(buf.subarray(0, buf.indexOf(10)).toString()).toBe('OK');
    await net.run(h1.ping('192.168.9.2', { count: 2 }));
    const expected = page.filter((f) => f.link === 'h1-sw1').map((f) => f.summary);
    expect(expected.length).toBeGreaterThanOrEqual(6); // ARP both ways, two echo requests and replies
    const got: string[] = [];
    const deadline = Date.now() + 5_000;
    while (got.length < expected.length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
      let at = buf.indexOf(10) + 1;
      got.length = 0;
      while (buf.length >= at + 12 && buf.length >= at + 12 + buf.readUInt32BE(at + 8)) {
        const len = buf.readUInt32BE(at + 8);
        got.push(frameSummary(buf.subarray(at + 12, at + 12 + len)));
        at += 12 + len;
      }
    }
    expect(got).toEqual(expected);
    sock.destroy();
    await net.close();
    watch.close();
    await feed.close();
    expect(listFeeds(dir)).toEqual([]);
  });

  it("goes into the static index.html as it stood at the lab's end; a tree figure with text '' prints nothing", async () => {
    const netLab = (tree: boolean): AnyLab =>
      defineLab<Record<string, never>>({
        name: 'netlab-page',
        title: 'A LAN for the static page',
        duration: '1 min',
        needs: [],
        state: () => ({}),
        steps: [
          {
            title: 'Ping across a switch',
            explain: 'h1 pings h2 through sw1.',
            async run(ctx) {
              const { net, h1 } = await smallLan();
              await net.run(h1.ping('192.168.9.2', { count: 1 }));
              ctx.show.table(['frames'], [[net.frames.length]]);
              if (tree) ctx.show.figure(treeFigure('t', [{ label: 'root', detail: '', at: Date.now(), records: [] }], undefined, ''));
              ctx.check.ok('the ping crossed', net.frames.length > 0, String(net.frames.length));
              await net.close();
            },
          },
        ],
      });
    const outputs: string[] = [];
    for (const tree of [true, false]) {
      const out = tempDir();
      const stdout = new Collect();
      const summary = await runLabs([netLab(tree)], { mode: 'guided', pause: false, out, stdout, colour: false, env: {}, writeIndex: true });
      outputs.push(stdout.text.replaceAll(out, 'OUT'));
      const lab = embedded(readFileSync(summary.labs[0].index ?? '', 'utf8')).labs[0];
      expect(lab.topology?.map((t) => [t.name, t.closed, t.nodes.map((n) => n.name)])).toEqual([['lan', true, ['sw1', 'h1', 'h2']]]);
      expect(lab.topology?.[0].nodes[0].tables[0].rows.map((r) => r[1])).toEqual(['02:00:00:00:00:01', '02:00:00:00:00:02']);
    }
    expect(outputs[0]).toBe(outputs[1]);
  });

  it('summarises a frame too short for Ethernet without throwing', () => {
    expect(frameSummary(new Uint8Array(5))).toBe('5 bytes (shorter than an Ethernet header)');
  });
});

describe('the learner input', () => {
  it('takes the first line from the page or the terminal, and loses none', async () => {
    const stdin = new PassThrough();
    const input = new LearnerInput(stdin, true);
    const first = input.next();
    input.post('from page');
    expect(await first).toEqual({ text: 'from page', from: 'page' });
    stdin.write('typed\n');
    expect(await input.next()).toEqual({ text: 'typed', from: 'terminal' });
    input.close();
    expect(await input.next()).toBeUndefined();
  });
});

describe('the --web server', () => {
  it('streams the run, takes an answer only while the run waits, and redirects a capture to the capture view', async () => {
    const posted: string[] = [];
    const server = await startLabServer('t', { post: (t) => posted.push(t) });
    try {
      const out = tempDir();
      await runLabs([tinyLab()], { mode: 'check', pause: false, out, stdout: new Collect(), env: {}, observer: server.observer });
      const run = (await (await fetch(`${server.url}api/lab/run`)).json()) as LabRunJson;
      expect(run.done).toBe(true);
      expect(run.labs[0].items.length).toBe(3);
      const answer = await fetch(`${server.url}api/lab/answer`, { method: 'POST', body: JSON.stringify({ text: '12' }) });
      expect(answer.status).toBe(409);
      server.observer.event({ type: 'waiting', waiting: { kind: 'exercise', title: 'x' } });
      expect((await fetch(`${server.url}api/lab/answer`, { method: 'POST', body: 'not json' })).status).toBe(400);
      expect((await fetch(`${server.url}api/lab/answer`, { method: 'POST', body: JSON.stringify({ text: '12' }) })).status).toBe(202);
      expect(posted).toEqual(['12']);
      const cap = await fetch(`${server.url}capture/1`, { redirect: 'manual' });
      expect(cap.status).toBe(302);
      const view = cap.headers.get('location') ?? '';
      expect(view).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      expect(((await (await fetch(`${view}api/info`)).json()) as { file: string }).file).toMatch(/hola\.pcapng$/);
      expect((await fetch(`${server.url}capture/99`)).status).toBe(404);
      const events = await fetch(`${server.url}api/lab/events`);
      const reader = events.body?.getReader();
      const chunk = new TextDecoder().decode((await reader?.read())?.value);
      expect(chunk.startsWith('event: run\ndata: {')).toBe(true);
      await reader?.cancel();
    } finally {
      await server.close();
    }
  });
});
