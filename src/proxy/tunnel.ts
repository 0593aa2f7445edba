// A byte tunnel between two sockets that have left HTTP: a WebSocket (or any protocol named in
// Upgrade) after the upstream's 101. Bytes go both ways unchanged, with backpressure (a side whose
// peer cannot take more is paused until it drains), half-close passed on (FIN for FIN), a reset or
// error on one side destroying the other, and an idle timeout: no byte either way for idleMs ends both.

import type { Socket } from 'node:net';
import type { NetClock, TimerHandle } from '../base/timer-clock.ts';

export interface TunnelSide {
  readonly socket: Socket;
  /** Bytes already read from this socket past the HTTP head; they go to the other side first. */
  readonly rest: Uint8Array;
}

export type TunnelEnd = 'closed' | 'idle' | 'reset' | 'stopped';

export interface TunnelResult {
  /** Bytes from the client side to the upstream side. */
  readonly up: number;
  /** Bytes from the upstream side to the client side. */
  readonly down: number;
  readonly end: TunnelEnd;
}

export interface Tunnel {
  readonly done: Promise<TunnelResult>;
  /** Ends the tunnel now (the proxy is closing): both sockets destroyed. */
  stop(): void;
}

export function openTunnel(client: TunnelSide, upstream: TunnelSide, options: { idleMs: number; clock: NetClock }): Tunnel {
  const { clock, idleMs } = options;
  const count = { up: 0, down: 0 };
  let end: TunnelEnd | undefined;
  let idle: TimerHandle | undefined;
  let finish!: (r: TunnelResult) => void;
  const done = new Promise<TunnelResult>((resolve) => {
    finish = resolve;
  });
  let closedSockets = 0;

  const stopAll = (why: TunnelEnd): void => {
    end ??= why;
    client.socket.destroy();
    upstream.socket.destroy();
  };
  const armIdle = (): void => {
    if (idle !== undefined) clock.clearTimer(idle);
    idle = clock.setTimer(() => stopAll('idle'), idleMs);
  };

  const pipe = (from: Socket, to: Socket, dir: 'up' | 'down'): void => {
    from.on('data', (chunk: Buffer) => {
      armIdle();
      count[dir] += chunk.length;
      if (!to.write(chunk)) from.pause();
    });
    to.on('drain', () => from.resume());
    from.on('end', () => {
      // Half-close: the other side gets our FIN and may go on sending.
      if (!to.destroyed) to.end();
    });
    from.on('error', () => stopAll('reset'));
    from.on('close', (hadError: boolean) => {
      // Closed without its FIN (destroyed, reset): the other side cannot be finished politely either.
      if (hadError || !from.readableEnded) stopAll('reset');
      closedSockets++;
      if (closedSockets === 2) {
        if (idle !== undefined) clock.clearTimer(idle);
        finish({ up: count.up, down: count.down, end: end ?? 'closed' });
      }
    });
  };

  pipe(client.socket, upstream.socket, 'up');
  pipe(upstream.socket, client.socket, 'down');
  if (client.rest.length > 0) {
    count.up += client.rest.length;
    upstream.socket.write(client.rest);
  }
  if (upstream.rest.length > 0) {
    count.down += upstream.rest.length;
    client.socket.write(upstream.rest);
  }
  armIdle();
  client.socket.resume();
  upstream.socket.resume();
  return { done, stop: () => stopAll('stopped') };
}
