// `netlab lab run NAME --web`: the lab page's HTTP server, on 127.0.0.1 only, no internet needed.
//
//   GET  /                  the page (HTML shell), /lab.js and /lab.css (bundled by scripts/build.mjs)
//   GET  /api/lab/run       LabRunJson: the run so far
//   GET  /api/lab/events    server-sent events: `run` (the run so far, first), `event` (a LabEvent),
//                           `topology` (a TopologyJson when it changes), `frame` (a TopoFrameJson),
//                           `sequence` (a StepSequenceJson: a step's columns and its new arrows)
//   POST /api/lab/answer    {"text": "..."}: the learner's line (an exercise's answer, or Enter at a
//                           pause); 409 when the run is not waiting for one
//   GET  /capture/N         opens capture N of the run in the capture view (`netlab view`'s server,
//                           on its own port) and redirects there

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NetlabRangeError } from '../base/errors.ts';
import { type Asset, escapeHtml } from './assets.ts';
import { CaptureModel } from './capture-model.ts';
import { labBundle } from './lab-static.ts';
import { applyLabEvent, emptyRun, type LabEvent, type LabRunJson, type TopoFrameJson, type TopologyJson } from './lab-types.ts';
import { LabSequences } from './lab-sequence.ts';
import { startViewServer, type ViewServer } from './server.ts';
import { TopologyWatch } from './topology.ts';
import { LiveFeed } from '../netsim/live-feed.ts';
import type { RequestErrorJson } from './types.ts';

const MAX_ANSWER_BYTES = 4096;
/** How often the steps' new arrows are sent to the page. */
const SEQUENCE_MS = 200;

/** What the server needs from the run: where the learner's lines go. */
export interface LabAnswerSink {
  post(text: string): void;
}

export interface LabServer {
  readonly url: string;
  readonly port: number;
  /** Give this to runLabs as its observer: the page follows the run through it. */
  readonly observer: { event(e: LabEvent): void; capture(id: number, absolutePath: string): void };
  close(): Promise<void>;
}

export interface LabServerOptions {
  host?: string;
  port?: number;
  /** Assets instead of the bundled page (tests). */
  assets?: Map<string, Asset>;
  /** Where the live feed is announced for the extcap (default: live-registry's runtimeDir()). */
  runtimeDir?: string;
}

const SHELL = (title: string): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} - netlab lab</title>
<link rel="stylesheet" href="/lab.css">
</head>
<body>
<noscript>The lab page needs JavaScript (served by netlab itself, no internet needed).</noscript>
<script src="/lab.js"></script>
</body>
</html>
`;

function labAssets(title: string): Map<string, Asset> {
  const b = labBundle();
  return new Map<string, Asset>([
    ['/', { type: 'text/html; charset=utf-8', body: Buffer.from(SHELL(title)) }],
    ['/lab.js', { type: 'text/javascript; charset=utf-8', body: Buffer.from(b.js) }],
    ['/lab.css', { type: 'text/css; charset=utf-8', body: Buffer.from(b.css) }],
  ]);
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...extra });
  res.end(body);
}

function json(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
}

function requestError(res: ServerResponse, status: number, message: string): void {
  json(res, status, { error: 'request', message } satisfies RequestErrorJson);
}

/** Reads a small request body; undefined when it is larger than `max` bytes. */
function readBody(req: IncomingMessage, max: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) over = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(over ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Starts the lab page's server; `answers` receives what the learner types in the page. */
export async function startLabServer(title: string, answers: LabAnswerSink, options: LabServerOptions = {}): Promise<LabServer> {
  const host = options.host ?? '127.0.0.1';
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) && host !== '::1') {
    throw new NetlabRangeError(`${host}: the lab page listens on a loopback address only (127.0.0.0/8 or ::1)`, { layer: 'view' });
  }
  const assets = options.assets ?? labAssets(title);
  const run: LabRunJson = emptyRun();
  const clients = new Set<ServerResponse>();
  const captureFiles = new Map<number, string>();
  const captureViews = new Map<number, Promise<{ server: ViewServer; model: CaptureModel }>>();

  const broadcast = (event: string, data: unknown): void => {
    const text = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const c of clients) c.write(text);
  };
  // The lab's frames go through a live feed, as `netlab topo --live` does: the page and a Wireshark
  // started with netlab's extcap (one interface per link) see the same frames.
  const feed = new LiveFeed({ topology: title, ...(options.runtimeDir === undefined ? {} : { dir: options.runtimeDir }) });
  await feed.start();
  const topology = new TopologyWatch(
    {
      topology: (t: TopologyJson) => broadcast('topology', t),
      frame: (f: TopoFrameJson) => broadcast('frame', f),
    },
    () => run.labs.at(-1)?.name ?? 'net',
    feed,
  );

  // Each step's sequence diagram: new arrows go out a few times a second (dissected then, in batches).
  const sequences = new LabSequences((s) => broadcast('sequence', s));
  const sequenceTimer = setInterval(() => sequences.flush(), SEQUENCE_MS);
  sequenceTimer.unref();

  const openCapture = (id: number): Promise<{ server: ViewServer; model: CaptureModel }> | undefined => {
    const file = captureFiles.get(id);
    if (file === undefined) return undefined;
    let view = captureViews.get(id);
    if (view === undefined) {
      view = (async () => {
        const model = await CaptureModel.open(file);
        const server = await startViewServer(model, { host });
        return { server, model };
      })();
      captureViews.set(id, view);
      view.catch(() => captureViews.delete(id));
    }
    return view;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method === 'POST' && url.pathname === '/api/lab/answer') {
      const body = await readBody(req, MAX_ANSWER_BYTES);
      if (body === undefined) return requestError(res, 413, `the answer is longer than ${MAX_ANSWER_BYTES} bytes`);
      let text: unknown;
      try {
        text = (JSON.parse(body) as { text?: unknown }).text;
      } catch {
        return requestError(res, 400, 'expected JSON: {"text": "your answer"}');
      }
      if (typeof text !== 'string' || text.includes('\n')) return requestError(res, 400, 'text: expected one line of text');
      if (run.waiting === undefined) return requestError(res, 409, 'the lab is not waiting for an answer now');
      answers.post(text);
      return json(res, 202, { accepted: true });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return requestError(res, 405, `${req.method} ${url.pathname}: not answered here`);
    const asset = assets.get(url.pathname);
    if (asset !== undefined) return send(res, 200, asset.type, asset.body);
    if (url.pathname === '/api/lab/run') return json(res, 200, run);
    if (url.pathname === '/api/lab/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write(`event: run\ndata: ${JSON.stringify(run)}\n\n`);
      for (const t of topology.snapshots()) res.write(`event: topology\ndata: ${JSON.stringify(t)}\n\n`);
      for (const q of sequences.snapshots()) res.write(`event: sequence\ndata: ${JSON.stringify(q)}\n\n`);
      clients.add(res);
      req.on('close', () => clients.delete(res));
      return;
    }
    const m = /^\/capture\/(\d{1,6})$/.exec(url.pathname);
    if (m !== null) {
      const view = openCapture(Number(m[1]));
      if (view === undefined) return requestError(res, 404, `capture ${m[1]}: the run has ${captureFiles.size} captures so far`);
      try {
        const { server } = await view;
        return send(res, 302, 'text/plain; charset=utf-8', `${server.url}\n`, { location: server.url });
      } catch (err) {
        return requestError(res, 500, `capture ${m[1]}: ${(err as Error).message}`);
      }
    }
    send(res, 404, 'text/plain; charset=utf-8', `${url.pathname}: not found\n`);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) requestError(res, 500, `netlab lab: ${(err as Error).message}`);
      else res.destroy();
    });
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
    observer: {
      event: (e) => {
        applyLabEvent(run, e);
        // A step's last frames go out before its end.
        if (e.type === 'item-end' || e.type === 'lab-end') sequences.flush();
        sequences.event(e);
        broadcast('event', e);
      },
      capture: (id, path) => {
        captureFiles.set(id, path);
      },
    },
    close: async () => {
      topology.close();
      clearInterval(sequenceTimer);
      sequences.close();
      await feed.close();
      for (const c of clients) c.end();
      clients.clear();
      for (const v of captureViews.values()) {
        try {
          const { server: s, model } = await v;
          await s.close();
          await model.stop();
        } catch {
          // a capture that failed to open has nothing to close
        }
      }
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
