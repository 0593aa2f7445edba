// Builds dist/ from the TypeScript sources: one ESM bundle entry for the CLI, with every subcommand
// (and every lab) split into its own chunk that loads only when it runs. Dependencies stay external
// (node_modules). Type checking is `npm run typecheck`; this only transpiles, in well under a second.
//
// Run by `npm install` (prepare), `npm pack` (prepare), `npm start` (prestart) and the test setup.
//
// Safe when runs overlap (two vitest runs, a CLI run beside a test run): dist/ is never half-written.
// One build at a time holds dist.lock (a directory: mkdir is atomic; a lock whose process is gone is
// taken over); the build goes to dist.tmp-PID/ and replaces dist/ by two renames. dist/BUILD.json
// lists every file the bundles were built from (esbuild's metafile) with its sha256, and the build is
// skipped when none of them changed (nor this script, nor package.json): a second run waiting on the
// lock then finds dist/ up to date and leaves it, and the processes running from it, alone.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
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

const DIST = join(root, 'dist');
const LOCK = join(root, 'dist.lock');
const STAMP = 'BUILD.json';

const sha256 = (path) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** The files a build depends on besides what esbuild read: this script and package.json (externals). */
const ALWAYS = ['scripts/build.mjs', 'package.json'];

/** True when dist/ was built from exactly the files as they are now. */
function upToDate() {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(join(DIST, STAMP), 'utf8'));
  } catch {
    return false;
  }
  if (stamp === null || typeof stamp.inputs !== 'object') return false;
  for (const [file, hash] of Object.entries(stamp.inputs)) {
    try {
      if (sha256(join(root, file)) !== hash) return false;
    } catch {
      return false; // gone
    }
  }
  return ALWAYS.every((f) => f in stamp.inputs);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

/** Takes dist.lock (waiting up to `waitMs` for another build); returns its release. */
async function lock(waitMs = 180_000) {
  const t0 = Date.now();
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      return () => rmSync(LOCK, { recursive: true, force: true });
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
    }
    // Held: by a live build, wait; by a process that is gone (or a lock with no pid yet for 10 s), take it over.
    let pid = Number.NaN;
    try {
      pid = Number(readFileSync(join(LOCK, 'pid'), 'utf8'));
    } catch {
      // not written yet, or released meanwhile
    }
    let age = 0;
    try {
      age = Date.now() - statSync(LOCK).mtimeMs;
    } catch {
      continue; // released meanwhile
    }
    if ((Number.isInteger(pid) && pid > 0 && !alive(pid)) || (!Number.isInteger(pid) && age > 10_000)) {
      rmSync(LOCK, { recursive: true, force: true });
      continue;
    }
    if (Date.now() - t0 > waitMs)
      throw new Error(`scripts/build.mjs: ${relative(process.cwd(), LOCK)} is held by process ${pid} for more than ${waitMs / 1000} s`);
    await sleep(100);
  }
}

/**
 * Builds dist/ unless it is up to date (`force`: always). Overlapping calls, in this process or in
 * others, wait for each other; dist/ is replaced whole, never written in place.
 */
export async function buildDist({ force = false } = {}) {
  if (!force && upToDate()) return { built: false };
  const release = await lock();
  try {
    if (!force && upToDate()) return { built: false }; // built by the run we waited for
    const tmp = join(root, `dist.tmp-${process.pid}`);
    rmSync(tmp, { recursive: true, force: true });
    try {
      const inputs = await buildInto(tmp);
      const hashes = {};
      for (const f of [...new Set([...inputs, ...ALWAYS])].sort()) hashes[f] = sha256(join(root, f));
      writeFileSync(join(tmp, STAMP), `${JSON.stringify({ inputs: hashes }, null, 1)}\n`);
      // Two renames: dist/ is missing for a moment (bin/netlab.js then runs the sources), never partial.
      const old = join(root, `dist.old-${process.pid}`);
      rmSync(old, { recursive: true, force: true });
      if (existsSync(DIST)) renameSync(DIST, old);
      renameSync(tmp, DIST);
      rmSync(old, { recursive: true, force: true });
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    return { built: true };
  } finally {
    release();
  }
}

/** Every bundle into `outdir`; the project files they were built from (relative paths). */
async function buildInto(outdir) {
  const result = await build({
    absWorkingDir: root,
    entryPoints: { netlab: 'src/cli/main.ts' },
    outdir,
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
    metafile: true,
  });
  const view = await buildViewPage(join(outdir, 'view'));
  // esbuild names inputs relative to absWorkingDir (the project root), node_modules included.
  return [...Object.keys(result.metafile.inputs), ...view].filter((f) => !f.includes(':'));
}

/**
 * `netlab view`'s page: the browser script and its style, bundled into dist/view/ and served by
 * netlab itself (src/view/assets.ts), so the page works with no internet. Returns the files read.
 */
export async function buildViewPage(outdir = join(root, 'dist', 'view')) {
  const common = { absWorkingDir: root, outdir, bundle: true, minify: true, logLevel: 'warning', metafile: true };
  const browser = { platform: 'browser', target: ['chrome110', 'firefox110', 'safari16'] };
  const results = await Promise.all([
    build({ ...common, ...browser, entryPoints: { page: 'src/view/page/main.ts' }, format: 'esm', sourcemap: 'linked' }),
    build({ ...common, entryPoints: { page: 'src/view/page/page.css' } }),
    // The lab page (`netlab lab run NAME --web`, and OUT/LAB/index.html, which inlines it): a classic
    // script (iife), so that it also runs inline in a page opened from the file system.
    build({ ...common, ...browser, entryPoints: { lab: 'src/view/page/lab.ts' }, format: 'iife' }),
    build({ ...common, entryPoints: { lab: 'src/view/page/lab.css' } }),
  ]);
  return results.flatMap((r) => Object.keys(r.metafile.inputs));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const t0 = performance.now();
  const { built } = await buildDist({ force: process.argv.includes('--force') });
  process.stdout.write(built ? `netlab: built dist/ in ${Math.round(performance.now() - t0)} ms\n` : 'netlab: dist/ is up to date\n');
}
