// Lab: consistent hashing, with numbers counted over real keys on netlab's own balancing code.
// hash % 4 -> hash % 5 moves about 80% of the keys (exactly those with h % 4 != h % 5); a ring with
// virtual nodes moves about 1/5, all to the new server, and removing a server moves only its keys; a
// study guide's small ring (ranges 1-10, 11-20, 21-30, a fourth server joining, a skewed ring with 6
// requests on one server and 1 on another) reproduced exactly; virtual nodes evening the shares out;
// Maglev's table; then the same keys through netlab's reverse proxy (ring_hash on X-User) before and
// after a fifth backend is added by a config reload, captured on both sides of the proxy.

import { fnv1a32 } from '../src/balance/index.ts';
import { defineLab } from '../src/lab/index.ts';
import { chashExercises } from './consistent-hashing/exercises.ts';
import {
  maglevPlace,
  maglevSlots,
  maglevTable,
  moduloPlace,
  movedIndexes,
  ringOf,
  ringPlace,
  ringShares,
  servers,
  spread,
  tally,
  userKeys,
} from './consistent-hashing/numbers.ts';
import { REQUESTS, toyPlace, toyRanges, toyRing, toyStrip } from './consistent-hashing/toy-ring.ts';
import {
  backendAddress,
  CLIENT_ADDRESS,
  KEY_HEADER,
  LabClient,
  PROXY_ADDRESS,
  proxyConfig,
  sendKeys,
  startBackends,
  startLabProxy,
  VIRTUAL_NODES,
} from './consistent-hashing/traffic.ts';
import { LAB_INFO } from './info.ts';
import { tlsOutput } from './tls/output.ts';

export interface ChashState {
  /** Virtual nodes per server for the "evened out" checkpoint (a test sets 1 to see it fail). */
  evenVnodes: number;
}

const KEYS = userKeys(10_000, 5);
const pct = (n: number, of: number): string => `${((100 * n) / of).toFixed(1)}%`;
const VNODE_ROWS = [1, 2, 5, 10, 50, 160, 500];
const PROXY_KEYS = userKeys(50, 3);

export default defineLab<ChashState>({
  ...LAB_INFO['consistent-hashing'],
  state: () => ({ evenVnodes: VIRTUAL_NODES }),
  exercises: chashExercises,
  steps: [
    {
      title: 'hash % 4 becomes hash % 5: most keys move',
      explain:
        "A cache of user records is spread over 4 servers with server = hash(key) % 4 (netlab's ip_hash does the same with FNV-1a 32). " +
        `A fifth server is added and the rule becomes hash % 5. Here are ${KEYS.length} keys, user-00001 style, placed both ways and counted. ` +
        'A common claim says adding a server with modulo hashing moves all the keys. Not quite: a key stays exactly when h % 4 = h % 5, which ' +
        'happens when h % 20 is 0, 1, 2 or 3: 4 cases in 20, so about 20% stay and 80% move. And most of the moved keys go from one old ' +
        'server to another old server, not to the new one: every cache is cold at once.',
      run(ctx) {
        const before = moduloPlace(KEYS, 4);
        const after = moduloPlace(KEYS, 5);
        const moved = movedIndexes(before, after);
        const rows = [0, 1, 2, 3].map((from) => [
          `shard ${from}`,
          ...[0, 1, 2, 3, 4].map((to) => after.filter((a, i) => before[i] === from && a === to).length),
        ]);
        ctx.show.text(`Keys by shard before (hash % 4, rows) and after (hash % 5, columns); the diagonal stayed:`);
        ctx.show.table(['was on', 'now 0', 'now 1', 'now 2', 'now 3', 'now 4'], rows);
        const byArithmetic = KEYS.flatMap((k, i) => (fnv1a32(k) % 20 >= 4 ? [i] : []));
        const toNew = moved.filter((i) => after[i] === 4).length;
        ctx.show.text(
          `${moved.length} of ${KEYS.length} keys moved (${pct(moved.length, KEYS.length)}): ${toNew} to the new shard 4, ${moved.length - toNew} between the old shards.`,
        );
        ctx.check.ok(
          'the keys that moved are exactly those with hash % 20 not in 0..3',
          moved.length === byArithmetic.length && moved.every((m, i) => m === byArithmetic[i]),
          `${moved.length} moved, ${byArithmetic.length} by arithmetic`,
        );
        ctx.check.ok(
          'about 80% moved (75..85%), not all of them',
          moved.length >= 0.75 * KEYS.length && moved.length <= 0.85 * KEYS.length,
          pct(moved.length, KEYS.length),
        );
        ctx.check.ok('more than half of all keys moved between the old shards', moved.length - toNew > KEYS.length / 2, `${moved.length - toNew}`);
      },
    },
    {
      title: 'A ring: a fifth server takes about 1/5, and a server leaving moves only its keys',
      explain:
        `Consistent hashing puts servers and keys on one circle of hash values (netlab: FNV-1a 64, 53 bits). Each server has ${VIRTUAL_NODES} points ` +
        '(virtual nodes, the hash of "server1#0", "server1#1", ...), and a key goes to the first point at or after its own hash, walking clockwise ' +
        'and wrapping round. Adding server5 adds its points: only the keys whose walk now stops at one of them move, and they move to server5. ' +
        `Removing server2 removes its points: its keys walk on to the next point; no other key moves. Same ${KEYS.length} keys.`,
      run(ctx) {
        const four = servers(4);
        const five = servers(5);
        const on4 = ringPlace(ringOf(four, VIRTUAL_NODES), KEYS);
        const on5 = ringPlace(ringOf(five, VIRTUAL_NODES), KEYS);
        const add = movedIndexes(on4, on5);
        const without2 = five.filter((e) => e.name !== 'server2');
        const on5m2 = ringPlace(ringOf(without2, VIRTUAL_NODES), KEYS);
        const remove = movedIndexes(on5, on5m2);
        const had2 = on5.filter((s) => s === 'server2').length;
        const mod4 = moduloPlace(KEYS, 4);
        const mod5 = moduloPlace(KEYS, 5);
        const modMoved = movedIndexes(mod4, mod5);
        const mod = modMoved.length;
        const list = (xs: readonly (string | number)[]): string => [...new Set(xs)].sort().join(', ');
        ctx.show.table(
          ['change', 'keys moved', 'share', 'the moved keys'],
          [
            ['hash % 4 -> hash % 5', mod, pct(mod, KEYS.length), `to shards ${list(modMoved.map((i) => mod5[i]))}`],
            ['ring: add server5', add.length, pct(add.length, KEYS.length), `to ${list(add.map((i) => on5[i]))}`],
            ['ring: remove server2', remove.length, pct(remove.length, KEYS.length), `from ${list(remove.map((i) => on5[i]))}`],
          ],
        );
        ctx.check.ok(
          'adding server5 moved about 1/5 of the keys (15..25%)',
          add.length >= 0.15 * KEYS.length && add.length <= 0.25 * KEYS.length,
          pct(add.length, KEYS.length),
        );
        ctx.check.equal('every key that moved went to server5', add.filter((i) => on5[i] !== 'server5').length, 0);
        ctx.check.equal('removing server2 moved exactly the keys server2 had', [remove.length, remove.every((i) => on5[i] === 'server2')], [had2, true]);
      },
    },
    {
      title: "A study guide's ring: ranges, a fourth server, and skew",
      explain:
        'A study guide draws a ring of positions 1..30 with N1 at 10, N2 at 20, N3 at 30: N1 owns 1-10, N2 11-20, N3 21-30 (a request goes to the ' +
        `first server at or after its position). Eight requests sit at ${REQUESTS.join(', ')}. Then N4 joins at 15 and takes 11-15 from N2: only the ` +
        'requests there move. The guide then puts the three servers at 4, 7 and 30 instead, the way hashing a few names can, and one server ends with ' +
        "6 requests while the others have 1 each. netlab's own ring lookup walks these hand-placed rings.",
      run(ctx) {
        const even = toyRing({ N1: 10, N2: 20, N3: 30 });
        const withN4 = toyRing({ N1: 10, N4: 15, N2: 20, N3: 30 });
        const skew = toyRing({ N1: 4, N2: 7, N3: 30 });
        const names = ['N1', 'N2', 'N3', 'N4'];
        const a = toyPlace(even, REQUESTS);
        const b = toyPlace(withN4, REQUESTS);
        const c = toyPlace(skew, REQUESTS);
        for (const [label, ring, placed] of [
          ['N1 at 10, N2 at 20, N3 at 30', even, a],
          ['N4 joins at 15', withN4, b],
          ['skewed: N1 at 4, N2 at 7, N3 at 30', skew, c],
        ] as const) {
          ctx.show.text(
            `${label}: ${toyRanges(ring)
              .map(([n, r]) => `${n} ${r}`)
              .join(', ')}`,
          );
          ctx.show.text(toyStrip(ring, REQUESTS).join('\n'));
          ctx.show.text(`requests per server: ${names.map((n) => `${n} ${placed.filter((p) => p === n).length}`).join(', ')}`);
        }
        const moved = movedIndexes(a, b).map((i) => `${REQUESTS[i]} ${a[i]}->${b[i]}`);
        ctx.show.text(`When N4 joined, moved: ${moved.join(', ')}; nothing else.`);
        ctx.check.equal(
          'the even ring: N1 owns 1-10, N2 11-20, N3 21-30',
          toyRanges(even).map(([n, r]) => `${n} ${r}`),
          ['N1 1-10', 'N2 11-20', 'N3 21-30'],
        );
        ctx.check.equal('N4 at 15 takes only the requests at 11-15 (the one at 12), from N2', moved, ['12 N2->N4']);
        ctx.check.equal('the skewed ring: N1 1, N2 1, N3 6 requests', tally(c, ['N1', 'N2', 'N3']), [1, 1, 6]);
      },
    },
    {
      title: 'Virtual nodes even the shares out',
      explain:
        'With one point per server, five hashed points cut the ring into five arcs of random length, as in the skewed ring above. More points per ' +
        "server cut it into many arcs, and each server's share is a sum of many random arcs: the spread shrinks about as 1/sqrt(points). The " +
        "table gives each server's exact share of the ring (arc lengths summed), the standard deviation over the mean, and the largest share over " +
        `the mean (1.00 is perfect), for 5 servers; the last column is max/mean of the ${KEYS.length} keys really placed.`,
      run(ctx) {
        const five = servers(5);
        const rows: (string | number)[][] = [];
        const at = new Map<number, { shares: number[]; keys: number[] }>();
        for (const v of [...new Set([...VNODE_ROWS, ctx.state.evenVnodes])].sort((x, y) => x - y)) {
          const ring = ringOf(five, v);
          const shares = ringShares(ring, five);
          const keys = tally(
            ringPlace(ring, KEYS),
            five.map((e) => e.name),
          );
          at.set(v, { shares, keys });
          const s = spread(shares);
          rows.push([v, ...shares.map((x) => (100 * x).toFixed(1)), s.cv.toFixed(3), s.maxOverMean.toFixed(2), spread(keys).maxOverMean.toFixed(2)]);
        }
        ctx.show.table(['vnodes', 's1 %', 's2 %', 's3 %', 's4 %', 's5 %', 'sd/mean', 'max/mean', 'keys max/mean'], rows);
        const one = spread(at.get(1)?.shares ?? []);
        const chosen = at.get(ctx.state.evenVnodes);
        const even = spread(chosen?.shares ?? []);
        ctx.check.ok('one point per server: uneven, some server has over 1.5x the mean share', one.maxOverMean > 1.5, one.maxOverMean.toFixed(2));
        ctx.check.ok(
          `${ctx.state.evenVnodes} virtual nodes per server: evened out, no share above 1.10x the mean and sd/mean under 0.08`,
          even.maxOverMean <= 1.1 && even.cv < 0.08,
          `max/mean ${even.maxOverMean.toFixed(2)}, sd/mean ${even.cv.toFixed(3)}`,
        );
        const off = (chosen?.shares ?? []).map((s, i) => Math.abs(s - (chosen?.keys[i] ?? 0) / KEYS.length));
        ctx.check.ok(
          'the keys really placed follow the ring shares (each within 2 points)',
          off.every((d) => d < 0.02),
          off.map((d) => (100 * d).toFixed(2)).join(' '),
        );
      },
    },
    {
      title: 'Maglev: a lookup table instead of a ring',
      explain:
        'Maglev (Google, NSDI 2016) fills a table of M slots, M prime (netlab: 65537 by default). Each backend has its own order of preferred ' +
        'slots, a permutation (offset + j x skip) mod M from two hashes of its name, and the backends take turns claiming their next free ' +
        'preferred slot until the table is full. A key goes to slot hash(key) mod M: one array read, no search. Each backend ends with ' +
        'floor(M/n) or ceil(M/n) slots. When a backend leaves, the table is filled again: its slots go to the others and a few other slots ' +
        'change hands too, fewer the larger M is (the paper takes M above 100 x the backends). Below, 5 backends, then server2 removed.',
      run(ctx) {
        const five = servers(5);
        const without2 = five.filter((e) => e.name !== 'server2');
        const toy = maglevTable(servers(3), 13).map((n) => n.replace('server', 's'));
        ctx.show.table(['slot', ...toy.map((_, i) => String(i))], [['backend', ...toy]]);
        const toyCounts = tally(toy, ['s1', 's2', 's3']);
        ctx.show.text(`A toy table, M = 13 and 3 backends: s1 has ${toyCounts[0]} slots, s2 ${toyCounts[1]}, s3 ${toyCounts[2]} (13 = 4 + 4 + 5).`);
        const rows: (string | number)[][] = [];
        const res = new Map<number, { slots: number[]; s2: number; removed: number; others: number }>();
        for (const m of [65537, 251]) {
          const slots = maglevSlots(five, m);
          const before = maglevPlace(five, m, KEYS);
          const after = maglevPlace(without2, m, KEYS);
          const moved = movedIndexes(before, after);
          const s2 = before.filter((s) => s === 'server2').length;
          const others = moved.filter((i) => before[i] !== 'server2').length;
          res.set(m, { slots, s2, removed: moved.length, others });
          const keys = spread(
            tally(
              before,
              five.map((e) => e.name),
            ),
          ).maxOverMean.toFixed(2);
          rows.push([`maglev M=${m}`, `${Math.min(...slots)}..${Math.max(...slots)}`, keys, s2, moved.length, others, pct(others, KEYS.length - s2)]);
        }
        const ringBefore = ringPlace(ringOf(five, VIRTUAL_NODES), KEYS);
        const ringAfter = ringPlace(ringOf(without2, VIRTUAL_NODES), KEYS);
        const ringMoved = movedIndexes(ringBefore, ringAfter);
        const ringOthers = ringMoved.filter((i) => ringBefore[i] !== 'server2').length;
        const ringRow = ringShares(ringOf(five, VIRTUAL_NODES), five).map((s) => Math.round(s * 65537));
        const ringS2 = ringBefore.filter((s) => s === 'server2').length;
        const ringKeys = spread(
          tally(
            ringBefore,
            five.map((e) => e.name),
          ),
        ).maxOverMean.toFixed(2);
        rows.push([
          `ring ${VIRTUAL_NODES} vnodes`,
          `(${Math.min(...ringRow)}..${Math.max(...ringRow)})`,
          ringKeys,
          ringS2,
          ringMoved.length,
          ringOthers,
          pct(ringOthers, KEYS.length - ringS2),
        ]);
        ctx.show.table(['5 backends', 'slots each', 'keys max/mean', 'on s2', 'moved', 'others', '%'], rows);
        ctx.show.text(
          `Keys: ${KEYS.length}; "moved": keys that changed backend when server2 was removed; "others": those of them that were not on server2 ` +
            '(their backend stayed, yet they moved), as a share of the keys not on server2. The ring row gives its shares in 65537ths.',
        );
        const big = res.get(65537);
        const sm = res.get(251);
        ctx.check.equal(
          'M = 65537: every backend has 13107 or 13108 slots',
          [Math.min(...(big?.slots ?? [0])), Math.max(...(big?.slots ?? [0]))],
          [13107, 13108],
        );
        ctx.check.ok(
          'M = 65537: every key of server2 moved, and under 1% of the others did',
          big !== undefined && big.removed - big.others === big.s2 && big.others < 0.01 * (KEYS.length - big.s2),
          `${big?.others} others`,
        );
        ctx.check.ok(
          'a small table (M = 251) moves more of the other keys than M = 65537',
          (sm?.others ?? 0) > (big?.others ?? 0),
          `${sm?.others} vs ${big?.others}`,
        );
        ctx.check.equal('the ring moves none of the other keys', ringOthers, 0);
      },
    },
    {
      title: 'Real traffic: the proxy hashing X-User, before and after a reload',
      explain:
        `netlab's reverse proxy on ${PROXY_ADDRESS} with policy ring_hash, hashOn header:${KEY_HEADER}, ${VIRTUAL_NODES} virtual nodes, in front of ` +
        `server1..server4 on ${backendAddress(1)}..${backendAddress(4)}. A client on ${CLIENT_ADDRESS} sends GET /profile with ${KEY_HEADER}: user-001 to ${PROXY_KEYS[PROXY_KEYS.length - 1]}, ` +
        `one each. Then the proxy is reloaded with server5 (${backendAddress(5)}) added (its listener and the client's connection stay) and the same ` +
        'keys are sent again. The lab predicts each answer from its own ring over the same names; the capture holds both sides of the proxy.',
      async run(ctx) {
        const out = tlsOutput(ctx);
        const tap = out.tap('reload', {
          filter: 'http.request && ip.dst == 127.82.0.1',
          frames: 2 * PROXY_KEYS.length,
          about: `the client requests (two rounds of ${PROXY_KEYS.length})`,
          also: [
            { filter: 'http.request && http.x_forwarded_for', frames: 2 * PROXY_KEYS.length, about: "the proxy's upstream requests" },
            {
              filter: `ip.dst == ${PROXY_ADDRESS} && tcp.flags.syn == 1 && tcp.flags.ack == 0`,
              frames: 1,
              about: "one client connection: the reload kept it (and the proxy's listener)",
            },
          ],
        });
        const backends = await startBackends(5, tap);
        ctx.onStepEnd(() => Promise.all(backends.map((b) => b.close())).then(() => undefined));
        const proxy = await startLabProxy(backends, 4, ctx.random);
        ctx.onStepEnd(() => proxy.close(1000));
        const to = { host: proxy.address().address, port: proxy.address().port };
        const client = new LabClient(CLIENT_ADDRESS, to, tap);
        ctx.onStepEnd(() => client.close());
        const before = await sendKeys(client, PROXY_KEYS);
        await proxy.reload(proxyConfig(backends, 5));
        const portAfter = proxy.address().port;
        const after = await sendKeys(client, PROXY_KEYS);
        await client.close();
        const want4 = ringPlace(ringOf(servers(4), VIRTUAL_NODES), PROXY_KEYS);
        const want5 = ringPlace(ringOf(servers(5), VIRTUAL_NODES), PROXY_KEYS);
        const names = servers(5).map((e) => e.name);
        const moved = movedIndexes(before, after);
        ctx.show.table(
          ['round', ...names.map((n) => n.replace('server', 's')), 'moved'],
          [
            ['4 backends', ...tally(before, names), '-'],
            ['5 backends', ...tally(after, names), `${moved.length} of ${PROXY_KEYS.length}`],
          ],
        );
        const stay = PROXY_KEYS.findIndex((_, i) => before[i] === after[i]);
        const go = moved[0];
        await tap.close();
        if (stay >= 0) {
          const k = PROXY_KEYS[stay];
          const n = Number(before[stay].replace('server', ''));
          tap.filter({
            filter: `http.request.line contains "${KEY_HEADER}: ${k}"`,
            frames: 4,
            about: `${k}: its two client requests and the two upstream requests`,
          });
          tap.filter({
            filter: `http.request.line contains "${KEY_HEADER}: ${k}" && ip.dst == ${backendAddress(n)}`,
            frames: 2,
            about: `${k} reached ${before[stay]} before and after the reload`,
          });
          ctx.show.text(`${k} stayed on ${before[stay]}; ${go === undefined ? 'no key moved' : `${PROXY_KEYS[go]} moved ${before[go]} -> ${after[go]}`}.`);
        }
        if (go !== undefined) {
          tap.filter({
            filter: `http.request.line contains "${KEY_HEADER}: ${PROXY_KEYS[go]}" && ip.dst == ${backendAddress(5)}`,
            frames: 1,
            about: `${PROXY_KEYS[go]} after the reload, on server5`,
          });
        }
        ctx.check.equal("with 4 backends, every answer came from the backend the lab's ring predicts", before.filter((b, i) => b !== want4[i]).length, 0);
        ctx.check.equal("with 5 backends, every answer came from the backend the lab's ring predicts", after.filter((b, i) => b !== want5[i]).length, 0);
        ctx.check.equal("the reload kept the proxy's listening port", portAfter, to.port);
        ctx.check.equal('every key that moved went to server5', moved.filter((i) => after[i] !== 'server5').length, 0);
        ctx.check.ok(
          `about 1/5 of the keys moved (10..30%, ${PROXY_KEYS.length / 10}..${(3 * PROXY_KEYS.length) / 10} of ${PROXY_KEYS.length})`,
          moved.length >= PROXY_KEYS.length / 10 && moved.length <= (3 * PROXY_KEYS.length) / 10,
          `${moved.length}`,
        );
      },
    },
  ],
});
