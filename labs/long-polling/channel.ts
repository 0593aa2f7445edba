// The message channel behind the long-polling lab's chat backends: who gets a message posted for an
// inbox. One BrokerCore keeps, per inbox, the waiting subscribers (a backend holding that inbox's long
// poll) and the messages nobody was waiting for. A subscription is one-shot, as a long poll is: the
// first message (or the queue, at once) ends it.
//
// The trap: each backend has its own core in memory (`localChannel`), so a message reaches only the
// polls held by the backend that received the POST. The fix: one core shared over TCP on loopback
// (`BrokerServer` + `brokerChannel`), one line of JSON per operation, that every backend talks to.

import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { NetlabError } from '../../src/base/index.ts';
import type { TapRecorder } from '../../src/capture/index.ts';

export interface ChatMessage {
  readonly id: string;
  readonly text: string;
  /** The backend that received the POST. */
  readonly postedTo: string;
}

/** What a backend uses: subscribe while it holds an inbox's poll, publish what a POST brings. */
export interface Channel {
  /** Waits for messages for `inbox` (delivered at once when some are queued); one-shot. */
  subscribe(inbox: string, deliver: (msgs: readonly ChatMessage[]) => void): void;
  unsubscribe(inbox: string): void;
  publish(inbox: string, msg: ChatMessage): void;
  close(): Promise<void>;
}

type Deliver = (inbox: string, msgs: readonly ChatMessage[]) => void;

/** Waiting subscribers and queued messages per inbox. Subscribers are identified by an id. */
export class BrokerCore {
  private readonly waiting = new Map<string, { id: number; deliver: Deliver }[]>();
  private readonly queued = new Map<string, ChatMessage[]>();
  /** Messages published so far. */
  published = 0;

  subscribe(id: number, inbox: string, deliver: Deliver): void {
    const q = this.queued.get(inbox);
    if (q !== undefined && q.length > 0) {
      this.queued.delete(inbox);
      deliver(inbox, q);
      return;
    }
    const list = this.waiting.get(inbox) ?? [];
    if (!list.some((w) => w.id === id)) list.push({ id, deliver });
    this.waiting.set(inbox, list);
  }

  unsubscribe(id: number, inbox?: string): void {
    for (const [name, list] of this.waiting) {
      if (inbox !== undefined && name !== inbox) continue;
      const rest = list.filter((w) => w.id !== id);
      if (rest.length === 0) this.waiting.delete(name);
      else this.waiting.set(name, rest);
    }
  }

  publish(inbox: string, msg: ChatMessage): void {
    this.published++;
    const list = this.waiting.get(inbox);
    const first = list?.shift();
    if (list !== undefined && list.length === 0) this.waiting.delete(inbox);
    if (first !== undefined) {
      first.deliver(inbox, [msg]);
      return;
    }
    const q = this.queued.get(inbox) ?? [];
    q.push(msg);
    this.queued.set(inbox, q);
  }

  /** Messages still queued, per inbox (never delivered). */
  pending(): number {
    let n = 0;
    for (const q of this.queued.values()) n += q.length;
    return n;
  }
}

/** A backend's own channel: a core in its memory that no other backend sees (the trap). */
export function localChannel(): Channel & { readonly core: BrokerCore } {
  const core = new BrokerCore();
  const subs = new Map<string, (msgs: readonly ChatMessage[]) => void>();
  return {
    core,
    subscribe(inbox, deliver) {
      subs.set(inbox, deliver);
      core.subscribe(1, inbox, (name, msgs) => {
        subs.delete(name);
        deliver(msgs);
      });
    },
    unsubscribe(inbox) {
      subs.delete(inbox);
      core.unsubscribe(1, inbox);
    },
    publish(inbox, msg) {
      core.publish(inbox, msg);
    },
    close: async () => undefined,
  };
}

/** Splits a stream into lines and parses each as JSON (a line that is not JSON is reported). */
function onJsonLines(socket: Socket, fn: (v: Record<string, unknown>) => void, onBad: (line: string) => void): void {
  let buf = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buf += chunk;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.trim() === '') continue;
      let v: unknown;
      try {
        v = JSON.parse(line);
      } catch {
        onBad(line);
        continue;
      }
      if (typeof v === 'object' && v !== null) fn(v as Record<string, unknown>);
      else onBad(line);
    }
    if (buf.length > 64 * 1024) {
      onBad(buf.slice(0, 80));
      socket.destroy();
    }
  });
}

const isMessage = (v: unknown): v is ChatMessage =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as ChatMessage).id === 'string' &&
  typeof (v as ChatMessage).text === 'string' &&
  typeof (v as ChatMessage).postedTo === 'string';

/**
 * One broker for every backend: a TCP server on loopback speaking one JSON object per line.
 * In: {"op":"sub"|"unsub","inbox":…} and {"op":"pub","inbox":…,"msg":{…}}. Out: {"op":"msg","inbox":…,"msgs":[…]}.
 */
export class BrokerServer {
  readonly core = new BrokerCore();
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private nextId = 1;
  /** Lines that were not a valid operation. */
  readonly refused: string[] = [];

  private constructor() {
    this.server = createServer((s) => this.accept(s));
  }

  static async start(host: string): Promise<BrokerServer> {
    const b = new BrokerServer();
    await new Promise<void>((resolve, reject) => {
      b.server.once('error', (err) => reject(new NetlabError('ERR_IO', `broker: listen on ${host}: ${err.message}`, { cause: err })));
      b.server.listen(0, host, () => resolve());
    });
    return b;
  }

  get address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  private accept(s: Socket): void {
    const id = this.nextId++;
    this.sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => {
      this.sockets.delete(s);
      this.core.unsubscribe(id);
    });
    const send: Deliver = (inbox, msgs) => {
      if (!s.destroyed) s.write(`${JSON.stringify({ op: 'msg', inbox, msgs })}\n`);
    };
    onJsonLines(
      s,
      (v) => {
        const inbox = v.inbox;
        if (typeof inbox !== 'string' || inbox === '') return void this.refused.push(JSON.stringify(v));
        if (v.op === 'sub') this.core.subscribe(id, inbox, send);
        else if (v.op === 'unsub') this.core.unsubscribe(id, inbox);
        else if (v.op === 'pub' && isMessage(v.msg)) this.core.publish(inbox, v.msg);
        else this.refused.push(JSON.stringify(v));
      },
      (line) => this.refused.push(line),
    );
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A backend's end of the shared broker (its connection recorded by `tap` when given). */
export async function brokerChannel(host: string, port: number, tap?: TapRecorder): Promise<Channel> {
  const socket = connect({ host, port });
  tap?.tcp(socket, { role: 'client' });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', (err) => reject(new NetlabError('ERR_IO', `broker at ${host}:${port}: ${err.message}`, { cause: err })));
  });
  socket.on('error', () => undefined);
  const subs = new Map<string, (msgs: readonly ChatMessage[]) => void>();
  const send = (v: object): void => {
    if (!socket.destroyed) socket.write(`${JSON.stringify(v)}\n`);
  };
  onJsonLines(
    socket,
    (v) => {
      if (v.op !== 'msg' || typeof v.inbox !== 'string' || !Array.isArray(v.msgs)) return;
      const msgs = v.msgs.filter(isMessage);
      const deliver = subs.get(v.inbox);
      subs.delete(v.inbox);
      if (deliver !== undefined) deliver(msgs);
      // The poll ended as the messages crossed: hand them back, so the next poll gets them.
      else for (const m of msgs) send({ op: 'pub', inbox: v.inbox, msg: m });
    },
    () => undefined,
  );
  return {
    subscribe(inbox, deliver) {
      subs.set(inbox, deliver);
      send({ op: 'sub', inbox });
    },
    unsubscribe(inbox) {
      subs.delete(inbox);
      send({ op: 'unsub', inbox });
    },
    publish(inbox, msg) {
      send({ op: 'pub', inbox, msg });
    },
    close: () =>
      new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.end();
        socket.destroySoon();
      }),
  };
}
