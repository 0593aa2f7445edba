// Reload on file change: the watcher calls back once the content changed (not on a touch).

import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { watchConfigFile } from '../../src/proxy/index.ts';

it('calls back when the file content changes, debounced, and not when only its time changes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-watch-'));
  const file = join(dir, 'p.yaml');
  writeFileSync(file, 'a: 1\n');
  let calls = 0;
  const w = watchConfigFile(file, () => calls++, 50);
  try {
    await new Promise((r) => setTimeout(r, 100));
    utimesSync(file, new Date(), new Date());
    await new Promise((r) => setTimeout(r, 200));
    expect(calls).toBe(0);
    writeFileSync(file, 'a: 2\n');
    writeFileSync(file, 'a: 3\n');
    const t0 = Date.now();
    while (calls === 0 && Date.now() - t0 < 3000) await new Promise((r) => setTimeout(r, 20));
    expect(calls).toBe(1);
  } finally {
    w.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
