// respond.mjs: writing a prepared reply to the client: plain JSON, SSE events
// with gaps, a malformed body, a dropped connection; every wait ends early when
// the client goes away.

import { bodyMatches } from './fixtures.mjs';
import { render } from './template.mjs';

export const DEFAULT_SSE_GAP_MS = 30;

// Resolves true after ms, or false as soon as signal aborts.
export function wait(ms, signal) {
  if (signal.aborted) return Promise.resolve(false);
  if (!ms) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve(true); }, ms);
    const onAbort = () => { clearTimeout(t); resolve(false); };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function headerValues(headers) {
  const out = {};
  for (const [k, v] of Object.entries(headers || {})) {
    if (v === null || v === undefined || v === '') continue;
    out[k.toLowerCase()] = typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  return out;
}

const bodyText = (body) => (typeof body === 'string' ? body : JSON.stringify(body));

// reply: {status, headers, body} or {status, headers, sse: [events], sseGapMs, ctx}
// plus optional delay_ms, malformed, drop. Returns when done or aborted.
export async function send(req, res, reply, signal) {
  if (reply.delay_ms && !(await wait(reply.delay_ms, signal))) return;
  if (reply.drop) {
    req.socket.destroy();
    return;
  }
  const headers = headerValues(reply.headers);
  if (reply.sse) {
    await sendSse(res, reply, headers, signal);
    return;
  }
  let text = reply.body === undefined || reply.body === null ? '' : bodyText(reply.body);
  if (!headers['content-type']) headers['content-type'] = typeof reply.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json';
  if (reply.malformed) text = text.slice(0, Math.max(1, Math.floor(text.length / 2)));
  const buf = Buffer.from(text, 'utf8');
  headers['content-length'] = String(buf.length);
  res.writeHead(reply.status, headers);
  res.end(buf);
}

async function sendSse(res, reply, headers, signal) {
  res.writeHead(reply.status, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    ...headers,
  });
  res.flushHeaders();
  const events = reply.sse.filter((ev) => bodyMatches(ev.if, reply.ctx.body));
  let sent = 0;
  let dataSent = 0;
  for (const ev of events) {
    const gap = ev.gap_ms ?? reply.sseGapMs ?? DEFAULT_SSE_GAP_MS;
    if (sent > 0 && !(await wait(gap, signal))) return;
    if (signal.aborted) return;
    if (reply.malformed && dataSent === 1 && 'data' in ev) {
      const whole = bodyText(render(ev.data ?? {}, reply.ctx));
      res.write(`data: ${whole.slice(0, Math.max(1, Math.floor(whole.length / 2)))}\n\n`);
      break;
    }
    if ('comment' in ev) res.write(`: ${ev.comment}\n\n`);
    else {
      res.write(`data: ${bodyText(render(ev.data, reply.ctx))}\n\n`);
      dataSent += 1;
    }
    sent += 1;
  }
  res.end();
}
