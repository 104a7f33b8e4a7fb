// scenarios.mjs: scripted sequences of responses for the next requests to one
// service path, set through POST /_standin/scenario (see README.md).
//
// A step is "ok" (the fixture's normal response) or an object:
//   {"status": 429, "headers": {...}, "body": {...}}  that response; with no body
//        a status >= 400 gets the service's own error body (401: its 401 body)
//   {"delay_ms": 5000}        the normal response (or the given one) this late
//   {"headers": {...}}        the normal response with extra headers
//   {"malformed": true}       a 200 whose JSON is cut off halfway (a stream: one
//                             good event, then a broken one, then the end)
//   {"drop": true}            the connection is closed with no response

import { compilePath } from './fixtures.mjs';

export const PRESETS = {
  rate_limited_then_ok: { steps: [{ status: 429, headers: { 'retry-after': '1' } }, 'ok'], repeat: false },
  fail_twice_then_ok: { steps: [{ status: 500 }, { status: 503 }, 'ok'], repeat: false },
  slow: { steps: [{ delay_ms: 30000 }], repeat: true },
  malformed: { steps: [{ malformed: true }], repeat: true },
  unauthorized: { steps: [{ status: 401 }], repeat: true },
  server_errors: { steps: [{ status: 503 }], repeat: true },
};

const STEP_KEYS = new Set(['status', 'headers', 'body', 'delay_ms', 'malformed', 'drop']);
const SCENARIO_KEYS = new Set(['service', 'path', 'method', 'steps', 'preset', 'repeat', 'delay_ms']);
const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

export class InputError extends Error {
  constructor(field, message) {
    super(message);
    this.field = field;
  }
}

const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const fail = (field, message) => { throw new InputError(field, message); };

function checkStep(step, i) {
  const f = `steps[${i}]`;
  if (step === 'ok') return step;
  if (!isObj(step)) fail(f, `${f} must be "ok" or an object`);
  for (const k of Object.keys(step)) {
    if (!STEP_KEYS.has(k)) fail(`${f}.${k}`, `${f}.${k} is not a step field (known: ${[...STEP_KEYS].join(', ')})`);
  }
  if (step.status !== undefined && !(Number.isInteger(step.status) && step.status >= 100 && step.status <= 599)) {
    fail(`${f}.status`, `${f}.status must be an integer 100-599`);
  }
  if (step.headers !== undefined) {
    if (!isObj(step.headers)) fail(`${f}.headers`, `${f}.headers must be an object of header -> string`);
    for (const [h, v] of Object.entries(step.headers)) {
      if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(h)) fail(`${f}.headers`, `${f}.headers: "${h}" is not a valid header name`);
      if (!['string', 'number'].includes(typeof v)) fail(`${f}.headers.${h}`, `${f}.headers.${h} must be a string or number`);
    }
  }
  if (step.delay_ms !== undefined && !(Number.isFinite(step.delay_ms) && step.delay_ms >= 0 && step.delay_ms <= 600000)) {
    fail(`${f}.delay_ms`, `${f}.delay_ms must be a number of milliseconds, 0-600000`);
  }
  for (const k of ['malformed', 'drop']) {
    if (step[k] !== undefined && typeof step[k] !== 'boolean') fail(`${f}.${k}`, `${f}.${k} must be true or false`);
  }
  if (step.malformed && step.drop) fail(f, `${f}: "malformed" and "drop" cannot be combined`);
  return step;
}

// Checks a POST /_standin/scenario body against the known services; returns the
// scenario to store or throws InputError naming the bad field.
export function parseScenario(input, services) {
  if (!isObj(input)) fail('body', 'the body must be a JSON object');
  for (const k of Object.keys(input)) {
    if (!SCENARIO_KEYS.has(k)) fail(k, `"${k}" is not a scenario field (known: ${[...SCENARIO_KEYS].join(', ')})`);
  }
  if (typeof input.service !== 'string' || !services.has(input.service)) {
    fail('service', `service must be one of: ${[...services.keys()].join(', ')}`);
  }
  if (typeof input.path !== 'string' || !input.path.startsWith('/')) {
    fail('path', 'path must be the service path after its prefix, starting with "/", e.g. "/api/v1/chat/completions"');
  }
  if (input.method !== undefined && !METHODS.has(input.method)) fail('method', `method must be one of ${[...METHODS].join(', ')}`);
  if (input.repeat !== undefined && typeof input.repeat !== 'boolean') fail('repeat', 'repeat must be true or false');
  if ((input.steps === undefined) === (input.preset === undefined)) fail('steps', 'give exactly one of "steps" or "preset"');
  let steps;
  let repeat;
  if (input.preset !== undefined) {
    const p = PRESETS[input.preset];
    if (!p) fail('preset', `preset must be one of: ${Object.keys(PRESETS).join(', ')}`);
    steps = structuredClone(p.steps);
    repeat = p.repeat;
    if (input.delay_ms !== undefined) {
      if (!(Number.isFinite(input.delay_ms) && input.delay_ms >= 0)) fail('delay_ms', 'delay_ms must be a number >= 0');
      steps = steps.map((s) => (s === 'ok' ? s : { ...s, delay_ms: input.delay_ms }));
    }
  } else {
    if (input.delay_ms !== undefined) fail('delay_ms', 'delay_ms goes with "preset"; with "steps" put it in a step');
    if (!Array.isArray(input.steps) || input.steps.length === 0) fail('steps', 'steps must be a non-empty list');
    if (input.steps.length > 1000) fail('steps', 'steps may hold at most 1000 entries');
    steps = input.steps.map(checkStep);
    repeat = false;
  }
  if (input.repeat !== undefined) repeat = input.repeat;
  // Only paths some route of the service can serve are accepted, to catch typos.
  const svc = services.get(input.service);
  const served = svc.routes.some((r) => r.path === input.path || r.matchPath(input.path));
  if (!served) fail('path', `${input.service} has no route for ${input.path} (routes: ${[...new Set(svc.routes.map((r) => r.path))].join(', ')})`);
  return { service: input.service, path: input.path, method: input.method ?? null, steps, repeat, preset: input.preset ?? null };
}

export class ScenarioStore {
  constructor() {
    this.list = [];
  }

  // A new scenario for the same service, path and method replaces the old one.
  set(sc) {
    this.list = this.list.filter((s) => !(s.service === sc.service && s.path === sc.path && s.method === sc.method));
    this.list.push({ ...sc, next: 0, matchPath: compilePath(sc.path), used: 0 });
  }

  clear() {
    this.list = [];
  }

  // The step for this request, or null for normal behaviour. The path matches
  // literally or as a pattern ({model} in the scenario path matches any model).
  take(service, method, path, routePattern) {
    const sc = this.list.find((s) => s.service === service && (!s.method || s.method === method)
      && (s.path === path || s.path === routePattern || s.matchPath(path)));
    if (!sc) return null;
    const step = sc.steps[sc.next];
    sc.next += 1;
    sc.used += 1;
    if (sc.next >= sc.steps.length) {
      if (sc.repeat) sc.next = 0;
      else this.list = this.list.filter((s) => s !== sc);
    }
    return { step, index: sc.used - 1 };
  }

  describe() {
    return this.list.map(({ service, path, method, steps, repeat, preset, next }) => ({
      service, path, method, preset, repeat, steps, next_step: next,
    }));
  }
}
