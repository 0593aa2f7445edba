// Before any test runs: build dist/ from the current sources (esbuild, about a second), so tests that
// run `bin/netlab.js` run what a user runs, never a stale build. Skipped when dist/ was built from the
// sources as they are; overlapping runs wait for each other and never see a half-written dist/
// (scripts/build.mjs).
// @ts-expect-error: a plain ESM build script without types
import { buildDist } from '../../scripts/build.mjs';

export default async function setup(): Promise<void> {
  await (buildDist as () => Promise<unknown>)();
}
