// curl and wrk against netlab's HTTP/1.1 server (src/http): the real clients' framing, 100-continue,
// keep-alive reuse, and a bounded wrk run (2 s) over keep-alive connections.

import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpServer } from '../../src/http/index.ts';
import { requireTool } from '../helpers/tools.ts';

function run(cmd: string, args: string[], input?: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: 20_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

let server: HttpServer;
let base = '';
let connections = 0;

beforeAll(async () => {
  server = new HttpServer({
    onConnection: () => connections++,
    handler: async (req, res) => {
      const body = await req.body.bytes();
      if (req.head.target === '/hello') {
        res.end('hello\n');
        return;
      }
      const te = req.head.fields.find((f) => f.name.toLowerCase() === 'transfer-encoding')?.value ?? '-';
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end(`${req.head.method} ${req.head.target} v${req.head.version} te=${te} len=${body.length} expect=${req.head.expectContinue}\n`);
    },
  });
  const a = await server.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${a.port}`;
});

afterAll(async () => {
  await server.close(1000);
});

describe.skipIf(!requireTool('curl'))('curl against the netlab HTTP server', () => {
  it('GET with -v: status line and headers as curl sees them', async () => {
    const { stdout, stderr } = await run('curl', ['-sS', '-v', `${base}/get?x=1`]);
    expect(stderr).toContain('< HTTP/1.1 200 OK');
    expect(stderr).toMatch(/< Content-Length: \d+/);
    expect(stdout).toBe('GET /get?x=1 v1.1 te=- len=0 expect=false\n');
  });

  it('POST with a chunked body from stdin', async () => {
    const body = 'x'.repeat(70_000);
    const { stdout, stderr } = await run('curl', ['-sS', '-v', '-H', 'Transfer-Encoding: chunked', '--data-binary', '@-', `${base}/up`], body);
    expect(stderr).toContain('> Transfer-Encoding: chunked');
    expect(stdout).toBe(`POST /up v1.1 te=chunked len=${body.length} expect=false\n`);
  });

  it('Expect: 100-continue gets 100 Continue before the body is sent', async () => {
    const { stdout, stderr } = await run('curl', ['-sS', '-v', '-H', 'Expect: 100-continue', '--data-binary', 'y'.repeat(2000), `${base}/cont`]);
    expect(stderr).toContain('< HTTP/1.1 100 Continue');
    expect(stdout).toBe('POST /cont v1.1 te=- len=2000 expect=true\n');
  });

  it('reuses the connection for a second URL (keep-alive)', async () => {
    const { stdout, stderr } = await run('curl', ['-sS', '-v', `${base}/hello`, `${base}/hello`]);
    expect(stdout).toBe('hello\nhello\n');
    expect(stderr).toMatch(/Re-using existing connection/);
  });

  it('HTTP/1.0 (-0): answered and closed', async () => {
    const { stdout, stderr } = await run('curl', ['-sS', '-v', '-0', `${base}/old`]);
    expect(stdout).toBe('GET /old v1.0 te=- len=0 expect=false\n');
    expect(stderr).toContain('< Connection: close');
  });
});

describe.skipIf(!requireTool('wrk'))('wrk against the netlab HTTP server', () => {
  it('2 s of keep-alive load: no errors, no non-2xx, one connection per wrk connection', async () => {
    const before = connections;
    const { stdout } = await run('wrk', ['-t1', '-c10', '-d2s', '--latency', `${base}/hello`]);
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? 'NaN');
    console.log(`wrk -t1 -c10 -d2s against netlab's server: ${rps} requests/s`);
    expect(rps).toBeGreaterThan(0);
    expect(stdout).not.toMatch(/Non-2xx/);
    expect(stdout).not.toMatch(/Socket errors/);
    // wrk opens one extra connection first to check the address, then its 10.
    expect(connections - before).toBeLessThanOrEqual(11);
  });
});
