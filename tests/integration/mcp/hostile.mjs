// hostile.mjs: clients that misbehave the way floods and attackers do, for
// hostile_test.sh. Node's own fetch (undici, what the TypeScript SDK uses)
// and raw sockets; no dependencies.
//
//   node hostile.mjs flood URL N            N initialize from one client, never
//                                           DELETEd; prints {"status": count}
//   node hostile.mjs slowloris URL N MS     N connections trickling header bytes
//                                           (one every 500 ms) while one good
//                                           client pings every 200 ms; prints
//                                           when the N were closed and how the
//                                           good client fared, after MS at most
//   node hostile.mjs big-post URL SESSION BYTES
//                                           one POST of BYTES with fetch; prints
//                                           the status and the body
//
// Prints one JSON object on stdout; exits 0 unless the run itself failed.

import net from 'node:net';

const [cmd, url, ...rest] = process.argv.slice(2);
const headers = {
  'Content-Type': 'application/json',
  Accept: 'application/json, text/event-stream',
};
const init = (id) =>
  JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'hostile', version: '1' } },
  });

async function flood(n) {
  const statuses = {};
  const started = Date.now();
  // A few in parallel: one client, as fast as it can.
  let next = 0;
  async function worker() {
    while (next < n) {
      const i = next++;
      let status;
      try {
        const r = await fetch(url, { method: 'POST', headers, body: init(i) });
        await r.arrayBuffer();
        status = String(r.status);
      } catch (e) {
        status = `error: ${e.cause?.code || e.message}`;
      }
      statuses[status] = (statuses[status] || 0) + 1;
    }
  }
  await Promise.all(Array.from({ length: 8 }, worker));
  return { statuses, ms: Date.now() - started };
}

async function ping(session) {
  const r = await fetch(url, {
    method: 'POST',
    headers: { ...headers, 'Mcp-Session-Id': session },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
  });
  const text = await r.text();
  return r.status === 200 && text.includes('"result":{}');
}

async function slowloris(n, maxMs) {
  const u = new URL(url);
  const head = `POST ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\nX-Trickle: `;
  let opened = 0;
  let closed = 0;
  let refused = 0; // answered 503 at the connection cap
  let timedOut = 0; // answered 408
  const firstByte = [];
  const closedAfter = [];
  const sockets = [];
  for (let i = 0; i < n; i++) {
    const s = net.connect({ host: u.hostname, port: Number(u.port) });
    let sent = 0;
    let timer;
    let answer = '';
    s.on('connect', () => {
      opened++;
      firstByte[i] = Date.now();
      const drip = () => {
        if (s.destroyed) return;
        s.write(sent < head.length ? head[sent] : 'x');
        sent++;
        timer = setTimeout(drip, 500);
      };
      drip();
    });
    s.on('data', (d) => {
      answer += d.toString();
    });
    const done = () => {
      clearTimeout(timer);
      if (s.counted) return;
      s.counted = true;
      closed++;
      if (answer.startsWith('HTTP/1.1 503')) refused++;
      if (answer.startsWith('HTTP/1.1 408')) timedOut++;
      if (firstByte[i]) closedAfter.push(Date.now() - firstByte[i]);
    };
    s.on('close', done);
    s.on('error', () => {});
    sockets.push(s);
  }
  // The good client, throughout.
  const r = await fetch(url, { method: 'POST', headers, body: init(0) });
  await r.text();
  const session = r.headers.get('mcp-session-id');
  let good = 0;
  let bad = 0;
  const started = Date.now();
  while (closed < n && Date.now() - started < maxMs) {
    try {
      (await ping(session)) ? good++ : bad++;
    } catch {
      bad++;
    }
    await new Promise((res) => setTimeout(res, 200));
  }
  for (const s of sockets) s.destroy();
  closedAfter.sort((a, b) => a - b);
  return {
    n,
    opened,
    closed_by_server: closed,
    answered_408: timedOut,
    refused_503: refused,
    closed_after_ms: {
      min: closedAfter[0] ?? null,
      max: closedAfter[closedAfter.length - 1] ?? null,
    },
    good_pings: good,
    failed_pings: bad,
  };
}

async function bigPost(session, bytes) {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(bytes) } });
  try {
    const r = await fetch(url, {
      method: 'POST',
      headers: { ...headers, 'Mcp-Session-Id': session },
      body,
    });
    return { status: r.status, body: (await r.text()).slice(0, 300), sent: body.length };
  } catch (e) {
    return { status: 0, error: `${e.message} (${e.cause?.code || e.cause?.message || 'no cause'})` };
  }
}

let out;
if (cmd === 'flood') out = await flood(Number(rest[0]));
else if (cmd === 'slowloris') out = await slowloris(Number(rest[0]), Number(rest[1]));
else if (cmd === 'big-post') out = await bigPost(rest[0], Number(rest[1]));
else {
  console.error('usage: node hostile.mjs flood URL N | slowloris URL N MS | big-post URL SESSION BYTES');
  process.exit(2);
}
console.log(JSON.stringify(out));
