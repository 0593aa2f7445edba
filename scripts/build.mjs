// Builds dist/ from the TypeScript sources: one ESM bundle entry for the CLI, with every subcommand
// (and every lab) split into its own chunk that loads only when it runs. Dependencies stay external
// (node_modules). Type checking is `npm run typecheck`; this only transpiles, in well under a second.
//
// Run by `npm install` (prepare), `npm pack` (prepare), `npm start` (prestart) and the test setup.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));

/**
 * `string-width` (for yargs' help layout) resolves to scripts/string-width-ascii.mjs, which measures
 * printable ASCII itself and hands the rest to the string-width package (same API in v7 and v8).
 */
const asciiStringWidth = {
  name: 'string-width-ascii',
  setup(b) {
    b.onResolve({ filter: /^string-width$/ }, () => ({ path: join(root, 'scripts', 'string-width-ascii.mjs') }));
    b.onResolve({ filter: /^string-width-real$/ }, () => ({ path: require.resolve('string-width') }));
  },
};

/**
 * Every package the project names stays external (loaded from node_modules at run time), except
 * yargs, which is bundled with its helpers: it is on every command's start-up path.
 */
function externalPackages() {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const names = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})].filter((n) => n !== 'yargs');
  return names.flatMap((n) => [n, `${n}/*`]);
}

export async function buildDist() {
  rmSync(join(root, 'dist'), { recursive: true, force: true });
  await build({
    absWorkingDir: root,
    entryPoints: { netlab: 'src/cli/main.ts' },
    outdir: 'dist',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: externalPackages(),
    sourcemap: 'linked',
    minify: true,
    chunkNames: 'chunks/[name]-[hash]',
    logLevel: 'warning',
    plugins: [asciiStringWidth],
  });
  await buildViewPage();
}

/**
 * `netlab view`'s page: the browser script and its style, bundled into dist/view/ and served by
 * netlab itself (src/view/assets.ts), so the page works with no internet.
 */
export async function buildViewPage() {
  await build({
    absWorkingDir: root,
    entryPoints: { page: 'src/view/page/main.ts' },
    outdir: 'dist/view',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome110', 'firefox110', 'safari16'],
    sourcemap: 'linked',
    minify: true,
    logLevel: 'warning',
  });
  await build({ absWorkingDir: root, entryPoints: { page: 'src/view/page/page.css' }, outdir: 'dist/view', bundle: true, minify: true, logLevel: 'warning' });
  // The lab page (`netlab lab run NAME --web`, and OUT/LAB/index.html, which inlines it): a classic
  // script (iife), so that it also runs inline in a page opened from the file system.
  await build({
    absWorkingDir: root,
    entryPoints: { lab: 'src/view/page/lab.ts' },
    outdir: 'dist/view',
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['chrome110', 'firefox110', 'safari16'],
    minify: true,
    logLevel: 'warning',
  });
  await build({ absWorkingDir: root, entryPoints: { lab: 'src/view/page/lab.css' }, outdir: 'dist/view', bundle: true, minify: true, logLevel: 'warning' });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const t0 = performance.now();
  await buildDist();
  process.stdout.write(`netlab: built dist/ in ${Math.round(performance.now() - t0)} ms\n`);
}
