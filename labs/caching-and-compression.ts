// Lab: caching and compression at netlab's reverse proxy, in front of a backend that counts its
// requests. The RFC 9111 cache: a miss then hits with Age rising, expiry and revalidation with
// If-None-Match answered 304, Vary, private and no-store never stored; collapsed forwarding (50 cold
// clients, one upstream fetch) and stale-while-revalidate. Compression: bytes of real-ish HTML, JSON
// and text as identity, gzip and brotli, Vary: Accept-Encoding, no double compression, no-transform.
// And BREACH: a compressed page with a secret next to reflected text gives the secret away by length.

import { connect } from 'node:net';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { HttpClientConnection } from '../src/http/index.ts';
import { defineLab, type LabTap, type StepContext } from '../src/lab/index.ts';
import { startProxy, type ReverseProxy } from '../src/proxy/index.ts';
import { ARTICLE_ETAG, CountingBackend } from './caching/backend.ts';
import { BODIES } from './caching/bodies.ts';
import { recoverToken, type Recovery } from './caching/breach.ts';
import { BACKEND_ADDRESS, cachingExercises, type CachingExerciseState } from './caching/exercises.ts';
import { LAB_INFO } from './info.ts';
import { tlsOutput } from './tls/output.ts';

const PROXY = '127.184.1.1';
const BACKEND = BACKEND_ADDRESS;
const CLIENT = '127.184.1.21';
const SITE = 'shop.netlab.test';
const DIRECT = 'direct.netlab.test';
const STATIC = 'static.netlab.test';
const PLAIN = 'plain.netlab.test';
/** The account page's secret token (fixed, so every run reads the same lengths). */
const SECRET = '7c2e9a41d05fb38e';

interface State extends CachingExerciseState {
  /** Tests only: the site's route without `cache: true` (a lab broken on purpose). */
  noCache?: boolean;
}

/** The lab's wall clock: whole seconds from the start, moved forward by the lab instead of waited for. */
class LabClock {
  private readonly base = Math.floor(Date.now() / 1000) * 1000;
  private offset = 0;
  readonly now = (): number => this.base + this.offset;
  /** Seconds since the start. */
  get t(): number {
    return this.offset / 1000;
  }
  set(seconds: number): void {
    this.offset = seconds * 1000;
  }
}

interface Reply {
  readonly status: number;
  readonly header: (name: string) => string;
  readonly body: Buffer;
}

/** One client: netlab's HTTP client on a keep-alive connection from CLIENT to the proxy. */
class Client {
  private constructor(
    private readonly conn: HttpClientConnection,
    private readonly socket: ReturnType<typeof connect>,
  ) {}

  static async open(port: number, tap?: LabTap): Promise<Client> {
    const socket = connect({ host: PROXY, port, localAddress: CLIENT });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    tap?.tcp(socket);
    return new Client(new HttpClientConnection(socket, { responseTimeoutMs: 10_000 }), socket);
  }

  async get(target: string, host: string, headers: Record<string, string> = {}): Promise<Reply> {
    const fields = [{ name: 'Host', value: host }, ...Object.entries(headers).map(([name, value]) => ({ name, value }))];
    const res = await this.conn.request({ method: 'GET', target, fields });
    const parts: Buffer[] = [];
    for await (const c of res.body) parts.push(Buffer.from(c));
    const header = (name: string): string =>
      res.head.fields
        .filter((f) => f.name.toLowerCase() === name.toLowerCase())
        .map((f) => f.value)
        .join(', ');
    return { status: res.head.status, header, body: Buffer.concat(parts) };
  }

  close(): void {
    this.conn.destroy();
    this.socket.destroy();
  }
}

/** The backend and netlab's proxy in front of it (closed at the end of the step). */
async function startBoth(ctx: StepContext<State>, clock: LabClock, tap?: LabTap): Promise<{ backend: CountingBackend; proxy: ReverseProxy; port: number }> {
  const backend = await CountingBackend.start({ host: BACKEND, now: clock.now, ...(tap === undefined ? {} : { tap }) });
  ctx.onStepEnd(() => backend.close());
  backend.secret = SECRET;
  const endpoints = [{ name: 'backend', address: BACKEND, port: backend.port }];
  const proxy = await startProxy(
    {
      listeners: [{ name: 'http', address: PROXY, port: 0 }],
      routes: [
        { name: 'direct', match: { host: DIRECT }, cluster: 'app' },
        { name: 'static', match: { host: STATIC }, cluster: 'app', compression: { minSizeBytes: 1024 } },
        { name: 'plain-search', match: { host: PLAIN }, cluster: 'app' },
        { name: 'search', match: { path: { prefix: '/search' } }, cluster: 'app', compression: { minSizeBytes: 0, codings: ['gzip'] } },
        { name: 'site', cluster: 'app', ...(ctx.state.noCache === true ? {} : { cache: true }) },
      ],
      clusters: [{ name: 'app', endpoints }],
      cache: { maxBytes: 4 * 1024 * 1024, maxEntryBytes: 512 * 1024 },
    },
    { graceMs: 500, httpNow: clock.now, random: ctx.random },
  );
  ctx.onStepEnd(() => proxy.close(500));
  return { backend, proxy, port: proxy.address().port };
}

const ratio = (a: number, b: number): string => `${(a / b).toFixed(1)}x`;

export default defineLab<State>({
  ...LAB_INFO['caching-and-compression'],
  state: () => ({}),
  exercises: cachingExercises,
  steps: [
    {
      title: 'Miss, hit, Age, expiry and revalidation',
      explain:
        `A client (${CLIENT}) asks netlab's proxy (${PROXY}) for pages of a backend (${BACKEND}) that counts every ` +
        'request. /article says Cache-Control: max-age=10 and ETag "article-v1". The first GET misses (the proxy ' +
        'fetches and stores it), the next ones are hits answered from the store with Age: the seconds the copy has ' +
        'spent in the cache. Instead of waiting, the lab moves the clock that the backend (Date) and the cache use. ' +
        'At t=12 the copy is stale: the proxy asks the backend with If-None-Match, the backend answers 304 without ' +
        'a body, and the stored copy is fresh again. A client that sends the ETag itself gets 304 from the cache. ' +
        'A common claim says an HTTP response carries a "TTL" header: there is none; freshness is Cache-Control ' +
        'max-age (or Expires) and the time already spent is Age. A study guide shows a response with ' +
        '"cache-control: private, max-age=0": private alone keeps a shared cache such as this proxy from storing ' +
        'it at all (/account below), and max-age=0 would make any copy stale at once.',
      async run(ctx) {
        const clock = new LabClock();
        const tap = tlsOutput(ctx).tap('cache', {
          filter: 'http.response.code == 304',
          frames: 2,
          about: "the backend's 304 to the proxy's revalidation, and the cache's 304 to the client's own If-None-Match",
          also: [
            { filter: 'http.request.line contains "If-None-Match"', frames: 2, about: "the client's conditional GET and the proxy's revalidation" },
            { filter: `http.request.uri == "/article" && ip.dst == ${PROXY}`, frames: 5, about: 'the client asked for /article five times...' },
            { filter: `http.request.uri == "/article" && ip.dst == ${BACKEND}`, frames: 2, about: '...the backend saw two requests' },
            { filter: 'http.response.line contains "X-Cache: HIT"', frames: 4, about: 'answers from the store' },
            { filter: 'http.response.line contains "X-Cache: REVALIDATED"', frames: 1, about: 'the stored copy after the 304' },
          ],
        });
        const { backend, port } = await startBoth(ctx, clock, tap);
        const client = await Client.open(port, tap);
        ctx.onStepEnd(() => client.close());
        const rows: (string | number)[][] = [];
        const ask = async (t: number, target: string, headers: Record<string, string> = {}, note = ''): Promise<Reply> => {
          clock.set(t);
          const r = await client.get(target, SITE, headers);
          const path = target.split('?')[0] ?? target;
          rows.push([t, `${target}${note === '' ? '' : ` ${note}`}`, r.status, r.header('x-cache'), r.header('age') || '-', backend.count(path)]);
          return r;
        };
        const miss = await ask(0, '/article');
        const hit3 = await ask(3, '/article');
        const hit7 = await ask(7, '/article');
        const reval = await ask(12, '/article');
        const own304 = await ask(13, '/article', { 'If-None-Match': ARTICLE_ETAG }, '(INM)');
        const en1 = await ask(14, '/greeting', { 'Accept-Language': 'en' }, '(en)');
        const fr = await ask(14, '/greeting', { 'Accept-Language': 'fr' }, '(fr)');
        const en2 = await ask(15, '/greeting', { 'Accept-Language': 'en' }, '(en)');
        const acc = [await ask(15, '/account'), await ask(16, '/account')];
        const bas = [await ask(16, '/basket'), await ask(17, '/basket')];
        ctx.show.table(['t (s)', 'GET', 'status', 'X-Cache', 'Age', 'backend got'], rows);
        ctx.check.equal('t=0: a miss, fetched from the backend', [miss.status, miss.header('x-cache'), backend.seen[0]?.target], [200, 'MISS', '/article']);
        ctx.check.equal(
          't=3 and t=7: hits with Age 3 and 7',
          [hit3.header('x-cache'), hit3.header('age'), hit7.header('x-cache'), hit7.header('age')],
          ['HIT', '3', 'HIT', '7'],
        );
        ctx.check.equal('...the same bytes as the miss', [hit3.body.equals(miss.body), hit7.body.equals(miss.body)], [true, true]);
        ctx.check.equal(
          "t=12 (older than max-age=10): the proxy revalidated with If-None-Match (the backend's 2 requests for /article)",
          backend.seen.filter((s) => s.target === '/article').map((s) => s.ifNoneMatch || 'none'),
          ['none', ARTICLE_ETAG],
        );
        ctx.check.equal(
          '...the client got 200 REVALIDATED, Age 0, the stored body',
          [reval.status, reval.header('x-cache'), reval.header('age'), reval.body.equals(miss.body)],
          [200, 'REVALIDATED', '0', true],
        );
        ctx.check.equal(
          "the client's own If-None-Match: 304 from the cache (no body)",
          [own304.status, own304.header('x-cache'), own304.body.length],
          [304, 'HIT', 0],
        );
        ctx.check.equal('the backend got 2 requests for /article (a full one and a 304)', backend.count('/article'), 2);
        ctx.check.equal(
          'Vary: Accept-Language keeps en and fr apart; en again is a hit',
          [en1.header('x-cache'), fr.header('x-cache'), en2.header('x-cache'), en2.body.equals(en1.body), backend.count('/greeting')],
          ['MISS', 'MISS', 'HIT', true, 2],
        );
        ctx.check.equal(
          'private and no-store: never stored (every GET reaches the backend)',
          [...acc, ...bas].map((r) => r.header('x-cache')).concat(String(backend.count('/account') + backend.count('/basket'))),
          ['MISS', 'MISS', 'MISS', 'MISS', '4'],
        );
        client.close();
        await tap.close();
      },
    },
    {
      title: 'Collapsed forwarding and stale-while-revalidate',
      explain:
        '/slow takes the backend 150 ms and may be cached for 60 s. Fifty clients ask for it at the same moment, ' +
        'each on its own connection, while nothing is stored. Through the cache, the first request starts the ' +
        'only upstream fetch for that URL; the 49 others wait for it and are served from what it stored ' +
        '(collapsed forwarding, also called request coalescing). The same fifty through a route without a cache ' +
        'all reach the backend. Then /scores says max-age=2, stale-while-revalidate=30: at t=5 it is stale but ' +
        'inside the window, so the proxy answers at once from the store (X-Cache: STALE) and refreshes it behind ' +
        "the client's back; the next client gets the new version.",
      async run(ctx) {
        const clock = new LabClock();
        const { backend, port } = await startBoth(ctx, clock);
        const burst = async (host: string): Promise<{ replies: Reply[]; ms: number; fetches: number }> => {
          const before = backend.count('/slow');
          const clients = await Promise.all(Array.from({ length: 50 }, () => Client.open(port)));
          const started = performance.now();
          try {
            const replies = await Promise.all(clients.map((c) => c.get('/slow', host)));
            return { replies, ms: performance.now() - started, fetches: backend.count('/slow') - before };
          } finally {
            for (const c of clients) c.close();
          }
        };
        const cached = await burst(SITE);
        const direct = await burst(DIRECT);
        ctx.state.collapsedFetches = cached.fetches;
        const tally = (rs: Reply[], v: string): number => rs.filter((r) => r.header('x-cache') === v).length;
        ctx.show.table(
          ['route', 'clients', 'backend requests', 'MISS', 'HIT', 'all answered in'],
          [
            ['cached (shop)', 50, cached.fetches, tally(cached.replies, 'MISS'), tally(cached.replies, 'HIT'), `${Math.round(cached.ms)} ms`],
            ['no cache (direct)', 50, direct.fetches, '-', '-', `${Math.round(direct.ms)} ms`],
          ],
        );
        ctx.check.equal('through the cache, 50 cold clients made 1 upstream fetch', cached.fetches, 1);
        ctx.check.equal(
          '...1 MISS and 49 HIT, all with the same body',
          [tally(cached.replies, 'MISS'), tally(cached.replies, 'HIT'), new Set(cached.replies.map((r) => r.body.toString())).size],
          [1, 49, 1],
        );
        ctx.check.equal('without the cache, all 50 reached the backend', direct.fetches, 50);
        const client = await Client.open(port);
        ctx.onStepEnd(() => client.close());
        clock.set(0);
        const first = await client.get('/scores', SITE);
        clock.set(5);
        const stale = await client.get('/scores', SITE);
        for (let i = 0; i < 300 && backend.count('/scores') < 2; i++) await new Promise((r) => setTimeout(r, 10));
        const refreshed = await client.get('/scores', SITE);
        ctx.show.table(
          ['t (s)', 'GET /scores', 'X-Cache', 'Age', 'body', 'backend got'],
          [
            [0, 'first', first.header('x-cache'), first.header('age'), first.body.toString().trim(), 1],
            [5, 'stale, in the window', stale.header('x-cache'), stale.header('age'), stale.body.toString().trim(), '1, then 2'],
            [5, 'after the refresh', refreshed.header('x-cache'), refreshed.header('age'), refreshed.body.toString().trim(), backend.count('/scores')],
          ],
        );
        ctx.check.equal(
          't=5 (stale, within stale-while-revalidate=30): served at once as STALE, Age 5, the old version',
          [stale.header('x-cache'), stale.header('age'), stale.body.toString()],
          ['STALE', '5', first.body.toString()],
        );
        ctx.check.equal('...and refreshed in the background: the backend got a second request', backend.count('/scores'), 2);
        ctx.check.equal(
          'the next client gets the new version from the store (HIT)',
          [refreshed.header('x-cache'), refreshed.body.toString().trim()],
          ['HIT', 'scores version 2'],
        );
      },
    },
    {
      title: 'Bytes saved by gzip and brotli',
      explain:
        'Three real-ish bodies (a 60-row HTML product page, a JSON list of 90 orders, 160 lines of a proxy log) go ' +
        'through a route with compression, asked for three ways: no Accept-Encoding, "gzip", and "br". The proxy ' +
        'compresses as it streams (gzip level 6, brotli quality 4, its defaults), drops Content-Length (the body ' +
        'goes chunked), makes a strong ETag weak, and adds Vary: Accept-Encoding so that caches keep the variants ' +
        'apart. A study guide\'s request sends "accept-encoding: gzip, deflate, br": netlab\'s proxy offers br and ' +
        'gzip, br first on a tie, and never deflate. A body the backend already gzipped is not compressed twice, ' +
        'and Cache-Control: no-transform forbids a proxy to change the body at all. HTTPS does not make data ' +
        'smaller (a study guide corrects that claim); compression does, and the last step turns it against a secret.',
      async run(ctx) {
        const clock = new LabClock();
        const tap = tlsOutput(ctx).tap('compression', {
          filter: 'http.content_encoding == "br"',
          frames: 3,
          about: 'the three brotli answers (client side)',
          also: [
            { filter: 'http.content_encoding == "gzip"', frames: 5, about: 'three gzip answers, and the pre-gzipped JSON on both sides' },
            {
              filter: 'http.response.line contains "Vary: Accept-Encoding"',
              frames: 9,
              about: "every answer whose form depended on the client's Accept-Encoding",
            },
            { filter: 'http.response.line contains "no-transform"', frames: 2, about: 'no-transform on both sides, and no Content-Encoding' },
          ],
        });
        const { port } = await startBoth(ctx, clock, tap);
        const client = await Client.open(port, tap);
        ctx.onStepEnd(() => client.close());
        const rows: (string | number)[][] = [];
        const decoded: boolean[] = [];
        const varies: string[] = [];
        const sizes: Record<string, { id: number; gz: number; br: number }> = {};
        for (const [name, path, body] of [
          ['HTML page', '/page.html', BODIES.html],
          ['JSON orders', '/data.json', BODIES.json],
          ['text log', '/notes.txt', BODIES.text],
        ] as const) {
          const id = await client.get(path, STATIC);
          const gz = await client.get(path, STATIC, { 'Accept-Encoding': 'gzip' });
          const br = await client.get(path, STATIC, { 'Accept-Encoding': 'br' });
          decoded.push(id.body.toString() === body, gunzipSync(gz.body).toString() === body, brotliDecompressSync(br.body).toString() === body);
          decoded.push(gz.header('content-encoding') === 'gzip' && br.header('content-encoding') === 'br' && id.header('content-encoding') === '');
          varies.push(id.header('vary'), gz.header('vary'), br.header('vary'));
          sizes[name] = { id: id.body.length, gz: gz.body.length, br: br.body.length };
          rows.push([
            name,
            id.body.length,
            gz.body.length,
            ratio(id.body.length, gz.body.length),
            br.body.length,
            ratio(id.body.length, br.body.length),
            `${Math.round((100 * br.body.length) / gz.body.length)}%`,
          ]);
        }
        ctx.show.table(['body', 'identity', 'gzip', 'ratio', 'br', 'ratio', 'br/gzip'], rows);
        const pre = await client.get('/already.json', STATIC, { 'Accept-Encoding': 'br, gzip' });
        const nt = await client.get('/no-transform.json', STATIC, { 'Accept-Encoding': 'br, gzip' });
        ctx.show.table(
          ['GET, Accept-Encoding: br, gzip', 'Content-Encoding', 'bytes', 'why'],
          [
            ['/already.json (backend gzipped it)', pre.header('content-encoding'), pre.body.length, 'never compressed twice'],
            ['/no-transform.json', nt.header('content-encoding') || 'none', nt.body.length, 'Cache-Control: no-transform'],
          ],
        );
        const html = sizes['HTML page'] as { id: number; gz: number; br: number };
        ctx.check.equal('every body decodes to the bytes the backend sent, with the coding asked for', decoded.every(Boolean), true);
        ctx.check.equal('Vary: Accept-Encoding on all nine answers (also the identity ones)', varies, Array(9).fill('Accept-Encoding'));
        ctx.check.ok('gzip makes the HTML page at least 5x smaller', html.id >= 5 * html.gz, `${html.id} -> ${html.gz} bytes`);
        ctx.check.ok('brotli beats gzip on the HTML page', html.br < html.gz, `${html.br} < ${html.gz} bytes`);
        ctx.check.equal(
          'the pre-gzipped body passes through as the backend sent it (gzip once, same bytes)',
          [pre.header('content-encoding'), gunzipSync(pre.body).toString() === BODIES.json],
          ['gzip', true],
        );
        ctx.check.equal(
          'no-transform: left alone although the client accepts br',
          [nt.header('content-encoding'), nt.body.length],
          ['', Buffer.byteLength(BODIES.json)],
        );
        client.close();
        await tap.close();
      },
    },
    {
      title: 'BREACH: a compressed secret next to attacker text',
      explain:
        'The account page holds a secret token in a link ("token=7c2e...") and echoes the visitor\'s search on the ' +
        "same page; the proxy gzips it. An attacker who can make the victim's browser send searches (a link, a " +
        'script on another site) and who sees only the lengths of the encrypted answers guesses the token one ' +
        'character at a time: the search "token=7c" repeats more of the page than "token=7x", so the page ' +
        'compresses a few bits shorter. Lengths are whole bytes, so each guess is sent twice, the guess before and ' +
        'after a padding ("token=K c !%^" against "token=K !%^ c": the same bytes, one matching longer), summed ' +
        'over 16 padding lengths. TLS hides the bytes, not the length: this is BREACH (2013, HTTP bodies); CRIME ' +
        '(2012) did the same to TLS-compressed cookies, which is why TLS compression is gone. Then the same attack ' +
        'against two defences: no compression on that page, and a token masked afresh in every response.',
      timeoutMs: 60_000,
      async run(ctx) {
        const clock = new LabClock();
        const { backend, port } = await startBoth(ctx, clock);
        const client = await Client.open(port);
        ctx.onStepEnd(() => client.close());
        const lengthVia =
          (host: string) =>
          async (search: string): Promise<number> =>
            (await client.get(`/search?q=${encodeURIComponent(search)}`, host, { 'Accept-Encoding': 'gzip' })).body.length;
        const attack = await recoverToken(4, lengthVia(SITE));
        ctx.show.table(
          ['round', 'known', 'lowest', 'score', 'next', 'score', 'tied with next'],
          attack.rounds.map((r, i) => {
            const [a, b] = r.scores as [{ c: string; score: number }, { c: string; score: number }];
            return [i + 1, r.known === '' ? '-' : r.known, a.c, a.score, b.c, b.score, r.scores.filter((s) => s.score === b.score).length];
          }),
        );
        const identity = await recoverToken(2, lengthVia(PLAIN));
        backend.maskToken = true;
        const masked = await recoverToken(2, lengthVia(SITE));
        backend.maskToken = false;
        const row = (what: string, r: Recovery, want: string): (string | number)[] => [
          what,
          r.requests,
          r.recovered,
          r.recovered === want ? 'yes' : 'no',
          r.rounds.filter((x) => x.clear).length,
        ];
        ctx.show.table(
          ['page served', 'requests', 'recovered', 'right?', 'clear rounds'],
          [
            row('gzip, token as is', attack, SECRET.slice(0, 4)),
            row('not compressed', identity, SECRET.slice(0, 2)),
            row('gzip, token masked per response', masked, SECRET.slice(0, 2)),
          ],
        );
        ctx.show.text(
          'Defences: do not compress responses that hold secrets and reflect input (or compress the two apart); ' +
            'mask tokens per response (the same secret, different bytes each time); add random padding to the length ' +
            '(slows the attack by needing more requests, does not stop it); SameSite cookies and rate limits make ' +
            'the forced requests harder.',
        );
        ctx.check.equal(`gzip: 4 characters of the token recovered from lengths alone (${SECRET.slice(0, 4)})`, attack.recovered, SECRET.slice(0, 4));
        ctx.check.equal(
          '...each round had one clear lowest candidate',
          attack.rounds.map((r) => r.clear),
          [true, true, true, true],
        );
        ctx.check.equal(
          'not compressed: every guess has the same length, no candidate stands out',
          identity.rounds.map((r) => r.clear),
          [false, false],
        );
        ctx.check.ok('masked token: the attack reads garbage', masked.recovered !== SECRET.slice(0, 2), `recovered ${masked.recovered}`);
      },
    },
  ],
});
