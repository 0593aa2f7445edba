// The static lab page: OUT/LAB/index.html, written after every run of a lab (with or without --web).
// One self-contained file: the lab page's script and style inline, the run's results embedded as JSON,
// capture links relative to the file, so it opens from the file system (file://) with no server and
// no internet.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NetlabError } from '../base/errors.ts';
import { escapeHtml, projectRoot } from './assets.ts';
import type { LabJson, LabRunJson } from './lab-types.ts';

/** The bundled lab page (dist/view/lab.js and lab.css), read once. */
let bundle: { js: string; css: string } | undefined;

export function labBundle(): { js: string; css: string } {
  if (bundle !== undefined) return bundle;
  const dir = join(projectRoot(), 'dist', 'view');
  const read = (name: string): string => {
    const path = join(dir, name);
    if (!existsSync(path)) throw new NetlabError('ERR_NOT_FOUND', `${path} is missing; build the page with \`npm run build\``, { layer: 'view' });
    return readFileSync(path, 'utf8');
  };
  bundle = { js: read('lab.js'), css: read('lab.css') };
  return bundle;
}

/** JSON safe inside a <script> element: no `<` (so no `</script>`), no U+2028/2029. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** The page for one run: `run` embedded, script and style inline. */
export function labIndexHtml(run: LabRunJson, assets: { js: string; css: string } = labBundle()): string {
  const title = run.labs.map((l) => l.name).join(', ') || 'netlab lab';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} - netlab lab</title>
<style>${assets.css.replace(/<\/style/gi, '<\\/style')}</style>
</head>
<body>
<noscript>This page needs JavaScript to show the lab's results (it is inline: no internet needed).</noscript>
<script type="application/json" id="lab-data">${scriptJson(run)}</script>
<script>${assets.js.replace(/<\/script/gi, '<\\/script')}</script>
</body>
</html>
`;
}

/** Writes DIR/index.html for one lab's run; returns its path. */
export function writeLabIndex(dir: string, lab: LabJson, started: string, assets?: { js: string; css: string }): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'index.html');
  writeFileSync(path, labIndexHtml({ labs: [lab], done: true, started }, assets));
  return path;
}
