// server.mjs: the HTTP server: the control API under /_standin/, and each
// service under /NAME/... answered from its fixture (auth check, body check,
// route, scenario step, templated reply), with every service request logged.

import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { bodyMatches } from './fixtures.mjs';
import { InputError, parseScenario, ScenarioStore } from './scenarios.mjs';
import { send } from './respond.mjs';
import { makeContext, render } from './template.mjs';
import { runHandler } from './vector_dbs.mjs';

const MAX_BODY = 10 * 1024 * 1024;
const MAX_LOG = 10000;
const monoMs = () => Number(performance.now().toFixed(3));

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => resolve(size > MAX_BODY ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
    req.on('aborted', () => reject(new Error('client aborted the request body')));
  });
}

function sendJson(res, status, obj) {
  const text = JSON.stringify(obj);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const badInput = (res, field, message) => sendJson(res, 400, { error: 'bad_request', field, message });

// ---- the service side -------------------------------------------------------

function errorReply(svc, status, message, ctxArgs) {
  const m = (svc.errors.messages && (svc.errors.messages[String(status)] || svc.errors.messages.default)) || {};
  const ctx = makeContext({
    ...ctxArgs,
    extra: {
      status,
      message: message ?? m.message ?? http.STATUS_CODES[status] ?? 'Error',
      type: m.type ?? 'error',
      code: m.code ?? status,
    },
  });
  return {
    status,
    headers: { ...render(svc.response_headers || {}, ctx), 'content-type': svc.errors.content_type || 'application/json' },
    body: render(svc.errors.format, ctx),
  };
}

function fixedReply(svc, r, ctxArgs) {
  const ctx = makeContext(ctxArgs);
  return {
    status: r.status ?? 401,
    headers: { ...render(svc.response_headers || {}, ctx), ...render(r.headers || {}, ctx) },
    body: render(r.body ?? null, ctx),
  };
}

// null when the credential is acceptable, else the reply to send.
function checkAuth(svc, headers, ctxArgs) {
  const a = svc.auth;
  const value = headers[a.header.toLowerCase()];
  let token = typeof value === 'string' ? value.trim() : '';
  if (token && a.scheme) {
    const m = new RegExp(`^${a.scheme}\\s+(\\S.*)$`, 'i').exec(token);
    token = m ? m[1].trim() : '';
  }
  if (!token) return fixedReply(svc, a.missing, ctxArgs);
  if ((a.invalid_tokens || ['invalid']).includes(token)) return fixedReply(svc, a.invalid, ctxArgs);
  const extra = a.also_required;
  if (extra && !extra.any_of.some((h) => headers[h.toLowerCase()])) return fixedReply(svc, extra, ctxArgs);
  return null;
}

// The normal reply of a route, with a scenario step applied over it.
function buildReply(svc, route, step, ctxArgs) {
  const ctx = makeContext(ctxArgs);
  const base = render(svc.response_headers || {}, ctx);
  const r = route.response;
  // A stateful route (lib/vector_dbs.mjs) runs only when its normal reply is
  // due, so that a scenario's error step leaves the state alone.
  const due = !step || step === 'ok' || (step.body === undefined && !(step.status >= 400));
  const handled = r.handler && due ? runHandler(r.handler, ctxArgs) : null;
  if (handled?.error !== undefined) return errorReply(svc, handled.status, handled.error, ctxArgs);
  const normal = {
    status: handled?.status ?? r.status ?? 200,
    headers: { ...base, ...render(r.headers || {}, ctx) },
    delay_ms: r.delay_ms,
    ...(r.sse ? { sse: r.sse, sseGapMs: r.sse_gap_ms, ctx } : { body: handled ? handled.body : render(r.body, ctx) }),
  };
  if (!step || step === 'ok') return normal;
  let reply = normal;
  if (step.body !== undefined) {
    reply = { status: step.status ?? 200, headers: base, body: render(step.body, ctx) };
  } else if (step.status === 401) {
    reply = { ...fixedReply(svc, svc.auth.invalid, ctxArgs), status: 401 };
  } else if (step.status >= 400) {
    reply = errorReply(svc, step.status, undefined, ctxArgs);
  } else if (step.status !== undefined) {
    reply = { ...normal, status: step.status };
  }
  return {
    ...reply,
    headers: { ...reply.headers, ...(step.headers || {}) },
    delay_ms: step.delay_ms ?? reply.delay_ms,
    malformed: step.malformed === true,
    drop: step.drop === true,
  };
}

function findRoutes(svc, method, path) {
  const hits = [];
  let otherMethod = false;
  for (const route of svc.routes) {
    const params = route.matchPath(path);
    if (!params) continue;
    if (route.method === method) hits.push({ route, params });
    else otherMethod = true;
  }
  return { hits, otherMethod };
}

async function serveService(state, svc, req, res, raw, url, entry, signal) {
  const path = url.pathname.slice(svc.name.length + 1) || '/';
  const query = Object.fromEntries(url.searchParams);
  const headers = req.headers;
  const { hits, otherMethod } = findRoutes(svc, req.method, path);
  const ctxArgs = { service: svc, route: hits[0]?.route, body: null, params: hits[0]?.params || {}, query, headers };
  if (hits.length === 0) {
    const status = otherMethod ? 405 : 404;
    const msg = otherMethod ? `Method ${req.method} not allowed on ${path}` : `Not found: ${req.method} ${path}`;
    return send(req, res, errorReply(svc, status, msg, ctxArgs), signal);
  }
  const denied = checkAuth(svc, headers, ctxArgs);
  if (denied) return send(req, res, denied, signal);
  let body = null;
  if (raw === null) return send(req, res, errorReply(svc, 413, 'Request body too large', ctxArgs), signal);
  if (raw.trim() !== '') {
    try {
      body = JSON.parse(raw);
    } catch (err) {
      return send(req, res, errorReply(svc, 400, `Invalid JSON in request body: ${err.message}`, ctxArgs), signal);
    }
  }
  const hit = hits.find((h) => bodyMatches(h.route.match, body ?? {})) || hits[hits.length - 1];
  Object.assign(ctxArgs, { route: hit.route, params: hit.params, body });
  entry.route = `${hit.route.method} ${hit.route.path}`;
  for (const field of hit.route.required || []) {
    if (body === null || typeof body !== 'object' || body[field] === undefined) {
      return send(req, res, errorReply(svc, 400, `Missing required field: ${field}`, ctxArgs), signal);
    }
  }
  const taken = state.scenarios.take(svc.name, req.method, path, hit.route.path);
  if (taken) entry.scenario_step = taken.step;
  const reply = buildReply(svc, hit.route, taken?.step, ctxArgs);
  if (reply.drop) entry.dropped = true;
  return send(req, res, reply, signal);
}

// ---- the control API ----------------------------------------------------------

function serveControl(state, req, res, raw, url) {
  const route = `${req.method} ${url.pathname}`;
  const parse = () => {
    try {
      return raw.trim() === '' ? undefined : JSON.parse(raw);
    } catch (err) {
      throw new InputError('body', `the body is not valid JSON: ${err.message}`);
    }
  };
  try {
    switch (route) {
      case 'POST /_standin/scenario': {
        const sc = parseScenario(parse(), state.services);
        state.scenarios.set(sc);
        return sendJson(res, 200, { ok: true, scenario: sc });
      }
      case 'GET /_standin/scenario':
        return sendJson(res, 200, { scenarios: state.scenarios.describe() });
      case 'DELETE /_standin/scenario': {
        const cleared = state.scenarios.list.length;
        state.scenarios.clear();
        return sendJson(res, 200, { ok: true, cleared });
      }
      case 'GET /_standin/requests': {
        const name = url.searchParams.get('service');
        if (name !== null && !state.services.has(name)) {
          throw new InputError('service', `service must be one of: ${[...state.services.keys()].join(', ')}`);
        }
        const requests = name === null ? state.log : state.log.filter((e) => e.service === name);
        return sendJson(res, 200, { requests });
      }
      case 'DELETE /_standin/requests': {
        const cleared = state.log.length;
        state.log.length = 0;
        return sendJson(res, 200, { ok: true, cleared });
      }
      case 'GET /_standin/services':
        return sendJson(res, 200, {
          services: [...state.services.values()].map((s) => ({
            name: s.name, base_path: `/${s.name}`, routes: s.routes.map((r) => ({ method: r.method, path: r.path })),
          })),
        });
      default: {
        const known = ['/_standin/scenario', '/_standin/requests', '/_standin/services'];
        if (known.includes(url.pathname)) return sendJson(res, 405, { error: 'method_not_allowed', message: `${route} is not supported` });
        return sendJson(res, 404, { error: 'not_found', message: `no control endpoint ${route} (see tests/standins/README.md)` });
      }
    }
  } catch (err) {
    if (err instanceof InputError) return badInput(res, err.field, err.message);
    throw err;
  }
}

// ---- the server -----------------------------------------------------------------

function logLine(entry) {
  const took = entry.completed_at_ms === null ? '' : ` ${Math.round(entry.completed_at_ms - entry.received_at_ms)}ms`;
  const flags = [entry.aborted && 'aborted', entry.dropped && 'dropped', entry.scenario_step && `step=${JSON.stringify(entry.scenario_step)}`]
    .filter(Boolean).join(' ');
  process.stderr.write(`standin ${entry.service ?? '-'} ${entry.method} ${entry.path} -> ${entry.status ?? '-'}${took}${flags ? ` ${flags}` : ''}\n`);
}

export function createServer(services) {
  const state = { services, scenarios: new ScenarioStore(), log: [], seq: 0 };
  const server = http.createServer(async (req, res) => {
    const received = monoMs();
    const url = new URL(req.url, 'http://standin');
    if (url.pathname.startsWith('/_standin/')) {
      let raw;
      try { raw = await readBody(req); } catch { return undefined; }
      if (raw === null) return sendJson(res, 413, { error: 'too_large', message: 'control body too large' });
      return serveControl(state, req, res, raw, url);
    }
    const name = url.pathname.split('/')[1];
    const svc = services.get(name);
    const controller = new AbortController();
    const entry = {
      seq: ++state.seq, service: svc ? name : null, method: req.method,
      path: svc ? url.pathname.slice(name.length + 1) || '/' : url.pathname, url: req.url,
      headers: { ...req.headers }, body: null, received_at_ms: received, completed_at_ms: null,
      status: null, aborted: false, dropped: false, remote_port: req.socket.remotePort,
      route: null, scenario_step: null,
    };
    state.log.push(entry);
    if (state.log.length > MAX_LOG) state.log.splice(0, state.log.length - MAX_LOG);
    res.on('close', () => {
      if (!res.writableFinished) {
        controller.abort();
        if (!entry.dropped) entry.aborted = true;
      }
      entry.status = res.headersSent ? res.statusCode : null;
      entry.completed_at_ms = monoMs();
      logLine(entry);
    });
    let raw;
    try {
      raw = await readBody(req);
    } catch {
      entry.aborted = true;
      return undefined;
    }
    try { entry.body = raw ? JSON.parse(raw) : null; } catch { entry.body = raw; }
    if (!svc) {
      return sendJson(res, 404, { error: 'not_found', message: `no stand-in service "${name}" (known: ${[...services.keys()].join(', ')})` });
    }
    try {
      return await serveService(state, svc, req, res, raw, url, entry, controller.signal);
    } catch (err) {
      process.stderr.write(`standin: internal error on ${req.method} ${req.url}: ${err.stack}\n`);
      if (!res.headersSent) return sendJson(res, 500, { error: 'standin_internal_error', message: err.message });
      res.destroy();
      return undefined;
    }
  });
  server.keepAliveTimeout = 60000;
  server.headersTimeout = 65000;
  return server;
}
