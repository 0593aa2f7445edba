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
