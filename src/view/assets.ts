// The page's files: the HTML shell, and the script and style esbuild bundled into dist/view/ from
// src/view/page/ (scripts/build.mjs). Served by netlab itself, so the page needs no internet.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NetlabError } from '../base/errors.ts';

export interface Asset {
  type: string;
  body: Buffer;
}

/** The project's root: the nearest folder above this module holding netlab's package.json. */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'netlab') return dir;
    const up = dirname(dir);
    if (up === dir) throw new NetlabError('ERR_NOT_FOUND', 'netlab view: the project folder (package.json) was not found', { layer: 'view' });
    dir = up;
  }
}

const SHELL = (title: string): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} - netlab view</title>
<link rel="stylesheet" href="/page.css">
</head>
<body>
<noscript>netlab view needs JavaScript (served by netlab itself, no internet needed).</noscript>
<script type="module" src="/page.js"></script>
</body>
</html>
`;

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Loads the bundled page once; a missing bundle is an error that says how to build it. */
export function loadAssets(title: string): Map<string, Asset> {
  const dir = join(projectRoot(), 'dist', 'view');
  const read = (name: string): Buffer => {
    const path = join(dir, name);
    if (!existsSync(path)) {
      throw new NetlabError('ERR_NOT_FOUND', `netlab view: ${path} is missing; build the page with \`npm run build\``, { layer: 'view' });
    }
    return readFileSync(path);
  };
  return new Map<string, Asset>([
    ['/', { type: 'text/html; charset=utf-8', body: Buffer.from(SHELL(title)) }],
    ['/page.js', { type: 'text/javascript; charset=utf-8', body: read('page.js') }],
    ['/page.css', { type: 'text/css; charset=utf-8', body: read('page.css') }],
  ]);
}
