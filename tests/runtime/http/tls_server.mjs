// A TLS server for runtime_http_test's TLS cases, with the certificate the
// test made: HTTP/2 with HTTP/1.1 fallback (ALPN h2, http/1.1), or
// HTTP/1.1 only. Every response is JSON: the protocol version the server
// saw, the request's path and how many TLS connections it has accepted.
// Usage: node tls_server.mjs KEY CERT h2|http1
// Listens on 127.0.0.1:0 and prints the port as stdout's first line. Ends
// when stdin closes.
import fs from 'node:fs';
import http2 from 'node:http2';
import https from 'node:https';

const [key, cert, mode] = process.argv.slice(2);
const options = { key: fs.readFileSync(key), cert: fs.readFileSync(cert) };
let connections = 0;

function handle(req, res) {
  const body = JSON.stringify({ version: req.httpVersion, path: req.url,
                                connections });
  res.writeHead(200, { 'content-type': 'application/json',
                       'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const server = mode === 'h2'
  ? http2.createSecureServer({ ...options, allowHTTP1: true }, handle)
  : https.createServer(options, handle);
server.on('secureConnection', () => { connections += 1; });
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
