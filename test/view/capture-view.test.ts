// The view's server against `netlab decode`: for shared captures, the packet list equals the summary
// lines decode prints, each frame's tree equals its -V lines and its hex the -x lines, a filter keeps
// what decode -Y keeps, and a bad filter points at the column decode's caret points at.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesOf, hexRows, hexRowText } from '../../src/view/page/hex-rows.ts';
import { CaptureModel, startViewServer, treeText, type ViewServer } from '../../src/view/index.ts';
import type { CaptureInfoJson, FilterErrorJson, FrameJson, ListPage, RequestErrorJson } from '../../src/view/types.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'netlab.js');
const CAPTURES = ['http-get-zeek.pcap', 'icmp-many-types-pcapplusplus.pcapng', 'ipv4-fragments-tcp-http-zeek.pcap'];

async function decode(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, 'decode', ...args], { env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 64 << 20 });
    return { stdout, stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number };
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}

const lines = (s: string): string[] => (s === '' ? [] : s.split('\n').slice(0, s.endsWith('\n') ? -1 : undefined));

/** `decode -V -x` split by frame: each frame's tree lines (up to the blank line) and its hex lines. */
function framesOf(out: string): { tree: string[]; hex: string[] }[] {
  const frames: { tree: string[]; hex: string[] }[] = [];
  let phase: 'tree' | 'hex' | 'gap' = 'gap';
  for (const line of lines(out)) {
    if (/^Frame \d+: /.test(line)) {
      frames.push({ tree: [line], hex: [] });
      phase = 'tree';
    } else if (phase === 'tree') {
      if (line === '') phase = 'hex';
      else frames[frames.length - 1].tree.push(line);
    } else if (phase === 'hex') {
      if (line === '') phase = 'gap';
      else if (/^[0-9a-f]{4,} {2}[0-9a-f]{2}/.test(line)) frames[frames.length - 1].hex.push(line);
    }
  }
  return frames;
}

async function get<T>(server: ViewServer, path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(new URL(path, server.url));
  return { status: res.status, body: (await res.json()) as T };
}

describe.each(CAPTURES)('netlab view of %s', (name) => {
  const file = join(ROOT, 'test', 'captures', name);
  let server: ViewServer;
  let model: CaptureModel;

  beforeAll(async () => {
    model = await CaptureModel.load(file);
    server = await startViewServer(model);
  });
  afterAll(async () => {
    await server.close();
  });

  it('listens on 127.0.0.1 and serves the page and its bundled script and style', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const html = await (await fetch(server.url)).text();
    expect(html).toContain('<script type="module" src="/page.js"></script>');
    expect(html).not.toMatch(/https?:\/\//);
    for (const [path, type] of [
      ['/page.js', 'text/javascript'],
      ['/page.css', 'text/css'],
    ]) {
      const res = await fetch(new URL(path, server.url));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain(type);
      expect((await res.text()).length).toBeGreaterThan(500);
    }
  });

  it('lists the summary lines netlab decode prints, in pages', async () => {
    const expected = lines((await decode('-r', file)).stdout);
    const info = await get<CaptureInfoJson>(server, '/api/info');
    expect(info.body.frames).toBe(expected.length);
    const whole = await get<ListPage>(server, `/api/list?offset=0&limit=1000`);
    expect(whole.body.rows.map((r) => r.line)).toEqual(expected);
    expect(whole.body.total).toBe(expected.length);
    const paged: string[] = [];
    for (let offset = 0; offset < expected.length; offset += 3) {
      const page = await get<ListPage>(server, `/api/list?offset=${offset}&limit=3`);
      expect(page.body.offset).toBe(offset);
      paged.push(...page.body.rows.map((r) => r.line));
    }
    expect(paged).toEqual(expected);
  });

  it('gives each frame the tree of decode -V and the bytes of decode -x', async () => {
    const frames = framesOf((await decode('-r', file, '-V', '-x')).stdout);
    expect(frames.length).toBe(model.frames);
    // Backwards first (the cursor starts again from frame 1), then forwards.
    const order = [...frames.keys()].reverse().concat([...frames.keys()]);
    for (const i of order) {
      const { status, body } = await get<FrameJson>(server, `/api/frame?no=${i + 1}`);
      expect(status).toBe(200);
      expect(treeText(body.tree), `frame ${i + 1}`).toEqual(frames[i].tree);
      expect(hexRows(bytesOf(body.bytes)).map(hexRowText), `frame ${i + 1}`).toEqual(frames[i].hex);
    }
  });

  it('gives each tree line the byte span of its field, inside the frame', async () => {
    const { body } = await get<FrameJson>(server, '/api/frame?no=1');
    const size = body.bytes.length / 2;
    const walk = (ns: FrameJson['tree']): number =>
      ns.reduce((n, node) => {
        expect(node.offset).toBeGreaterThanOrEqual(0);
        if (!node.generated) expect(node.offset + node.length).toBeLessThanOrEqual(size);
        return n + 1 + walk(node.children);
      }, 0);
    expect(walk(body.tree)).toBeGreaterThan(10);
    const eth = body.tree.find((n) => n.name === 'eth' || n.name === 'ip');
    expect(eth?.proto).toBe(true);
    expect(eth?.length).toBeGreaterThan(0);
  });
});

describe('the filter and bad requests', () => {
  const file = join(ROOT, 'test', 'captures', 'http-get-zeek.pcap');
  let server: ViewServer;

  beforeAll(async () => {
    server = await startViewServer(await CaptureModel.load(file));
  });
  afterAll(async () => {
    await server.close();
  });

  it.each(['tcp.flags.syn == 1', 'http', 'tcp.len > 0 && ip.src == 141.142.228.5', 'udp'])('keeps what decode -Y %s keeps', async (filter) => {
    const expected = lines((await decode('-r', file, '-Y', filter)).stdout);
    const page = await get<ListPage>(server, `/api/list?filter=${encodeURIComponent(filter)}`);
    expect(page.status).toBe(200);
    expect(page.body.total).toBe(expected.length);
    expect(page.body.rows.map((r) => r.no)).toEqual(expected.map((l) => Number(l.trim().split(/\s+/)[0])));
    expect(page.body.filter).toBe(filter);
  });

  it.each(['ip.src == 1.2.3.400', 'tcp.port == 80 && nosuchfield', 'tcp.port =='])(
    'points a bad filter %s at the column decode -Y points at',
    async (filter) => {
      const d = await decode('-r', file, '-Y', filter);
      expect(d.code).toBe(2);
      const res = await get<FilterErrorJson>(server, `/api/list?filter=${encodeURIComponent(filter)}`);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('filter');
      expect(d.stderr).toContain(res.body.message);
      const caret = lines(d.stderr).find((l) => /^ {4} *\^~*$/.test(l));
      if (caret === undefined) {
        expect(res.body.column).toBeUndefined();
      } else {
        expect(res.body.column).toBe(caret.indexOf('^') - 4);
        expect(res.body.length).toBe(caret.trim().length);
      }
    },
  );

  it('refuses a bad page request and names what was wrong', async () => {
    const bad = await get<RequestErrorJson>(server, '/api/list?offset=-1');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/offset=-1: expected a whole number/);
    const big = await get<RequestErrorJson>(server, '/api/list?limit=5000');
    expect(big.body.message).toMatch(/limit=5000/);
    const none = await get<RequestErrorJson>(server, '/api/frame?no=999');
    expect(none.status).toBe(404);
    expect(none.body.message).toMatch(/frame 999: the capture has \d+ frames/);
    expect((await fetch(new URL('/nothing', server.url))).status).toBe(404);
  });

  it('refuses to listen on an address that is not loopback', async () => {
    const model = await CaptureModel.load(file);
    await expect(startViewServer(model, { host: '0.0.0.0' })).rejects.toThrow(/loopback address only/);
  });
});

describe('netlab view on the command line', () => {
  const file = join(ROOT, 'test', 'captures', 'http-get-zeek.pcap');

  it('prints its 127.0.0.1 address, serves the capture, and stops (--for) closing everything', async () => {
    const { stdout } = await run(process.execPath, [BIN, 'view', file, '--no-open', '--for', '1'], { env: { ...process.env, NO_COLOR: '1' } });
    expect(stdout).toMatch(/^Serving .*http-get-zeek\.pcap on http:\/\/127\.0\.0\.1:\d+\/ \(Ctrl-C stops\)$/m);
    expect(stdout).toMatch(/http-get-zeek\.pcap: 14 frames read in \d+ ms/);
    expect(stdout).toMatch(/stopped\n$/);
  });

  it('names a missing file as decode does', async () => {
    const err = await run(process.execPath, [BIN, 'view', '/nonexistent/x.pcapng', '--no-open'], { env: process.env }).catch(
      (e: { stderr: string; code: number }) => e,
    );
    expect('code' in err ? err.code : 0).toBe(2);
    expect('stderr' in err ? err.stderr : '').toContain('The file "/nonexistent/x.pcapng" doesn\'t exist.');
  });
});
