// The strictness corpus against netlab's server, and against nginx and HAProxy as reverse proxies in
// front of a recording upstream. Every case is sent with a valid request behind it on the same
// connection: a refused request must get its status, reach nothing, and be followed by no answer.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latin1Bytes } from '../../src/wire/http.ts';
import { requireTool } from '../helpers/tools.ts';
import { CORPUS, type CorpusCase } from './corpus.ts';
import { startProxyTarget } from '../proxy/corpus-target.ts';
import { exchange, startHaproxyTarget, startNetlabTarget, startNginxTarget, type CorpusTarget, type TargetFactory } from './corpus-targets.ts';

interface Outcome {
  readonly statuses: readonly number[];
  readonly closed: boolean;
  readonly firstReached: boolean;
  readonly secondReached: boolean;
  /** Answered 4xx/5xx and nothing of the request reached the back end. */
  readonly refused: boolean;
}

function caseBytes(c: CorpusCase, index: number): Uint8Array {
  const hostile = c.raw.replaceAll('{path}', `/c${index}-1`);
  const second = `GET /c${index}-2 HTTP/1.1\r\nHost: corpus.test\r\n\r\n`;
  return latin1Bytes(hostile + second);
}

async function runCase(target: CorpusTarget, c: CorpusCase, index: number): Promise<Outcome> {
  const ex = await exchange(target.port, caseBytes(c, index), 2);
  // Let a back end that was still reading catch up before looking at what it recorded.
  await new Promise((r) => setTimeout(r, 20));
  const firstReached = target.sawTag(`/c${index}-1`);
  const secondReached = target.sawTag(`/c${index}-2`);
  const first = ex.statuses[0];
  return {
    statuses: ex.statuses,
    closed: ex.closed,
    firstReached,
    secondReached,
    refused: first !== undefined && first >= 400 && !firstReached,
  };
}

async function runCorpus(target: CorpusTarget, concurrency = 8): Promise<Map<string, Outcome>> {
  const out = new Map<string, Outcome>();
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= CORPUS.length) return;
      out.set(CORPUS[i].id, await runCase(target, CORPUS[i], i));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return out;
}

describe('strictness corpus: the corpus itself', () => {
  it('has unique ids, a reason on every case and a refusal status where it refuses', () => {
    const ids = new Set(CORPUS.map((c) => c.id));
    expect(ids.size).toBe(CORPUS.length);
    for (const c of CORPUS) {
      expect(c.reason.length, c.id).toBeGreaterThan(10);
      expect(c.raw.includes('{path}') || c.id === 'asterisk-not-options', `${c.id} names its path`).toBe(true);
      if (c.level === 'ACCEPT') expect(c.expect.refuse, c.id).toBe(false);
      else expect(c.expect.refuse, c.id).toBe(true);
    }
  });
});

/**
 * netlab's own targets: each must give every case exactly the corpus's answer. The reverse proxy
 * (src/proxy/) sits in front of a recording upstream like the peers'.
 */
const OURS: readonly { readonly name: string; readonly start: TargetFactory }[] = [
  { name: 'netlab', start: startNetlabTarget },
  { name: 'netlab-proxy', start: startProxyTarget },
];

describe.each(OURS)('strictness corpus: $name', ({ start }) => {
  let target: CorpusTarget;
  beforeAll(async () => {
    target = await start();
  });
  afterAll(async () => {
    await target.stop();
  });

  it.each(CORPUS.map((c, i) => [c.id, c, i] as const))('%s', async (_id, c, i) => {
    const o = await runCase(target, c, i);
    if (c.expect.refuse) {
      expect(o.statuses, `${c.id}: exactly one answer, the refusal (${c.reason})`).toEqual([c.expect.status]);
      expect(o.firstReached, `${c.id}: nothing reached the handler`).toBe(false);
      expect(o.secondReached, `${c.id}: the request behind it was not read`).toBe(false);
      expect(o.closed, `${c.id}: the connection closed`).toBe(true);
    } else {
      expect(o.statuses[0], `${c.id}: accepted (${c.reason})`).toBe(200);
      expect(o.firstReached, c.id).toBe(true);
      if (c.keepsAlive === false) {
        expect(o.statuses, `${c.id}: closes after the first response`).toHaveLength(1);
        expect(o.secondReached, c.id).toBe(false);
      } else {
        expect(o.statuses, `${c.id}: the second request is answered too`).toEqual([200, 200]);
        expect(o.secondReached, c.id).toBe(true);
      }
    }
  });
});

const PEERS: readonly {
  readonly name: string;
  readonly start: TargetFactory;
}[] = [
  { name: 'nginx', start: startNginxTarget },
  { name: 'haproxy', start: startHaproxyTarget },
];

const available = PEERS.filter((p) => requireTool(p.name));

describe.skipIf(available.length === 0)('strictness corpus: netlab beside nginx and HAProxy', () => {
  const results = new Map<string, Map<string, Outcome>>();

  beforeAll(async () => {
    for (const { name, start } of [...OURS, ...available]) {
      const t = await start();
      try {
        results.set(name, await runCorpus(t));
      } finally {
        await t.stop();
      }
    }
    const names = [...results.keys()];
    const rows = CORPUS.map((c) => {
      const cells = names.map((n) => {
        const o = results.get(n)?.get(c.id);
        if (o === undefined) return '-';
        const st = o.statuses.length === 0 ? 'none' : o.statuses.join('+');
        return `${o.refused ? 'REFUSE' : 'accept'} ${st}${o.firstReached ? ' fwd' : ''}${o.secondReached ? ' 2nd' : ''}`;
      });
      return `${c.id.padEnd(28)} ${c.level.padEnd(6)} ${cells.map((x) => x.padEnd(22)).join(' ')}`;
    });
    console.log(`${'case'.padEnd(28)} ${'level'.padEnd(6)} ${names.map((n) => n.padEnd(22)).join(' ')}\n${rows.join('\n')}`);
  }, 240_000);

  it.each(OURS)('$name refuses every MUST case, and every one nginx or HAProxy refuses (at least as strict)', ({ name }) => {
    const ours = results.get(name);
    expect(ours).toBeDefined();
    for (const c of CORPUS.filter((x) => x.level === 'MUST')) {
      const mine = ours?.get(c.id);
      expect(mine?.refused, `${c.id}: ${name} refuses`).toBe(true);
      for (const p of available) {
        const theirs = results.get(p.name)?.get(c.id);
        if (theirs?.refused === true) expect(mine?.refused, `${c.id}: ${p.name} refuses, so must ${name}`).toBe(true);
      }
    }
  });

  it.each(OURS)('where $name answers differently from every peer, the case says why', ({ name }) => {
    const ours = results.get(name);
    const unexplained: string[] = [];
    for (const c of CORPUS) {
      const mine = ours?.get(c.id)?.refused;
      const others = available.map((p) => results.get(p.name)?.get(c.id)?.refused);
      if (others.length > 0 && others.every((o) => o !== mine) && c.divergence === undefined) {
        unexplained.push(
          `${c.id}: ${name} ${mine === true ? 'refuses' : 'accepts'}, ${available.map((p) => p.name).join(' and ')} ${mine === true ? 'do not' : 'refuse'}`,
        );
      }
    }
    expect(unexplained).toEqual([]);
  });

  it.each(OURS)('$name never answers again after a refusal; peers that do are printed', ({ name }) => {
    // A refusal followed by a second answer means the target resynchronised on attacker-chosen bytes.
    // Recorded for the peers (their choice), asserted for netlab.
    const seen: string[] = [];
    for (const p of available) {
      for (const c of CORPUS) {
        const o = results.get(p.name)?.get(c.id);
        if (o?.refused && o.statuses.length > 1) seen.push(`${p.name}/${c.id}: ${o.statuses.join('+')}`);
      }
    }
    if (seen.length > 0) console.log(`peers answering after a refusal: ${seen.join(', ')}`);
    const mine = results.get(name);
    for (const c of CORPUS) {
      const o = mine?.get(c.id);
      if (o?.refused === true) {
        expect(o.statuses, c.id).toHaveLength(1);
        expect(o.secondReached, c.id).toBe(false);
      }
    }
  });
});
