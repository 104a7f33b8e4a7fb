// A scripted HTTP/1.1 server for runtime_http_test: each path is one
// behaviour, per-key counters let the test see what reached the server.
// Usage: node scripted_server.mjs [UNIX_SOCKET_PATH]
// Listens on 127.0.0.1:0 and prints the port as stdout's first line (after
// the unix socket, when given, listens too). Ends when stdin closes.
import http from 'node:http';
import fs from 'node:fs';

const hits = new Map();      // key -> requests seen
const aborted = new Map();   // key -> true once a client went away mid-way
const running = new Map();   // key -> requests being served now
const maxRunning = new Map(); // key -> most at once
let connections = 0;

const bump = (map, key, by = 1) => {
  const n = (map.get(key) ?? 0) + by;
  map.set(key, n);
  return n;
};

function json(res, status, value, headers = {}) {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json',
                          'content-length': Buffer.byteLength(body),
                          ...headers });
  res.end(body);
}

function text(res, status, body, headers = {}) {
  res.writeHead(status, { 'content-type': 'text/plain',
                          'content-length': Buffer.byteLength(body),
                          ...headers });
  res.end(body);
}

function handle(req, res, via) {
  const url = new URL(req.url, 'http://x');
  const parts = url.pathname.split('/').filter(Boolean);
  const key = url.searchParams.get('key') ?? url.pathname;
  const nth = bump(hits, key);
  bump(running, key);
  maxRunning.set(key, Math.max(maxRunning.get(key) ?? 0, running.get(key)));
  res.on('close', () => {
    bump(running, key, -1);
    if (!res.writableFinished) aborted.set(key, true);
  });
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString();
    const arg = parts[1];
    switch (parts[0]) {
      case 'ok': return text(res, 200, 'ok');
      case 'status': return text(res, Number(arg), `status ${arg}`);
      case 'retry-after': {
        if (nth > 1) return text(res, 200, 'ok after wait');
        const value = url.searchParams.has('date')
          ? new Date(Date.now() + Number(arg) * 1000 + 999).toUTCString()
          : arg;
        return text(res, 429, 'slow down', { 'retry-after': value });
      }
      case 'retry-after-ms':
        if (nth > 1) return text(res, 200, 'ok after wait');
        return text(res, 429, 'slow down', { 'retry-after-ms': arg });
      case 'flaky':
        return nth <= Number(arg) ? text(res, 500, `failure ${nth}`)
                                  : text(res, 200, `ok after ${nth - 1}`);
      case 'slow':
        return setTimeout(() => text(res, 200, 'slow ok'), Number(arg));
      case 'hang': return; // until the client goes away
      case 'big': return text(res, 200, 'x'.repeat(Number(arg)));
      case 'sse': {
        const n = Number(url.searchParams.get('n') ?? 3);
        const gap = Number(url.searchParams.get('gap') ?? 200);
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        let i = 0;
        const tick = () => {
          res.write(`data: ${i}\n\n`);
          if (++i < n) setTimeout(tick, gap); else res.end();
        };
        return tick();
      }
      case 'echo':
        return json(res, 200, { method: req.method, url: req.url,
                                headers: req.headers, body, via,
                                remotePort: req.socket.remotePort ?? null });
      case 'count': return json(res, 200, { hits: (hits.get(arg) ?? 0) });
      case 'maxconc': return json(res, 200, { max: maxRunning.get(arg) ?? 0 });
      case 'aborted': return json(res, 200, { aborted: aborted.get(arg) ?? false });
      case 'connections': return json(res, 200, { count: connections });
      default: return text(res, 404, 'no such script');
    }
  });
}

const tcp = http.createServer((req, res) => handle(req, res, 'tcp'));
tcp.keepAliveTimeout = 60000;
tcp.on('connection', () => { ++connections; });

const socketPath = process.argv[2];
const listenUnix = () => new Promise((resolve) => {
  if (!socketPath) return resolve();
  try { fs.unlinkSync(socketPath); } catch {}
  const unix = http.createServer((req, res) => handle(req, res, 'unix'));
  unix.listen(socketPath, resolve);
});

await listenUnix();
tcp.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${tcp.address().port}\n`);
});
// The test holds our stdin; when it exits (even by a crash), we do too.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
