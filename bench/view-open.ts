// `npm run bench:view`: how long `netlab view` takes to open a big capture (100,000 frames by default,
// FRAMES=N for another size) in Debian's chromium: from exec until the server prints its address (the
// capture read and every summary line made), until the page shows the list and the first frame's
// tree, then a filter over the whole capture, and a jump to the last frame (End), which dissects every
// frame before it. Runs the built dist/ through bin/netlab.js (build first: `npm run build`).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { benchCapture } from './gen-capture.ts';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'netlab.js');
const FRAMES = Number(process.env.FRAMES ?? 100_000);

const cap = await benchCapture(FRAMES);
const t0 = performance.now();
const child = spawn(process.execPath, [BIN, 'view', cap.path, '--no-open'], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise<string>((resolve, reject) => {
  let text = '';
  child.stdout.on('data', (b: Buffer) => {
    text += b.toString();
    const m = / on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(text);
    if (m) resolve(m[1]);
  });
  child.on('exit', (code) => reject(new Error(`netlab view exited (${code}) before serving:\n${text}`)));
});
const tServe = performance.now() - t0;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const tLaunch = performance.now() - t0 - tServe;
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(url);
  await page.waitForSelector('#list .row[data-no]');
  await page.waitForSelector('#tree li.node');
  const tPage = performance.now() - t0;
  await page.waitForFunction(() => !/reading/.test(document.querySelector('#status')?.textContent ?? ''), undefined, { timeout: 300_000 });
  const tLoaded = performance.now() - t0;
  const f0 = performance.now();
  await page.fill('#filter', 'udp');
  await page.press('#filter', 'Enter');
  await page.waitForFunction(() => /shown by the filter/.test(document.querySelector('#status')?.textContent ?? ''), undefined, { timeout: 300_000 });
  const tFilter = performance.now() - f0;
  const shown = await page.textContent('#status');
  await page.click('#clear');
  await page.waitForFunction(() => !/shown by the filter/.test(document.querySelector('#status')?.textContent ?? ''));
  await page.waitForSelector('#tree li.node');
  const j0 = performance.now();
  await page.locator('#list').focus();
  await page.keyboard.press('End');
  await page.waitForFunction((n) => document.querySelector('#tree li.node > .label')?.textContent?.startsWith(`Frame ${n}:`), cap.frames, { timeout: 300_000 });
  const tEnd = performance.now() - j0;
  const d0 = performance.now();
  await page.keyboard.press('ArrowUp');
  await page.waitForFunction((n) => document.querySelector('#tree li.node > .label')?.textContent?.startsWith(`Frame ${n}:`), cap.frames - 1, {
    timeout: 300_000,
  });
  const tUp = performance.now() - d0;
  // The sequence diagram: its first window (the columns over every frame), End (the last arrow), the
  // columns as endpoints (ports: one more pass over the capture), and Follow stream on that frame.
  const q0 = performance.now();
  await page.click('#tab-sequence');
  await page.waitForSelector('#sequence g.arrow', { timeout: 300_000 });
  const tSeq = performance.now() - q0;
  const e0 = performance.now();
  await page.keyboard.press('Home');
  await page.keyboard.press('End');
  await page.waitForFunction((n) => document.querySelector('#sequence g.arrow.selected')?.getAttribute('data-no') === String(n), cap.frames, {
    timeout: 300_000,
  });
  const tSeqEnd = performance.now() - e0;
  const drawn = await page.$$eval('#sequence g.arrow', (gs) => gs.length);
  const p0 = performance.now();
  await page.click('#seq-by');
  await page.waitForFunction(() => /:\d+$/.test(document.querySelector('.seq-host')?.textContent ?? ''), undefined, { timeout: 300_000 });
  const tPorts = performance.now() - p0;
  const w0 = performance.now();
  await page.locator('#sequence').focus();
  await page.keyboard.press('f');
  await page.waitForSelector('#follow:not([hidden]) #follow-title', { timeout: 300_000 });
  const tFollow = performance.now() - w0;
  const followed = await page.textContent('#follow .ends');
  const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
  process.stdout.write(
    [
      `netlab view of ${cap.frames} frames (${(cap.bytes / 1e6).toFixed(1)} MB, ${cap.path}):`,
      `  exec to "Serving on" (the server listens):               ${s(tServe)}`,
      `  exec to the list and the first tree shown in chromium:  ${s(tPage)}  (of which ${s(tLaunch)} starting chromium)`,
      `  exec to every frame read (summary lines made):          ${s(tLoaded)}`,
      `  filter "udp" over every frame:                          ${s(tFilter)}  (${shown})`,
      `  End: the last frame's tree (dissects every frame first): ${s(tEnd)}`,
      `  then ArrowUp (cached):                                  ${s(tUp)}`,
      `  sequence diagram, first window (all rows' columns):    ${s(tSeq)}`,
      `  sequence diagram, Home then End (the last arrow):       ${s(tSeqEnd)}  (${drawn} arrows drawn)`,
      `  columns as endpoints (ports: a pass over the capture):  ${s(tPorts)}`,
      `  Follow stream of the last frame:                        ${s(tFollow)}  (${followed})`,
      '',
    ].join('\n'),
  );
} finally {
  await browser.close();
  child.kill('SIGINT');
  await new Promise((r) => child.once('exit', r));
}
