// The caching-and-compression lab's exercises: find, in the capture, the proxy's own conditional
// request to the backend (the revalidation), and say how many requests the backend got when 50
// clients asked for a cold URL at once through the cache.

import { filterExercise, gradeNumber, type Exercise } from '../../src/lab/index.ts';

export interface CachingExerciseState {
  /** Upstream fetches for the 50 concurrent clients through the cache (collapsed forwarding). */
  collapsedFetches?: number;
}

export const BACKEND_ADDRESS = '127.184.1.11';

const revalidation = filterExercise<CachingExerciseState>({
  after: 'Miss, hit, Age, expiry and revalidation',
  title: "Find the proxy's revalidation of the stale article",
  file: 'cache',
  find:
    'At t=12 s the stored /article was 12 s old with max-age=10. The proxy did not fetch it again in full: it asked ' +
    "the backend whether its copy was still good. Find that one request, on the backend's side of the capture.",
  frames: { like: `http.request.line contains "If-None-Match" && ip.dst == ${BACKEND_ADDRESS}` },
  hint: `The proxy sends the stored ETag back in If-None-Match. Two requests in the capture carry it: the client's own (to the proxy) and the proxy's (to ${BACKEND_ADDRESS}).`,
  right: `ip.dst == ${BACKEND_ADDRESS} && http.request.line contains "article-v1"`,
  wrong: 'http.request.line contains "If-None-Match"',
});

const collapsed: Exercise<CachingExerciseState> = {
  after: 'Collapsed forwarding and stale-while-revalidate',
  title: 'How many requests reached the backend for 50 cold clients?',
  kind: 'answer',
  expects: 'a number of requests',
  task: 'Fifty clients asked for /slow at the same moment through the cached route, while nothing was stored yet. How many requests for /slow did the backend receive?',
  grade: (answer, ctx) => gradeNumber(answer, ctx.state.collapsedFetches ?? -1),
  hint: 'The first request starts the only upstream fetch for that key; the 49 others arrive while it is on its way and wait for it (collapsed forwarding).',
  answer: (ctx) => `${ctx.state.collapsedFetches ?? 1}: the other 49 waited for that fetch and were served from the store (X-Cache: HIT).`,
  right: (ctx) => String(ctx.state.collapsedFetches ?? 1),
  wrong: '50',
};

export const cachingExercises: readonly Exercise<CachingExerciseState>[] = [revalidation, collapsed];
