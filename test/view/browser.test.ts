// netlab view in a real browser: Debian's chromium driven by playwright-core (never a downloaded
// browser). The page must show what `netlab decode` prints: the list, the tree of the selected frame;
// hovering a field highlights exactly its bytes and hovering a byte its field; the filter narrows the
// list as decode -Y does and points a bad filter at its column; the arrow keys move the selection.
// Screenshots (1280x800 and a narrow window) are saved in a temp folder, printed.
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
const BIN = join(ROOT, 'bin', 'netlab.js');
const FILE = join(ROOT, 'test', 'captures', 'http-get-zeek.pcap');

type Browser = import('playwright-core').Browser;
type Page = import('playwright-core').Page;

async function decode(...args: string[]): Promise<string[]> {
  const { stdout } = await run(process.execPath, [BIN, 'decode', '-r', FILE, ...args], { env: { ...process.env, NO_COLOR: '1' } });
  return stdout === '' ? [] : stdout.replace(/\n$/, '').split('\n');
}

/** The tree as the page shows it, one line per node, indented 4 spaces a level as decode -V prints. */
async function pageTree(page: Page): Promise<string[]> {
  return page.$$eval('#tree li.node', (nodes) =>
    nodes.map((n) => {
      let depth = 0;
      for (let p = n.parentElement?.closest('li.node'); p; p = p.parentElement?.closest('li.node')) depth++;
      return ' '.repeat(depth * 4) + (n.querySelector(':scope > .label')?.textContent ?? '');
    }),
  );
}

/** The -V tree of frame `no` from decode -V -x (the lines from `Frame no:` to the blank line). */
async function decodeTree(no: number): Promise<string[]> {
  const out = await decode('-V', '-x', '-c', String(no));
  const tail = out.slice(out.findIndex((l) => l.startsWith(`Frame ${no}: `)));
  return tail.slice(0, tail.indexOf(''));
}

async function highlighted(page: Page): Promise<number[]> {
  return page.$$eval('#hex .byte.hl', (cells) => cells.map((c) => Number((c as HTMLElement).dataset.i)));
}

async function rowNumbers(page: Page): Promise<number[]> {
  return page.$$eval('#list .row[data-no]', (rows) => rows.map((r) => Number((r as HTMLElement).dataset.no)));
}

describe.skipIf(!requireTool('chromium'))('netlab view in chromium', () => {
  let server: ViewServer;
  let browser: Browser;
  let page: Page;
  const shots = mkdtempSync(join(tmpdir(), 'netlab-view-shots-'));

  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    server = await startViewServer(await CaptureModel.load(FILE));
    browser = await chromium.launch({ executablePath: findTool('chromium'), args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    // The page must need nothing but netlab's own server.
    await page.route(/^(?!http:\/\/127\.0\.0\.1:)/, (route) => route.abort());
    await page.goto(server.url);
    await page.waitForSelector('#tree li.node');
    console.log(`[view] screenshots in ${shots}`);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('lists the summary lines of netlab decode and shows the first frame as decode -V does', async () => {
    const expected = await decode();
    await page.waitForFunction((n) => document.querySelectorAll('#list .row[data-no]').length === n, expected.length);
    const titles = await page.$$eval('#list .row[data-no]', (rows) => rows.map((r) => (r as HTMLElement).title));
    expect(titles).toEqual(expected);
    expect(await page.getAttribute('#list .row.selected', 'data-no')).toBe('1');
    expect(await pageTree(page)).toEqual(await decodeTree(1));
    await page.screenshot({ path: join(shots, 'view-1280x800.png') });
  });

  it('highlights exactly the bytes of the field under the pointer, and the field of a byte', async () => {
    const ttl = page.locator('#tree li.node[data-name="ip.ttl"] > .label');
    await ttl.hover();
    const offset = Number(await page.getAttribute('#tree li.node[data-name="ip.ttl"]', 'data-offset'));
    expect(await highlighted(page)).toEqual([offset]);
    const src = page.locator('#tree li.node[data-name="ip.src"] > .label');
    await src.hover();
    const srcOffset = Number(await page.getAttribute('#tree li.node[data-name="ip.src"]', 'data-offset'));
    expect(await highlighted(page)).toEqual([srcOffset, srcOffset + 1, srcOffset + 2, srcOffset + 3]);
    // The other way round: the pointer on a byte of the TCP source port lights the port's line.
    const sport = Number(await page.getAttribute('#tree li.node[data-name="tcp.srcport"]', 'data-offset'));
    await page.locator(`#hex .byte[data-i="${sport + 1}"]`).hover();
    expect(await page.$$eval('#tree li.node.hl', (ns) => ns.map((n) => (n as HTMLElement).dataset.name))).toEqual(['tcp.srcport']);
    expect(await highlighted(page)).toEqual([sport, sport + 1]);
    await page.screenshot({ path: join(shots, 'view-hover.png') });
  });

  it('moves the selection with the arrow keys', async () => {
    await page.locator('#list').focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.waitForFunction(() => document.querySelector('#tree li.node > .label')?.textContent?.startsWith('Frame 3:'));
    expect(await page.getAttribute('#list .row.selected', 'data-no')).toBe('3');
    expect(await pageTree(page)).toEqual(await decodeTree(3));
    await page.keyboard.press('ArrowUp');
    await page.waitForFunction(() => document.querySelector('#tree li.node > .label')?.textContent?.startsWith('Frame 2:'));
    expect(await page.getAttribute('#list .row.selected', 'data-no')).toBe('2');
    await page.keyboard.press('End');
    await page.waitForFunction(() => document.querySelector('#list .row.selected')?.getAttribute('data-no') === '14');
  });

  it('narrows the list as decode -Y does, and points a bad filter at its column', async () => {
    const filter = 'tcp.flags.syn == 1';
    const expected = (await decode('-Y', filter)).map((l) => Number(l.trim().split(/\s+/)[0]));
    expect(expected.length).toBeGreaterThan(0);
    await page.fill('#filter', filter);
    await page.press('#filter', 'Enter');
    await page.waitForFunction((n) => document.querySelectorAll('#list .row[data-no]').length === n, expected.length);
    expect(await rowNumbers(page)).toEqual(expected);
    await page.screenshot({ path: join(shots, 'view-filter.png') });

    await page.fill('#filter', 'ip.src == 1.2.3.400');
    await page.press('#filter', 'Enter');
    await page.waitForSelector('#filter-error:not([hidden])');
    expect(await page.getAttribute('#filter-error', 'data-column')).toBe('10');
    expect(await page.textContent('#filter-error .message')).toContain('"1.2.3.400" is not a valid hostname or IPv4 address.');
    expect(await page.textContent('#filter-error mark')).toBe('1.2.3.400');
    expect(await rowNumbers(page)).toEqual(expected); // the list stays as it was
    await page.screenshot({ path: join(shots, 'view-filter-error.png') });

    await page.click('#clear');
    await page.waitForSelector('#filter-error', { state: 'hidden' });
    await page.waitForFunction(() => document.querySelectorAll('#list .row[data-no]').length === 14);
  });

  it('stays readable in a narrow window', async () => {
    await page.setViewportSize({ width: 420, height: 800 });
    await page.waitForTimeout(50);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    for (const pane of ['#list', '#tree', '#hex']) {
      const box = await page.locator(pane).boundingBox();
      expect(box?.height, pane).toBeGreaterThan(60);
      expect(box?.width, pane).toBeGreaterThan(300);
    }
    await page.screenshot({ path: join(shots, 'view-narrow.png') });
  });
});
