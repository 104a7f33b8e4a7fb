// template.mjs: the "{{...}}" templating of fixture bodies and headers, and the
// numbers the templates compute (token counts, cost, deterministic embeddings).
//
// A string that is exactly one "{{expr}}" is replaced by the value itself (a
// number, object or list keeps its type); "{{expr}}" inside a longer string is
// replaced by its text. expr is `a || b || 'literal'`: the first alternative
// that is neither undefined, null nor "" wins. Each alternative is a dotted path
// from one of ROOTS (body.model, headers.x-portkey-trace-id, data.models, ...),
// a 'quoted' literal or a number.

import { createHash, randomBytes } from 'node:crypto';

export const ROOTS = new Set([
  'body', 'params', 'query', 'headers', 'data', 'vars', 'now', 'id', 'uuid', 'reply',
  'prompt_tokens', 'completion_tokens', 'total_tokens', 'prompt_cost', 'completion_cost',
  'cost', 'embedding_data', 'embedding_tokens', 'feature_extraction',
  'status', 'message', 'type', 'code',
]);

const WHOLE = /^\{\{\s*([^{}]+?)\s*\}\}$/;
const PART = /\{\{\s*([^{}]+?)\s*\}\}/g;

// Every root name used by the templates in value, for checking fixtures at load.
export function templateRoots(value, out = []) {
  if (typeof value === 'string') {
    for (const m of value.matchAll(PART)) {
      for (const alt of m[1].split('||').map((s) => s.trim())) {
        if (/^'.*'$/.test(alt) || /^-?\d+(\.\d+)?$/.test(alt)) continue;
        out.push({ expr: m[1], root: alt.split('.')[0] });
      }
    }
  } else if (Array.isArray(value)) {
    value.forEach((v) => templateRoots(v, out));
  } else if (value && typeof value === 'object') {
    Object.values(value).forEach((v) => templateRoots(v, out));
  }
  return out;
}

function lookup(ctx, path) {
  const [root, ...rest] = path.split('.');
  let v = ctx[root];
  for (const key of rest) {
    if (v === undefined || v === null) return undefined;
    v = v[key];
  }
  return v;
}

function evaluate(expr, ctx) {
  for (const raw of expr.split('||')) {
    const alt = raw.trim();
    let v;
    if (/^'.*'$/.test(alt)) v = alt.slice(1, -1);
    else if (/^-?\d+(\.\d+)?$/.test(alt)) v = Number(alt);
    else v = lookup(ctx, alt);
    if (v !== undefined && v !== null && v !== '') return v;
  }
  return null;
}

export function render(value, ctx) {
  if (typeof value === 'string') {
    const whole = WHOLE.exec(value);
    if (whole) return evaluate(whole[1], ctx);
    return value.replace(PART, (_, expr) => {
      const v = evaluate(expr, ctx);
      if (v === null) return '';
      return typeof v === 'object' ? JSON.stringify(v) : String(v);
    });
  }
  if (Array.isArray(value)) return value.map((v) => render(v, ctx));
  if (value && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = render(v, ctx);
    return out;
  }
  return value;
}

// ---- numbers --------------------------------------------------------------

// Roughly 4 characters per token, as OpenAI's rule of thumb; at least 1.
export const tokensOf = (text) => Math.max(1, Math.ceil(String(text).length / 4));

function textOf(content) {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => (p && typeof p.text === 'string' ? p.text : '')).join('');
  return '';
}

// Prompt tokens: the message texts plus 3 per message (role and separators), or
// the text inputs of an embeddings / completions request.
export function promptTokens(body) {
  if (!body || typeof body !== 'object') return 1;
  if (Array.isArray(body.messages)) {
    const text = body.messages.map((m) => textOf(m && m.content)).join('');
    return tokensOf(text) + 3 * body.messages.length;
  }
  const inputs = inputList(body.input ?? body.inputs ?? body.prompt);
  return inputs.length ? inputs.reduce((n, s) => n + tokensOf(s), 0) : 1;
}

function inputList(input) {
  if (typeof input === 'string') return [input];
  if (Array.isArray(input)) return input.map((s) => (typeof s === 'string' ? s : JSON.stringify(s)));
  return [];
}

const round = (x, digits) => Number(x.toFixed(digits));

// A unit-length vector of dim floats, a function of (model, text) only:
// bytes = sha256(model + "\n" + text + "\n" + k) for k = 0, 1, 2, ... concatenated;
// each 4 bytes, read as a big-endian uint32 u, give u / 2^32 * 2 - 1; the vector
// is then L2-normalised and each value rounded to 6 decimals.
export function embeddingVector(model, text, dim) {
  const raw = [];
  for (let k = 0; raw.length < dim; k++) {
    const h = createHash('sha256').update(`${model}\n${text}\n${k}`).digest();
    for (let i = 0; i + 4 <= h.length && raw.length < dim; i += 4) raw.push((h.readUInt32BE(i) / 2 ** 32) * 2 - 1);
  }
  const norm = Math.sqrt(raw.reduce((s, x) => s + x * x, 0)) || 1;
  return raw.map((x) => round(x / norm, 6));
}

function dimFor(data, model) {
  const dims = (data && data.embedding_dims) || {};
  return dims[model] ?? dims.default ?? 384;
}

function pricingFor(data, model) {
  const models = Array.isArray(data && data.models) ? data.models : [];
  const found = models.find((m) => m && m.id === model);
  const p = (found && found.pricing) || (data && data.default_pricing) || {};
  return { prompt: Number(p.prompt ?? p.input ?? 0), completion: Number(p.completion ?? p.output ?? 0) };
}

let seq = 0;
const newId = () => `${Date.now().toString(36)}${(++seq).toString(36)}${randomBytes(6).toString('hex')}`;
const newUuid = () => {
  const b = randomBytes(16);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

// The values templates can use for one request. Computed values are lazy and
// memoised, so one response sees one id, one timestamp and one set of counts.
export function makeContext({ service, route, body, params, query, headers, extra = {} }) {
  const data = service.data || {};
  const vars = { ...(route && route.vars) };
  const model = () => (body && body.model) || params.model || '';
  const base = { body: body ?? {}, params, query, headers, data, vars, ...extra };
  const lazy = {
    now: () => Math.floor(Date.now() / 1000),
    id: newId,
    uuid: newUuid,
    reply: () => vars.reply ?? 'This is a stand-in reply.',
    prompt_tokens: () => promptTokens(body),
    completion_tokens: () => tokensOf(ctx.reply),
    total_tokens: () => ctx.prompt_tokens + ctx.completion_tokens,
    prompt_cost: () => round(ctx.prompt_tokens * pricingFor(data, model()).prompt, 12),
    completion_cost: () => round(ctx.completion_tokens * pricingFor(data, model()).completion, 12),
    cost: () => round(ctx.prompt_cost + ctx.completion_cost, 12),
    embedding_data: () =>
      inputList(body && body.input).map((text, index) => ({
        object: 'embedding',
        index,
        embedding: embeddingVector(model(), text, dimFor(data, model())),
      })),
    embedding_tokens: () => inputList((body && (body.input ?? body.inputs)) || []).reduce((n, s) => n + tokensOf(s), 0),
    // Hugging Face feature-extraction: one vector for a single string input, a
    // list of vectors for a list of inputs.
    feature_extraction: () => {
      const inputs = body && body.inputs;
      const vec = (t) => embeddingVector(model(), t, dimFor(data, model()));
      return typeof inputs === 'string' ? vec(inputs) : inputList(inputs).map(vec);
    },
  };
  const memo = {};
  const ctx = new Proxy(base, {
    get(target, key) {
      if (key in target) return target[key];
      if (key in lazy) {
        if (!(key in memo)) memo[key] = lazy[key]();
        return memo[key];
      }
      return undefined;
    },
    has: (target, key) => key in target || key in lazy,
  });
  return ctx;
}
