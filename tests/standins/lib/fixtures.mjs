// fixtures.mjs: loads services/NAME.json and checks its shape, so a broken
// fixture stops the stand-in at start with a message naming the file and field
// rather than failing one request later. The format is described in README.md.

import fs from 'node:fs';
import path from 'node:path';
import { ROOTS, templateRoots } from './template.mjs';
import { HANDLERS } from './vector_dbs.mjs';

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
const NAME = /^[a-z0-9][a-z0-9_-]*$/;

export class FixtureError extends Error {}

// "Unexpected token } in JSON at position 57" -> "... (line 3, column 12)".
function jsonError(text, err) {
  const m = /position (\d+)/.exec(err.message);
  if (!m) return err.message;
  const before = text.slice(0, Number(m[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return `${err.message} (line ${line}, column ${column})`;
}

function check(cond, file, msg) {
  if (!cond) throw new FixtureError(`${file}: ${msg}`);
}

const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const isStatus = (v) => Number.isInteger(v) && v >= 100 && v <= 599;

function checkReply(r, file, where) {
  check(isObj(r), file, `${where} must be an object`);
  check(r.status === undefined || isStatus(r.status), file, `${where}.status must be an integer 100-599`);
  check(r.headers === undefined || isObj(r.headers), file, `${where}.headers must be an object`);
}

function checkRoute(route, i, file) {
  const where = `routes[${i}]`;
  check(isObj(route), file, `${where} must be an object`);
  check(METHODS.has(route.method), file, `${where}.method must be one of ${[...METHODS].join(', ')}`);
  check(typeof route.path === 'string' && route.path.startsWith('/'), file, `${where}.path must be a string starting with "/"`);
  check(route.match === undefined || isObj(route.match), file, `${where}.match must be an object of body field -> value`);
  check(route.required === undefined || (Array.isArray(route.required) && route.required.every((f) => typeof f === 'string')),
    file, `${where}.required must be a list of body field names`);
  check(route.vars === undefined || isObj(route.vars), file, `${where}.vars must be an object`);
  const r = route.response;
  checkReply(r, file, `${where}.response`);
  check(r.delay_ms === undefined || (Number.isFinite(r.delay_ms) && r.delay_ms >= 0), file, `${where}.response.delay_ms must be a number >= 0`);
  if (r.sse !== undefined) {
    check(Array.isArray(r.sse) && r.sse.length > 0, file, `${where}.response.sse must be a non-empty list of events`);
    r.sse.forEach((ev, j) => {
      const w = `${where}.response.sse[${j}]`;
      check(isObj(ev) && ('data' in ev || 'comment' in ev), file, `${w} must be an object with "data" or "comment"`);
      check(ev.gap_ms === undefined || (Number.isFinite(ev.gap_ms) && ev.gap_ms >= 0), file, `${w}.gap_ms must be a number >= 0`);
      check(ev.if === undefined || isObj(ev.if), file, `${w}.if must be an object of body field -> value`);
    });
  } else {
    check('body' in r || r.handler !== undefined, file, `${where}.response needs "body", "sse" or "handler"`);
    check(r.handler === undefined || HANDLERS.has(r.handler), file,
      `${where}.response.handler must be one of ${[...HANDLERS.keys()].join(', ')}`);
  }
}

export function validateFixture(fx, file) {
  check(isObj(fx), file, 'the top level must be a JSON object');
  const a = fx.auth;
  check(isObj(a) && typeof a.header === 'string' && a.header.length > 0, file, 'auth.header must be a header name');
  check(a.scheme === undefined || typeof a.scheme === 'string', file, 'auth.scheme must be a string such as "Bearer"');
  checkReply(a.missing, file, 'auth.missing');
  checkReply(a.invalid, file, 'auth.invalid');
  check(a.invalid_tokens === undefined || Array.isArray(a.invalid_tokens), file, 'auth.invalid_tokens must be a list');
  if (a.also_required !== undefined) {
    checkReply(a.also_required, file, 'auth.also_required');
    check(Array.isArray(a.also_required.any_of) && a.also_required.any_of.length > 0, file,
      'auth.also_required.any_of must be a non-empty list of header names');
  }
  check(isObj(fx.errors) && 'format' in fx.errors, file, 'errors.format (the service\'s error body template) is required');
  check(fx.errors.messages === undefined || isObj(fx.errors.messages), file, 'errors.messages must be an object of status -> {message, type}');
  check(fx.response_headers === undefined || isObj(fx.response_headers), file, 'response_headers must be an object');
  check(fx.data === undefined || isObj(fx.data), file, 'data must be an object');
  check(Array.isArray(fx.routes) && fx.routes.length > 0, file, 'routes must be a non-empty list');
  fx.routes.forEach((r, i) => checkRoute(r, i, file));
  for (const { expr, root } of templateRoots([fx.auth, fx.errors, fx.response_headers, fx.routes])) {
    check(ROOTS.has(root), file, `unknown template name "${root}" in "{{${expr}}}" (known: ${[...ROOTS].join(', ')})`);
  }
}

// "/hf-inference/models/{model}/pipeline/feature-extraction" -> a RegExp whose
// groups are the params. A param may span several segments (model ids such as
// "BAAI/bge-base-en-v1.5" keep their slash in real URLs).
export function compilePath(pattern) {
  const names = [];
  const src = pattern
    .split(/(\{[A-Za-z_][A-Za-z0-9_]*\})/)
    .map((part) => {
      const m = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(part);
      if (!m) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(m[1]);
      return '(.+?)';
    })
    .join('');
  const re = new RegExp(`^${src}$`);
  return (p) => {
    const m = re.exec(p);
    if (!m) return null;
    const params = {};
    names.forEach((n, i) => {
      try { params[n] = decodeURIComponent(m[i + 1]); } catch { params[n] = m[i + 1]; }
    });
    return params;
  };
}

export function loadServices(dir) {
  let names;
  try {
    names = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  } catch (err) {
    throw new FixtureError(`cannot read services directory ${dir}: ${err.message}`);
  }
  if (names.length === 0) throw new FixtureError(`no *.json service fixtures in ${dir}`);
  const services = new Map();
  for (const f of names) {
    const file = path.join(dir, f);
    const name = f.slice(0, -'.json'.length);
    check(NAME.test(name), file, 'the file name must be a service name: lowercase letters, digits, _ and -');
    const text = fs.readFileSync(file, 'utf8');
    let fx;
    try {
      fx = JSON.parse(text);
    } catch (err) {
      throw new FixtureError(`${file}: invalid JSON: ${jsonError(text, err)}`);
    }
    validateFixture(fx, file);
    fx.name = name;
    fx.file = file;
    for (const r of fx.routes) r.matchPath = compilePath(r.path);
    services.set(name, fx);
  }
  return services;
}

// Does body satisfy match ({"stream": true, "stream_options.include_usage": true})?
// Keys are dotted paths; a missing field equals false/null for match purposes
// only when the wanted value is false or null.
export function bodyMatches(match, body) {
  if (!match) return true;
  for (const [key, want] of Object.entries(match)) {
    let v = body;
    for (const k of key.split('.')) v = v !== null && typeof v === 'object' ? v[k] : undefined;
    if (v === undefined && (want === false || want === null)) continue;
    if (JSON.stringify(v) !== JSON.stringify(want)) return false;
  }
  return true;
}
