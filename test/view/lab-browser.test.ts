// The lab page in a real browser: Debian's chromium driven by playwright-core (never a downloaded
// browser). `netlab lab run mac-and-arp --web --no-open` runs as a child process; the page must show
// its steps as they run, draw the switch and hosts with frames crossing the links and the switch's
// MAC table filling, take an exercise's answers (graded, the result in the page and at the
// terminal), draw each step's frames as a sequence diagram (arrows appended as they come, one
// selected with the keyboard shows its layers and bytes), move between steps with the keyboard, and stay readable at 1280x800 and narrow. Then the
// static index.html of the run (with the network's final snapshot), that of a checksums run with its
// figures, and a page holding a DNS referral tree whose TTLs count down, open from file://.
// Screenshots are saved in a temp folder, printed.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTool, requireTool } from '../helpers/tools.ts';
import { treeFigure, type TreeRecord } from '../../src/lab/figure.ts';
import { labIndexHtml } from '../../src/view/lab-static.ts';
import { applyLabEvent, emptyRun } from '../../src/view/lab-types.ts';

const runFile = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'netlab.js');

type Browser = import('playwright-core').Browser;
type Page = import('playwright-core').Page;

describe.skipIf(!requireTool('chromium'))('the lab page in chromium', () => {
  const work = mkdtempSync(join(tmpdir(), 'netlab-labweb-'));
  const shots = mkdtempSync(join(tmpdir(), 'netlab-lab-shots-'));
  let child: ChildProcess;
  let terminal = '';
  let url = '';
  let browser: Browser;
  let page: Page;
  let checksums: Promise<unknown>;
  /** Steps with a sequence diagram when the first one was looked at. */
  let diagramsEarly = 0;

  beforeAll(async () => {
    const env = { ...process.env, NO_COLOR: '1', NETLAB_RUNTIME_DIR: join(work, 'run') };
    // The checksums lab (its figures) runs meanwhile, for the static page's test.
    checksums = runFile(process.execPath, [BIN, 'lab', 'run', 'checksums', '--check', '--out', join(work, 'sums')], { env, cwd: work });
    child = spawn(process.execPath, [BIN, 'lab', 'run', 'mac-and-arp', '--web', '--no-open', '--no-pause', '--out', join(work, 'out'), '--web-for', '120'], {
      env,
      cwd: work,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (c: Buffer) => {
      terminal += c.toString();
    });
    child.stderr?.on('data', (c: Buffer) => {
      terminal += c.toString();
    });
    const deadline = Date.now() + 30_000;
    while (!/The lab page: (http:\/\/127\.0\.0\.1:\d+\/)/.test(terminal)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no lab page address printed:\n${terminal}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    url = /The lab page: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(terminal)?.[1] ?? '';
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: findTool('chromium'), args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    // The page must need nothing but netlab's own server.
    await page.route(/^(?!http:\/\/127\.0\.0\.1:)/, (route) => route.abort());
    await page.goto(url);
    // Count the frame dots the page draws from now on.
    await page.evaluate(() => {
      const w = window as unknown as { dots: number };
      w.dots = 0;
      new MutationObserver((list) => {
        for (const m of list) for (const n of m.addedNodes) if ((n as Element).classList?.contains('frame-dot')) w.dots++;
      }).observe(document.body, { childList: true, subtree: true });
    });
    console.log(`[lab page] screenshots in ${shots}`);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    if (child !== undefined && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      await exited;
    }
    await checksums?.catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  });

  it('shows the steps as they run and the network with its MAC table', async () => {
    await page.waitForSelector('article.item.step');
    expect(await page.textContent('h1')).toContain('Lab mac-and-arp');
    expect(await page.textContent('article.item.step h2')).toContain('Who has 192.168.1.3?');
    await page.waitForSelector('svg.topo g.node[data-node="sw1"]');
    const nodes = await page.$$eval('svg.topo g.node', (gs) => gs.map((g) => (g as SVGGElement).dataset.node).sort());
    expect(nodes).toEqual(['h1', 'h2', 'h3', 'sw1']);
    expect(await page.locator('svg.topo line.link').count()).toBe(3);
    await page.waitForFunction(() => document.querySelectorAll('.node-box[data-node="sw1"] table[data-table="MAC table"] tbody tr').length >= 2);
    expect(await page.locator('article.item.step .checks li.pass').count()).toBeGreaterThan(3);
    expect(await page.getAttribute('article.item.step .captures a', 'href')).toMatch(/^\/capture\/\d+$/);
  });

  it("draws the step's frames as a sequence diagram as they arrive", async () => {
    const seq = 'article#item-0-0 section.lab-seq';
    // The first step: h1's ARP request to everyone, h2's reply, the ping (the switch's copies are not arrows).
    await page.waitForFunction((sel) => (document.querySelector(sel)?.querySelectorAll('g.arrow').length ?? 0) >= 4, seq);
    const heads = await page.$$eval(`${seq} .seq-host`, (hs) => hs.map((h) => h.textContent));
    expect(heads).toEqual(['h1', 'broadcast', 'h2']);
    const labels = await page.$$eval(`${seq} g.arrow text.label`, (ts) => ts.map((t) => t.textContent ?? ''));
    expect(labels[0]).toBe('Who has 192.168.1.3? Tell 192.168.1.2');
    expect(labels[1]).toMatch(/^192\.168\.1\.3 is at 02:00:00:00:01:03$/);
    expect(labels[2]).toMatch(/^Echo \(ping\) request/);
    expect(await page.textContent(`${seq} h3`)).toMatch(/^Sequence diagram: 4 frames/);
    diagramsEarly = await page.locator('section.lab-seq').count();
  });

  it('takes an answer typed in the page, grades it as the terminal does, and shows the result in both', async () => {
    await page.waitForSelector('form.answer input');
    // The answer box has the focus when the exercise arrives: type, Enter.
    await page.waitForFunction(() => document.activeElement?.matches('form.answer input') === true);
    await page.keyboard.type('02:00:00:00:01:03');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.exchange li.wrong');
    expect(await page.textContent('.exchange li.wrong')).toContain('(from the page)');
    await page.fill('form.answer input', 'ff:ff:ff:ff:ff:ff');
    await page.press('form.answer input', 'Enter');
    await page.waitForSelector('article.item.exercise.right .exchange li.right');
    await page.screenshot({ path: join(shots, 'lab-exercise.png') });
    await page.waitForFunction(() => document.querySelectorAll('article.item.exercise').length === 2);
    expect(terminal).toContain('ff:ff:ff:ff:ff:ff (from the page)');
    expect(terminal).toMatch(/✓ right: /);
    expect(terminal).toMatch(/✗ not yet: /);
    // The second exercise is skipped from the page: its answer is shown.
    await page.waitForSelector('form.answer button.skip');
    await page.click('form.answer button.skip');
    await page.waitForSelector('article.item.exercise.skipped');
  });

  it('moves frames across the links as the next steps send them, and finishes the lab', async () => {
    await page.waitForFunction(() => (window as unknown as { dots: number }).dots > 0, undefined, { timeout: 60_000 });
    await page.waitForSelector('#status.good', { timeout: 90_000 });
    expect(await page.textContent('#status')).toMatch(/mac-and-arp: \d+ passed, 0 failed/);
    expect(Number(await page.getAttribute('svg.topo', 'data-frames-seen'))).toBeGreaterThan(0);
    expect(await page.locator('.frame-log li').count()).toBeGreaterThan(0);
    // Every step that sent frames has its diagram, the step's capture one click away.
    // (the steps after the exercises gained theirs while the lab ran)
    expect(await page.locator('section.lab-seq').count()).toBeGreaterThan(Math.max(2, diagramsEarly));
    expect(await page.getAttribute('article#item-0-0 .seq-open a', 'href')).toMatch(/^\/capture\/\d+$/);
    await page.screenshot({ path: join(shots, 'lab-1280x800.png') });
  }, 120_000);

  it('selects an arrow of a sequence diagram with the keyboard or a click: its summary, layers and bytes', async () => {
    const seq = 'article#item-0-0 section.lab-seq';
    // Keyboard: focus the diagram, Down selects the first arrow, Down again the reply.
    await page.focus(`${seq} .seq-body`);
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    expect(await page.getAttribute(`${seq} g.arrow.selected`, 'data-index')).toBe('1');
    expect(await page.textContent(`${seq} .seq-summary`)).toMatch(
      /^Frame 2 at [\d.]+ ms, h2 → h1 on h2-sw1: h2-eth0 -> sw1-p2: ARP 192\.168\.1\.3 is at 02:00:00:00:01:03/,
    );
    expect(await page.textContent(`${seq} .seq-tree`)).toContain('Address Resolution Protocol (reply)');
    expect(await page.textContent(`${seq} .seq-hex`)).toMatch(/^0000 {2}02 00 00 00 01 02 02 00 00 00 01 03 08 06/);
    // A click selects the ping.
    await page.click(`${seq} g.arrow[data-index="2"]`);
    expect(await page.textContent(`${seq} .seq-tree`)).toContain('Internet Control Message Protocol');
    await page.locator(seq).screenshot({ path: join(shots, 'lab-sequence.png') });
  });

  it('moves between steps with j and k', async () => {
    await page.locator('h1').click();
    await page.keyboard.press('j');
    const first = await page.evaluate(() => document.activeElement?.id);
    expect(first).toBe('item-0-0');
    await page.keyboard.press('j');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('item-0-1');
    await page.keyboard.press('k');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('item-0-0');
  });

  it('stays readable in a narrow window', async () => {
    await page.setViewportSize({ width: 420, height: 800 });
    await page.waitForTimeout(50);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    const box = await page.locator('#items').boundingBox();
    expect(box?.width).toBeGreaterThan(360);
    await page.screenshot({ path: join(shots, 'lab-narrow.png'), fullPage: false });
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('writes index.html beside the captures, which opens from the file system with the same steps', async () => {
    const live = await page.$$eval('article.item h2', (hs) => hs.map((h) => h.textContent));
    const file = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await file.route(/^(?!file:)/, (route) => route.abort());
    await file.goto(pathToFileURL(join(work, 'out', 'mac-and-arp', 'index.html')).href);
    await file.waitForSelector('article.item');
    expect(await file.$$eval('article.item h2', (hs) => hs.map((h) => h.textContent))).toEqual(live);
    expect(await file.textContent('#status')).toMatch(/mac-and-arp: \d+ passed, 0 failed/);
    expect(await file.getAttribute('article.item.step .captures a', 'href')).toBe('arp-and-ping.pcapng');
    expect(await file.locator('.checks li.fail').count()).toBe(0);
    // The network as it stood at the end, drawn from the snapshot embedded in the file.
    await file.waitForSelector('#topology svg.topo g.node');
    expect(await file.$$eval('#topology .net:not([hidden]) svg.topo g.node', (gs) => gs.map((g) => g.getAttribute('data-node')).sort())).toEqual(
      await page.$$eval('#topology .net:not([hidden]) svg.topo g.node', (gs) => gs.map((g) => g.getAttribute('data-node')).sort()),
    );
    expect(await file.locator('#topology .net:not([hidden]) table[data-table="MAC table"] tbody tr').count()).toBeGreaterThan(0);
    // Each step's sequence diagram, embedded: the same arrows as the live page's.
    const arrows = (p: Page): Promise<string[]> => p.$$eval('article#item-0-0 section.lab-seq g.arrow text.label', (ts) => ts.map((t) => t.textContent ?? ''));
    await file.waitForSelector('article#item-0-0 section.lab-seq g.arrow');
    expect(await arrows(file)).toEqual(await arrows(page));
    expect(await file.getAttribute('article#item-0-0 .seq-open a', 'href')).toBe('arp-and-ping.pcapng');
    await file.screenshot({ path: join(shots, 'lab-static.png') });

    await checksums;
    await file.goto(pathToFileURL(join(work, 'sums', 'checksums', 'index.html')).href);
    await file.waitForSelector('figure[data-kind="checksum"] svg');
    expect(await file.locator('figure[data-kind="checksum"]').count()).toBe(3);
    expect(await file.textContent('figure[data-kind="checksum"] .result')).toMatch(/^complement: ~0x[0-9a-f]{4} = 0x[0-9a-f]{4}$/);
    expect(await file.locator('figure[data-kind="checksum"] g.word').first().locator('text').count()).toBe(3);
    await file
      .locator('figure[data-kind="checksum"]')
      .first()
      .screenshot({ path: join(shots, 'lab-checksum-figure.png') });
    await file.close();
  }, 120_000);

  it('draws a referral tree whose TTLs count down from the run\'s times, and shows "expired" at 0', async () => {
    const now = Date.now();
    const rec = (name: string, ttl: number, section: TreeRecord['section'] = 'authority'): TreeRecord => ({
      section,
      name,
      type: 'NS',
      ttl,
      data: `ns.${name}.`,
    });
    const run = emptyRun();
    applyLabEvent(run, { type: 'lab', name: 'dns', title: 'tree', duration: '1', outDir: 'o' });
    applyLabEvent(run, { type: 'item', kind: 'step', position: 1, total: 1, title: 'referrals', text: '' });
    const tree = treeFigure(
      'The referrals',
      [
        { label: 'root', detail: '127.192.0.1', at: now - 10_000, records: [rec('com', 172800)] },
        { label: '.com TLD', detail: '127.192.0.2', at: now - 10_000, parent: 0, edge: 'referral: com', records: [rec('example.com', 5)] },
        { label: 'authoritative', detail: '127.192.0.3', at: now, parent: 1, edge: 'referral: example.com', records: [rec('www', 30, 'answer')] },
      ],
      { title: "The resolver's cache", entries: [{ name: 'www', type: 'A', data: '192.0.2.1', ttl: 3, expires: now + 3000 }] },
      '',
    );
    applyLabEvent(run, { type: 'show', show: { kind: 'figure', figure: tree } });
    const path = join(work, 'tree.html');
    writeFileSync(path, labIndexHtml(run));
    const file = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await file.route(/^(?!file:)/, (route) => route.abort());
    await file.goto(pathToFileURL(path).href);
    await file.waitForSelector('figure[data-kind="tree"] svg');
    expect(await file.$$eval('svg.tree g.tree-node', (gs) => gs.map((g) => g.getAttribute('data-node')))).toEqual(['root', '.com TLD', 'authoritative']);
    expect(await file.locator('svg.tree line.edge').count()).toBe(2);
    const ttls = (): Promise<string[]> => file.$$eval('svg.tree .ttl', (ts) => ts.map((t) => t.textContent ?? ''));
    const first = await ttls();
    // 172800 s less the 10 s since, the 5 s record long run out, 30 s, and the cache's 3 s.
    const rootLeft = Number.parseInt(first[0], 10);
    expect(first[0]).toMatch(/^\d+ s$/);
    expect(rootLeft).toBeGreaterThan(172_800 - 30);
    expect(rootLeft).toBeLessThanOrEqual(172_800 - 10);
    expect(first[1]).toBe('expired');
    expect(first[2]).toMatch(/^\d+ s$/);
    expect(Number.parseInt(first[2], 10)).toBeGreaterThan(15); // the page may take a few seconds to load here
    await file.locator('figure[data-kind="tree"]').screenshot({ path: join(shots, 'lab-dns-tree.png') });
    // Each second the TTLs go down; the cache's 3 s entry runs out.
    await file.waitForFunction((was) => document.querySelectorAll('svg.tree .ttl')[2]?.textContent !== was, first[2], { timeout: 5000 });
    expect(Number.parseInt((await ttls())[2], 10)).toBeLessThan(Number.parseInt(first[2], 10));
    await file.waitForFunction(() => [...document.querySelectorAll('svg.tree .ttl')].at(-1)?.textContent === 'expired', undefined, { timeout: 6000 });
    expect(await file.locator('svg.tree .ttl.expired').count()).toBe(2);
    await file.close();
  }, 30_000);
});
