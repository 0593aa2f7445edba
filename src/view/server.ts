// `netlab view`'s HTTP server: the page and its JSON, on 127.0.0.1 only.
//
//   GET /                   the page (HTML shell), /page.js and /page.css (bundled, no internet needed)
//   GET /api/info           CaptureInfoJson
//   GET /api/list?offset=&limit=&filter=   ListPage, or 400 with FilterErrorJson
//   GET /api/frame?no=N     FrameJson, or 404
//   GET /api/follow, /api/sequence   see capture-routes.ts

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NetlabRangeError } from '../base/errors.ts';
import { type Asset, loadAssets } from './assets.ts';
import { type CaptureModel, MAX_PAGE, ViewFilterError } from './capture-model.ts';
import { CaptureRoutes } from './capture-routes.ts';
import type { CaptureInfoJson, RequestErrorJson } from './types.ts';

export interface ViewServer {
  /** http://127.0.0.1:PORT/ */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export interface ViewServerOptions {
  /** Address to bind (default 127.0.0.1); must be a loopback address. */
  host?: string;
  /** Port (default 0: a free one). */
  port?: number;
  /** TLS key log text (NSS format, `--keylog FILE`) used with the capture's own secrets to decrypt TLS. */
  keyLog?: string;
  /** Assets to serve instead of the bundled page (tests). */
  assets?: Map<string, Asset>;
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(body);
}

function json(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
}

function badRequest(res: ServerResponse, message: string): void {
  const body: RequestErrorJson = { error: 'request', message };
  json(res, 400, body);
}

/** A whole number from the query, or the default; undefined when the value is not one. */
function wholeNumber(params: URLSearchParams, name: string, fallback: number): number | undefined {
  const v = params.get(name);
  if (v === null || v === '') return fallback;
  if (!/^\d{1,9}$/.test(v)) return undefined;
  return Number(v);
}

function handle(model: CaptureModel, assets: Map<string, Asset>, req: IncomingMessage, res: ServerResponse, routes: CaptureRoutes): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    badRequest(res, `${req.method}: the view answers GET only`);
    return;
  }
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const asset = assets.get(url.pathname);
  if (asset !== undefined) {
    send(res, 200, asset.type, asset.body);
    return;
  }
  const q = url.searchParams;
  const answer = routes.answer(url.pathname, q);
  if (answer !== undefined) return json(res, answer.status, answer.body);
  switch (url.pathname) {
    case '/api/info': {
      const info: CaptureInfoJson = { file: model.file, frames: model.frames, loading: model.loading };
      if (model.error !== undefined) info.error = model.error;
      json(res, 200, info);
      return;
    }
    case '/api/list': {
      const offset = wholeNumber(q, 'offset', 0);
      const limit = wholeNumber(q, 'limit', 200);
      if (offset === undefined) return badRequest(res, `offset=${q.get('offset')}: expected a whole number`);
      if (limit === undefined || limit > MAX_PAGE) return badRequest(res, `limit=${q.get('limit')}: expected a whole number up to ${MAX_PAGE}`);
      try {
        json(res, 200, model.list(offset, limit, q.get('filter') ?? ''));
      } catch (err) {
        if (err instanceof ViewFilterError) return json(res, 400, err.json);
        throw err;
      }
      return;
    }
    case '/api/frame': {
      const no = wholeNumber(q, 'no', 0);
      if (no === undefined || no === 0) return badRequest(res, `no=${q.get('no')}: expected a frame number from 1`);
      const frame = model.frame(no);
      if (frame === undefined) {
        const body: RequestErrorJson = { error: 'request', message: `frame ${no}: the capture has ${model.frames} frames` };
        return json(res, 404, body);
      }
      json(res, 200, frame);
      return;
    }
    default:
      send(res, 404, 'text/plain; charset=utf-8', `${url.pathname}: not found\n`);
  }
}

/** Starts the server for a loaded capture; resolves once it listens. */
export async function startViewServer(model: CaptureModel, options: ViewServerOptions = {}): Promise<ViewServer> {
  const host = options.host ?? '127.0.0.1';
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) && host !== '::1') {
    throw new NetlabRangeError(`${host}: the view listens on a loopback address only (127.0.0.0/8 or ::1)`, { layer: 'view' });
  }
  const assets = options.assets ?? loadAssets(model.file);
  const routes = new CaptureRoutes(model, options.keyLog);
  const server: Server = createServer((req, res) => {
    try {
      handle(model, assets, req, res, routes);
    } catch (err) {
      if (!res.headersSent) json(res, 500, { error: 'request', message: `netlab view: ${(err as Error).message}` } satisfies RequestErrorJson);
      else res.destroy();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
