// The node-http-proxy peer of `npm run bench:proxy`: http-proxy (the npm package) in front of one
// upstream, with a keep-alive agent so that it reuses upstream connections as the other proxies do.
// Usage: node bench/node-http-proxy-peer.mjs LISTEN_PORT UPSTREAM_PORT (both on 127.0.0.1).
import http from 'node:http';
import httpProxy from 'http-proxy';

const [listen, upstream] = process.argv.slice(2).map(Number);
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const proxy = httpProxy.createProxyServer({ target: `http://127.0.0.1:${upstream}`, agent });
proxy.on('error', (err, _req, res) => {
  if (res instanceof http.ServerResponse && !res.headersSent) res.writeHead(502).end(`bad gateway: ${err.message}`);
});
const server = http.createServer((req, res) => proxy.web(req, res));
server.keepAliveTimeout = 30_000;
server.listen(listen, '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
