#!/usr/bin/env node
// standin.mjs: one local HTTP server standing in for the external SaaS
// services (OpenRouter, Portkey, Hugging Face router, Together AI, an
// OpenAI-compatible vLLM/TGI server; Pinecone and Weaviate, stateful in
// lib/vector_dbs.mjs), each answered from services/NAME.json and mounted
// under /NAME/. Node 20, node:http only. See README.md.
//
//   node tests/standins/standin.mjs [--port 0] [--services DIR] [--exit-with-stdin]
//
// With --exit-with-stdin it stops when its standard input closes, so that a
// test that dies never leaves it behind.
// Prints "standin listening http://127.0.0.1:PORT" as its first stdout line,
// then one stderr line per service request. Exits 2 on bad arguments or a bad
// fixture file, naming the file and the problem.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FixtureError, loadServices } from './lib/fixtures.mjs';
import { createServer } from './lib/server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

function die(msg) {
  process.stderr.write(`standin: ${msg}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { port: 0, services: path.join(here, 'services') };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s);
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) die(`${flag} needs a value`);
      return v;
    };
    if (flag === '--port') {
      const v = value();
      if (!/^\d+$/.test(v) || Number(v) > 65535) die(`--port must be 0-65535, got "${v}"`);
      opts.port = Number(v);
    } else if (flag === '--services') {
      opts.services = path.resolve(value());
    } else if (flag === '--exit-with-stdin') {
      opts.exitWithStdin = true;
    } else if (flag === '--help' || flag === '-h') {
      process.stdout.write('usage: node standin.mjs [--port 0] [--services DIR]\n');
      process.exit(0);
    } else {
      die(`unknown argument "${argv[i]}" (usage: standin.mjs [--port 0] [--services DIR])`);
    }
  }
  return opts;
}

const opts = parseArgs(process.argv.slice(2));
let services;
try {
  services = loadServices(opts.services);
} catch (err) {
  if (err instanceof FixtureError) die(err.message);
  throw err;
}

const server = createServer(services);
server.on('error', (err) => die(`cannot listen on 127.0.0.1:${opts.port}: ${err.message}`));
server.listen(opts.port, '127.0.0.1', () => {
  const { port } = server.address();
  process.stdout.write(`standin listening http://127.0.0.1:${port}\n`);
  process.stderr.write(`standin: services ${[...services.keys()].map((n) => `/${n}`).join(' ')}\n`);
});

const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 1000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
if (opts.exitWithStdin) {
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
}
