// One run of the long-polling lab's chat: three backends behind netlab's proxy, each with its own
// channel (the trap) or all on one broker (the fix); alice long-polls her inbox, the senders post
// messages to it through the proxy, and every message is timed from its POST to its arrival in one
// of alice's polls (or counted lost). Bounded: N messages, one poll at a time, a fixed wait at the end.

import type { TapRecorder } from '../../src/capture/index.ts';
import { startProxy, type ReverseProxy } from '../../src/proxy/index.ts';
import { BrokerServer, brokerChannel, localChannel, type Channel } from './channel.ts';
import { ChatBackend, ChatClient } from './chat.ts';

/** The lab's addresses (its 127.71.0.0/16 range): the proxy, the broker, the backends, the clients. */
export const ADDR = {
  proxy: '127.71.0.1',
  broker: '127.71.0.2',
  backends: ['127.71.0.11', '127.71.0.12', '127.71.0.13'],
  clients: { alice: '127.71.0.21', bob: '127.71.0.22', carol: '127.71.0.23', dave: '127.71.0.24' } as Record<string, string>,
} as const;

export const BACKEND_NAMES = ['a', 'b', 'c'] as const;

export interface ScenarioSpec {
  /** One broker for every backend (true) or a channel per backend (false: the trap). */
  readonly shared: boolean;
  /** The cluster's policy, sticky and timeouts (the proxy config's keys). */
  readonly cluster: Record<string, unknown>;
  /** Who posts, in turn (each a client with its own connection and cookie jar). */
  readonly senders: readonly string[];
  readonly messages: number;
  /** Backends hold a poll this long before 204. */
  readonly holdMs: number;
  /** Between two posts. */
  readonly gapMs: number;
  /** Every client says hello first (and picks up a sticky cookie if the cluster sets one). */
  readonly hello?: boolean;
  readonly tap?: TapRecorder;
}

export interface Delivery {
  readonly id: string;
  readonly sender: string;
  /** The backend the POST landed on. */
  postedTo: string;
  /** The backend whose poll answered with it. */
  deliveredBy?: string;
  sentAt: number;
  gotAt?: number;
  /** The proxy's X-Request-Id on the POST's response. */
  requestId: string;
  /** Alice's poll (1, 2, ...) in flight when the message was posted, and the one that brought it. */
  sentDuringPoll: number;
  deliveredInPoll?: number;
}

export interface ScenarioResult {
  readonly deliveries: readonly Delivery[];
  /** Delivered by the poll that was waiting when it was posted. */
  readonly prompt: number;
  /** Delivered by a later poll. */
  readonly late: number;
  readonly lost: number;
  /** The backend each client's cookie (or first request) went to. */
  readonly stuckTo: Record<string, string>;
  /** Alice's polls: backend and status. */
  readonly polls: readonly { backend: string; status: number }[];
  readonly proxyPort: number;
  readonly backendPorts: Record<string, number>;
  /** Messages still queued in some channel at the end. */
  readonly stillQueued: number;
  /** The broker's port (shared runs). */
  readonly brokerPort?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until cond() holds (true) or `ms` pass (false). */
export async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await sleep(2);
  }
  return true;
}

export interface ChatSetup {
  readonly proxy: ReverseProxy;
  readonly backends: readonly ChatBackend[];
  readonly channels: readonly Channel[];
  readonly broker: BrokerServer | undefined;
  close(): Promise<void>;
}

/** Starts the broker (when shared), three backends and the proxy in front of them. */
export async function startChat(spec: { shared: boolean; holdMs: number; cluster: Record<string, unknown>; tap?: TapRecorder }): Promise<ChatSetup> {
  const opened: { close(): Promise<void> }[] = [];
  const closeAll = async (): Promise<void> => {
    for (const o of opened.reverse()) await o.close();
  };
  try {
    const broker = spec.shared ? await BrokerServer.start(ADDR.broker) : undefined;
    if (broker !== undefined) opened.push(broker);
    const channels: Channel[] = [];
    const backends: ChatBackend[] = [];
    for (const [i, name] of BACKEND_NAMES.entries()) {
      const channel = broker !== undefined ? await brokerChannel(ADDR.broker, broker.address.port, spec.tap) : localChannel();
      channels.push(channel);
      opened.push(channel);
      const b = await ChatBackend.start({ name, host: ADDR.backends[i], channel, holdMs: spec.holdMs, ...(spec.tap === undefined ? {} : { tap: spec.tap }) });
      backends.push(b);
      opened.push(b);
    }
    const proxy = await startProxy(
      {
        listeners: [{ name: 'front', address: ADDR.proxy, port: 0 }],
        routes: [{ name: 'chat', cluster: 'chat' }],
        clusters: [{ name: 'chat', endpoints: backends.map((b) => ({ name: b.name, address: b.host, port: b.port })), ...spec.cluster }],
      },
      { graceMs: 500 },
    );
    opened.push({ close: () => proxy.close(500) });
    // Close the proxy first, then the backends and channels, then the broker.
    return { proxy, backends, channels, broker, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

export async function runScenario(spec: ScenarioSpec): Promise<ScenarioResult> {
  const setup = await startChat(spec);
  const clients = new Map<string, ChatClient>();
  const client = (name: string): ChatClient => {
    let c = clients.get(name);
    if (c === undefined) {
      c = new ChatClient(name, { host: ADDR.proxy, port: setup.proxy.address().port }, ADDR.clients[name] ?? '127.71.0.29', spec.tap, spec.holdMs * 4);
      clients.set(name, c);
    }
    return c;
  };
  try {
    const stuckTo: Record<string, string> = {};
    if (spec.hello === true) {
      for (const name of ['alice', ...spec.senders]) {
        const r = await client(name).request('GET', '/hello');
        stuckTo[name] = r.fields.get('x-backend') ?? '?';
      }
    }
    const byId = new Map<string, Delivery>();
    const deliveries: Delivery[] = [];
    const polls: { backend: string; status: number }[] = [];
    let stop = false;
    let pollNo = 0;
    const alice = client('alice');
    const pollLoop = (async () => {
      while (!stop) {
        const no = ++pollNo;
        const r = await alice.request('GET', '/poll?inbox=alice');
        const backend = r.fields.get('x-backend') ?? '-';
        polls.push({ backend, status: r.status });
        if (r.status === 200) {
          const now = performance.now();
          const body = JSON.parse(r.text) as { messages: { id: string }[] };
          for (const m of body.messages) {
            const d = byId.get(m.id);
            if (d !== undefined && d.gotAt === undefined) {
              d.gotAt = now;
              d.deliveredBy = backend;
              d.deliveredInPoll = no;
            }
          }
        } else if (r.status !== 204) await sleep(spec.holdMs / 4);
      }
    })();
    if (!(await until(() => setup.backends.some((b) => b.holding.has('alice')), 2000))) throw new Error("alice's first poll never reached a backend");
    for (let i = 0; i < spec.messages; i++) {
      const sender = spec.senders[i % spec.senders.length];
      const id = `m${i + 1}`;
      const d: Delivery = { id, sender, postedTo: '?', sentAt: performance.now(), requestId: '', sentDuringPoll: pollNo };
      byId.set(id, d);
      deliveries.push(d);
      const r = await client(sender).request('POST', `/send?inbox=alice&id=${id}`, `hello ${i + 1} from ${sender}`);
      d.postedTo = r.fields.get('x-backend') ?? '?';
      d.requestId = r.fields.get('x-request-id') ?? '';
      if (spec.hello !== true && stuckTo[sender] === undefined) stuckTo[sender] = d.postedTo;
      await sleep(spec.gapMs);
    }
    await until(() => deliveries.every((d) => d.gotAt !== undefined), spec.holdMs * 2 + 200);
    stop = true;
    await pollLoop;
    if (stuckTo.alice === undefined) stuckTo.alice = polls[0]?.backend ?? '?';
    const prompt = deliveries.filter((d) => d.deliveredInPoll === d.sentDuringPoll).length;
    const lost = deliveries.filter((d) => d.gotAt === undefined).length;
    const backendPorts: Record<string, number> = {};
    for (const b of setup.backends) backendPorts[b.name] = b.port;
    const stillQueued =
      setup.broker?.core.pending() ?? setup.channels.reduce((n, c) => n + ('core' in c ? (c as ReturnType<typeof localChannel>).core.pending() : 0), 0);
    return {
      deliveries,
      prompt,
      late: deliveries.length - prompt - lost,
      lost,
      stuckTo,
      polls,
      proxyPort: setup.proxy.address().port,
      backendPorts,
      stillQueued,
      ...(setup.broker === undefined ? {} : { brokerPort: setup.broker.address.port }),
    };
  } finally {
    for (const c of clients.values()) c.close();
    await setup.close();
  }
}

/** Milliseconds from POST to arrival, or "lost". */
export function latencyText(d: Delivery): string {
  return d.gotAt === undefined ? 'lost' : `${Math.round(d.gotAt - d.sentAt)} ms`;
}
