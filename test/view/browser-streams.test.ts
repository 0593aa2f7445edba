// Follow stream and the sequence diagram in a real browser (Debian's chromium, playwright-core, never
// a downloaded browser): the Follow panel shows per direction exactly the bytes tshark's
// `-z follow,tcp,raw,N` gives, ASCII and hex; the sequence diagram draws one arrow per frame, a click
// on an arrow (or the arrow keys) selects that frame in the list and the tree; only the visible window
// is drawn. Screenshots at 1280x800 and in a narrow window are saved in a temp folder, printed.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureModel, startViewServer, type ViewServer } from '../../src/view/index.ts';
import { findTool, requireTool } from '../helpers/tools.ts';
import { makePki, tempDir } from '../tls/helpers.ts';
import { type Segment, writeTcpCapture } from './tcp-capture.ts';
import { makeTlsCapture, type TlsCapture } from './tls-capture.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const FILE = join(ROOT, 'test', 'captures', 'http-get-zeek.pcap');

type Browser = import('playwright-core').Browser;
type Page = import('playwright-core').Page;

/** tshark's follow of stream n: the hex each end sent (server lines start with a tab). */
async function tsharkFollow(file: string, n: number): Promise<[string, string]> {
  const { stdout } = await run('tshark', ['-r', file, '-q', '-z', `follow,tcp,raw,${n}`], { maxBuffer: 64 << 20 });
  const bytes: [string, string] = ['', ''];
  const body = stdout.split('\n').filter((l) => /^\t?[0-9a-f]+$/.test(l));
  for (const line of body) {
    if (line.startsWith('\t')) bytes[1] += line.slice(1);
    else bytes[0] += line;
  }
  return bytes;
}

/** The bytes the Follow panel shows per direction, read back from its hex dump. */
async function panelBytes(page: Page): Promise<[string, string]> {
  return page.$$eval('#follow-body .chunk', (chunks) => {
    const out: [string, string] = ['', ''];
    for (const c of chunks) {
      const dir = Number((c as HTMLElement).dataset.dir) as 0 | 1;
      for (const line of (c.textContent ?? '').split('\n')) {
        if (line === '') continue;
        out[dir] += line.slice(10, 10 + 47).replace(/ /g, '');
      }
    }
    return out;
  });
}

describe.skipIf(!requireTool('chromium') || !requireTool('tshark'))('Follow stream and sequence diagram in chromium', () => {
  let server: ViewServer;
  let browser: Browser;
  let page: Page;
  const shots = mkdtempSync(join(tmpdir(), 'netlab-view-shots-'));

  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    server = await startViewServer(await CaptureModel.load(FILE));
    browser = await chromium.launch({ executablePath: findTool('chromium'), args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.route(/^(?!http:\/\/127\.0\.0\.1:)/, (route) => route.abort());
    await page.goto(server.url);
    await page.waitForSelector('#tree li.node');
    console.log(`[view] screenshots in ${shots}`);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('follows the selected frame stream from the keyboard, the same bytes as tshark, ASCII and hex', async () => {
    const want = await tsharkFollow(FILE, 0);
    await page.locator('#list').focus();
    await page.keyboard.press('ArrowDown'); // frame 2 (stream 0)
    await page.waitForFunction(() => document.querySelector('#list .row.selected')?.getAttribute('data-no') === '2');
    await page.keyboard.press('f');
    await page.waitForSelector('#follow:not([hidden]) #follow-body .chunk');
    expect(await page.textContent('#follow-title')).toBe('Follow TCP stream 0');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('follow-body');
    const ascii = await page.$$eval('#follow-body .chunk', (cs) => cs.map((c) => [(c as HTMLElement).dataset.dir, c.textContent ?? '']));
    expect(ascii[0]).toEqual(['0', expect.stringMatching(/^GET \/download\/CHANGES\.bro-aux\.txt HTTP\/1\.1\n/)]);
    expect(ascii.find((c) => c[0] === '1')?.[1]).toMatch(/^HTTP\/1\.1 200 OK\n/);
    // Client and server are coloured apart.
    const colours = await page.$$eval('#follow-body .chunk.c0, #follow-body .chunk.c1', (cs) => [
      ...new Set(cs.map((c) => getComputedStyle(c).backgroundColor)),
    ]);
    expect(colours.length).toBe(2);
    await page.screenshot({ path: join(shots, 'follow-ascii-1280x800.png') });
    await page.click('#follow-hex');
    await page.waitForSelector('#follow-hex[aria-pressed="true"]');
    expect(await panelBytes(page)).toEqual(want);
    await page.screenshot({ path: join(shots, 'follow-hex-1280x800.png') });
    // A run of bytes clicked selects the frame that carried it.
    const chunk = page.locator('#follow-body .chunk.c1').nth(1);
    const carried = await chunk.getAttribute('data-frame');
    expect(carried).toBe('7');
    await chunk.click();
    await page.waitForFunction((n) => document.querySelector('#list .row.selected')?.getAttribute('data-no') === n, carried);
    await page.keyboard.press('Escape');
    await page.waitForSelector('#follow', { state: 'hidden' });
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('list');
  });

  it('draws one arrow per frame; a click on an arrow selects that frame in the list and the tree', async () => {
    await page.click('#tab-sequence');
    await page.waitForSelector('#sequence g.arrow');
    const labels = await page.$$eval('#sequence g.arrow', (gs) => gs.map((g) => `${g.getAttribute('data-no')} ${g.querySelector('.label')?.textContent}`));
    expect(labels.slice(0, 4)).toEqual(['1 SYN', '2 SYN, ACK', '3 ACK', '4 GET /download/CHANGES.bro-aux.txt']);
    expect(labels).toContain('9 200 OK');
    expect(labels).toContain('6 200 OK [segment]');
    expect(labels).toContain('7 ACK Len=1448 [segment]');
    expect(labels.length).toBe(14);
    expect(await page.$$eval('.seq-host', (hs) => hs.map((h) => h.textContent))).toEqual(['141.142.228.5', '192.150.187.43']);
    await page.click('#sequence g.arrow[data-no="6"] .label');
    await page.waitForFunction(() => document.querySelector('#tree li.node > .label')?.textContent?.startsWith('Frame 6:'));
    expect(await page.getAttribute('#sequence g.arrow.selected', 'data-no')).toBe('6');
    await page.screenshot({ path: join(shots, 'sequence-1280x800.png') });
    // The arrow keys move along the arrows; F follows from here too.
    await page.locator('#sequence').focus();
    await page.keyboard.press('ArrowDown');
    await page.waitForFunction(() => document.querySelector('#tree li.node > .label')?.textContent?.startsWith('Frame 7:'));
    expect(await page.getAttribute('#sequence g.arrow.selected', 'data-no')).toBe('7');
    await page.keyboard.press('Home');
    await page.waitForFunction(() => document.querySelector('#sequence g.arrow.selected')?.getAttribute('data-no') === '1');
    await page.click('#seq-by');
    await page.waitForFunction(() => document.querySelector('.seq-host')?.textContent === '141.142.228.5:59856');
    await page.click('#tab-list');
    expect(await page.getAttribute('#list .row.selected', 'data-no')).toBe('1');
  });

  it('stays readable in a narrow window', async () => {
    await page.setViewportSize({ width: 420, height: 800 });
    await page.click('#tab-sequence');
    await page.waitForSelector('#sequence g.arrow');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(shots, 'sequence-narrow.png') });
    await page.click('#follow-button');
    await page.waitForSelector('#follow:not([hidden]) #follow-body .chunk');
    const box = await page.locator('#follow-body').boundingBox();
    expect(box?.width).toBeGreaterThan(300);
    expect(box?.height).toBeGreaterThan(300);
    await page.screenshot({ path: join(shots, 'follow-narrow.png') });
    await page.click('#follow-close');
    await page.click('#tab-list');
  });
});

describe.skipIf(!requireTool('chromium'))('decrypted TLS and a long capture in chromium', () => {
  let browser: Browser;
  let page: Page;
  let tlsServer: ViewServer;
  let bigServer: ViewServer;
  let tls: TlsCapture;
  const tmp = tempDir('netlab-view-browser-');
  const shots = mkdtempSync(join(tmpdir(), 'netlab-view-shots-'));
  const BIG = 20_000;

  beforeAll(async () => {
    tls = await makeTlsCapture(tmp.dir, makePki(), { name: 'https', version: 'TLSv1.3', keysInCapture: true, path: '/secret/page' });
    const segments: Segment[] = [
      { from: 'c', flags: 'S', seq: 0 },
      { from: 's', flags: 'SA', seq: 0 },
    ];
    for (let i = 0; segments.length < BIG; i++) {
      const k = Math.floor(i / 2);
      const client = i % 2 === 0;
      segments.push({ from: client ? 'c' : 's', flags: 'PA', seq: 1 + k * 4, ack: 1 + (client ? k : k + 1) * 4, data: client ? 'ping' : 'pong' });
    }
    writeTcpCapture(join(tmp.dir, 'big.pcap'), segments);
    tlsServer = await startViewServer(await CaptureModel.load(tls.pcap));
    bigServer = await startViewServer(await CaptureModel.load(join(tmp.dir, 'big.pcap')));
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: findTool('chromium'), args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.route(/^(?!http:\/\/127\.0\.0\.1:)/, (route) => route.abort());
    console.log(`[view] screenshots in ${shots}`);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await tlsServer?.close();
    await bigServer?.close();
    tmp.remove();
  });

  it('shows the decrypted HTTP exchange of a TLS 1.3 stream, keys from the capture', async () => {
    await page.goto(tlsServer.url);
    await page.waitForSelector('#tree li.node');
    await page.locator('#list').focus();
    await page.keyboard.press('f');
    await page.waitForSelector('#follow-tls[aria-pressed="true"]');
    expect(await page.textContent('#follow-title')).toBe('Follow TLS stream 0');
    const chunks = await page.$$eval('#follow-body .chunk', (cs) => cs.map((c) => [(c as HTMLElement).dataset.dir, c.textContent ?? '']));
    expect(chunks).toEqual([
      ['0', tls.sent.replace(/\r\n/g, '\n')],
      ['1', tls.received.replace(/\r\n/g, '\n')],
    ]);
    expect(await page.textContent('#follow .notes')).toMatch(/^TLS 1\.3, TLS_AES_\d+_GCM_SHA\d+: \d+ record\(s\) decrypted, 0 not/);
    await page.screenshot({ path: join(shots, 'follow-tls-1280x800.png') });
    // The TCP bytes (ciphertext) are one click away, and back.
    await page.click('#follow-tls');
    await page.waitForSelector('#follow-tls[aria-pressed="false"]');
    expect(await page.textContent('#follow-title')).toBe('Follow TCP stream 0');
    expect(await page.textContent('#follow-body')).not.toContain('GET /secret/page');
    await page.keyboard.press('Escape');
  });

  it(`draws only the visible arrows of a ${BIG}-frame capture, and reaches its last frame from the keyboard`, async () => {
    await page.goto(bigServer.url);
    await page.waitForSelector('#tree li.node');
    await page.click('#tab-sequence');
    await page.waitForSelector('#sequence g.arrow');
    await page.keyboard.press('End');
    await page.waitForFunction((n) => document.querySelector('#sequence g.arrow.selected')?.getAttribute('data-no') === String(n), BIG);
    await page.waitForFunction((n) => document.querySelector('#tree li.node > .label')?.textContent?.startsWith(`Frame ${n}:`), BIG);
    const drawn = await page.$$eval('#sequence g.arrow', (gs) => gs.length);
    expect(drawn).toBeGreaterThan(5);
    expect(drawn).toBeLessThan(60);
    expect(await page.getAttribute('#sequence g.arrow.selected', 'data-no')).toBe(String(BIG));
    await page.keyboard.press('PageUp');
    await page.waitForFunction((n) => Number(document.querySelector('#sequence g.arrow.selected')?.getAttribute('data-no')) < n, BIG);
    await page.screenshot({ path: join(shots, 'sequence-long-1280x800.png') });
  });
});
