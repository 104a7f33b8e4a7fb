// standin_test.mjs: self-test of the stand-in server. Starts it on port 0 and
// checks, with Node's fetch, each service's happy paths and auth failures,
// scenarios, SSE timing, abort logging, control-API validation and bad fixtures.
//
//   node tests/standins/standin_test.mjs        (exits non-zero on failure)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { embeddingVector } from './lib/template.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const script = path.join(here, 'standin.mjs');
let child;
let base;

function start(args = []) {
  const p = spawn(process.execPath, [script, '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  p.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => p.on('exit', (code) => resolve({ code, stderr })));
  const line = new Promise((resolve) => {
    readline.createInterface({ input: p.stdout }).once('line', resolve);
    p.on('exit', () => resolve(null));
  });
  return { p, line, exited };
}

before(async () => {
  const s = start();
  child = s.p;
  const line = await s.line;
  assert.match(line ?? '', /^standin listening http:\/\/127\.0\.0\.1:\d+$/);
  base = line.slice('standin listening '.length);
});
after(() => child && child.kill('SIGTERM'));

const BEARER = { authorization: 'Bearer sk-test-123' };
const PORTKEY = { 'x-portkey-api-key': 'pk-test', 'x-portkey-provider': 'openai' };
const post = (p, body, headers = BEARER, extra = {}) => fetch(`${base}${p}`, {
  method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body), ...extra,
});
const get = (p, headers = BEARER) => fetch(`${base}${p}`, { headers });
const control = (method, p, body) => fetch(`${base}/_standin/${p}`, {
  method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
});
const chat = (model, extra = {}) => ({ model, messages: [{ role: 'user', content: 'What is the capital of France?' }], ...extra });
const log = async (service) => (await (await control('GET', `requests${service ? `?service=${service}` : ''}`)).json()).requests;
const httpGet = (url, agent) => new Promise((resolve, reject) => {
  http.get(url, { agent, headers: BEARER }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); }).on('error', reject);
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Reads an SSE response: the data payloads and when each network chunk arrived.
async function readSse(res) {
  const reader = res.body.getReader();
  const dec = new TextDecoder();
  const arrivals = [];
  let text = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    arrivals.push(performance.now());
    text += dec.decode(value, { stream: true });
  }
  const events = text.split('\n\n').filter(Boolean);
  const data = events.filter((e) => e.startsWith('data: ')).map((e) => e.slice(6));
  return { text, events, data, arrivals };
}

test('OpenRouter: chat with usage.cost, /models pricing, streaming in timed chunks', async () => {
  const models = await (await get('/openrouter/api/v1/models')).json();
  assert.ok(models.data.length >= 3);
  for (const m of models.data) assert.match(m.pricing.prompt, /^\d+(\.\d+)?$/, 'pricing is a decimal string');
  const gpt4 = models.data.find((m) => m.id === 'openai/gpt-4');

  const res = await post('/openrouter/api/v1/chat/completions', chat('openai/gpt-4'));
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.model, 'openai/gpt-4');
  assert.equal(body.object, 'chat.completion');
  assert.match(body.id, /^gen-/);
  const u = body.usage;
  assert.equal(u.total_tokens, u.prompt_tokens + u.completion_tokens);
  assert.ok(u.prompt_tokens > 3 && u.completion_tokens > 3);
  const want = u.prompt_tokens * Number(gpt4.pricing.prompt) + u.completion_tokens * Number(gpt4.pricing.completion);
  assert.ok(Math.abs(u.cost - want) < 1e-12, `cost ${u.cost} vs ${want}`);

  const t0 = performance.now();
  const sres = await post('/openrouter/api/v1/chat/completions', chat('anthropic/claude-3.5-sonnet', { stream: true }));
  assert.equal(sres.status, 200);
  assert.match(sres.headers.get('content-type'), /^text\/event-stream/);
  const s = await readSse(sres);
  assert.ok(s.arrivals.length >= 4, `arrived in ${s.arrivals.length} network chunks`);
  assert.ok(s.arrivals.at(-1) - s.arrivals[0] >= 150, 'chunks are spread over time');
  assert.ok(s.arrivals.at(-1) - t0 < 5000);
  assert.ok(s.events.includes(': OPENROUTER PROCESSING'));
  assert.equal(s.data.at(-1), '[DONE]');
  const chunks = s.data.slice(0, -1).map((d) => JSON.parse(d));
  assert.equal(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join(''), body.choices[0].message.content);
  assert.ok(chunks.every((c) => c.model === 'anthropic/claude-3.5-sonnet' && c.id === chunks[0].id));
  assert.ok(chunks.at(-1).usage.cost > 0, 'final chunk carries usage with cost');
});

test('Portkey: needs api key and provider/config; trace id header', async () => {
  const res = await post('/portkey/v1/chat/completions', chat('gpt-4o-mini'), PORTKEY);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('x-portkey-trace-id'), /^[0-9a-f-]{36}$/);
  assert.equal((await res.json()).model, 'gpt-4o-mini');
  const traced = await post('/portkey/v1/chat/completions', chat('m'), { ...PORTKEY, 'x-portkey-trace-id': 'trace-42' });
  assert.equal(traced.headers.get('x-portkey-trace-id'), 'trace-42');
  const cfg = await post('/portkey/v1/chat/completions', chat('m'), { 'x-portkey-api-key': 'pk', 'x-portkey-config': 'pc-abc' });
  assert.equal(cfg.status, 200);
  const noProv = await post('/portkey/v1/chat/completions', chat('m'), { 'x-portkey-api-key': 'pk' });
  assert.equal(noProv.status, 400);
  assert.deepEqual(await noProv.json(), { status: 'failure', message: 'Either x-portkey-config or x-portkey-provider header is required' });
  const noKey = await post('/portkey/v1/chat/completions', chat('m'), { 'x-portkey-provider': 'openai', ...BEARER });
  assert.equal(noKey.status, 401);
  assert.equal((await noKey.json()).status, 'failure');
});

test('Hugging Face: router chat and feature-extraction vectors', async () => {
  const res = await post('/huggingface/v1/chat/completions', chat('meta-llama/Llama-3.1-8B-Instruct:together', { max_tokens: 64 }));
  assert.equal(res.status, 200);
  assert.equal((await res.json()).model, 'meta-llama/Llama-3.1-8B-Instruct:together');
  const fe = '/huggingface/hf-inference/models/BAAI/bge-base-en-v1.5/pipeline/feature-extraction';
  const one = await (await post(fe, { inputs: 'first text' })).json();
  assert.equal(one.length, 768);
  assert.equal(typeof one[0], 'number');
  assert.deepEqual(one, embeddingVector('BAAI/bge-base-en-v1.5', 'first text', 768));
  const two = await (await post(fe, { inputs: ['first text', 'second text'], normalize: true })).json();
  assert.equal(two.length, 2);
  assert.deepEqual(two[0], one, 'deterministic per input');
  assert.notDeepEqual(two[1], one);
  const norm = Math.sqrt(one.reduce((s, x) => s + x * x, 0));
  assert.ok(Math.abs(norm - 1) < 1e-3);
  const small = await (await post('/huggingface/hf-inference/models/sentence-transformers/all-MiniLM-L6-v2/pipeline/feature-extraction', { inputs: 'x' })).json();
  assert.equal(small.length, 384);
  const bad = await post('/huggingface/v1/chat/completions', '{"model": ', BEARER);
  assert.equal(bad.status, 400);
  assert.equal(typeof (await bad.json()).error, 'string');
});

test('Together AI: chat, embeddings, models with pricing', async () => {
  const res = await post('/together_ai/v1/chat/completions', chat('Qwen/Qwen3.5-9B'));
  const body = await res.json();
  assert.equal(body.model, 'Qwen/Qwen3.5-9B');
  assert.equal(body.choices[0].finish_reason, 'stop');
  const emb = await (await post('/together_ai/v1/embeddings', { model: 'BAAI/bge-base-en-v1.5', input: ['a', 'b'] })).json();
  assert.equal(emb.object, 'list');
  assert.equal(emb.model, 'BAAI/bge-base-en-v1.5');
  assert.deepEqual(emb.data.map((d) => [d.object, d.index, d.embedding.length]), [['embedding', 0, 768], ['embedding', 1, 768]]);
  assert.deepEqual(emb.data[0].embedding, embeddingVector('BAAI/bge-base-en-v1.5', 'a', 768));
  const models = await (await get('/together_ai/v1/models')).json();
  assert.ok(Array.isArray(models) && models.length >= 3);
  assert.equal(typeof models[0].pricing.input, 'number');
  const missing = await post('/together_ai/v1/embeddings', { input: 'a' });
  assert.equal(missing.status, 400);
  assert.match((await missing.json()).error.message, /model/);
});

test('openai_compatible: chat, stream usage only on request, embeddings, models', async () => {
  const c = await (await post('/openai_compatible/v1/chat/completions', chat('Qwen/Qwen2.5-7B-Instruct'))).json();
  assert.equal(c.choices[0].message.content, 'Hello from a local model.');
  const plain = await readSse(await post('/openai_compatible/v1/chat/completions', chat('q', { stream: true })));
  assert.ok(plain.data.slice(0, -1).every((d) => !JSON.parse(d).usage));
  const withUsage = await readSse(await post('/openai_compatible/v1/chat/completions',
    chat('q', { stream: true, stream_options: { include_usage: true } })));
  assert.ok(JSON.parse(withUsage.data.at(-2)).usage.total_tokens > 0);
  const e = await (await post('/openai_compatible/v1/embeddings', { model: 'intfloat/e5-small-v2', input: 'hello' })).json();
  assert.equal(e.data[0].embedding.length, 384);
  assert.ok(e.usage.prompt_tokens >= 1);
  const m = await (await get('/openai_compatible/v1/models')).json();
  assert.equal(m.object, 'list');
  assert.ok(m.data.some((x) => x.id === 'Qwen/Qwen2.5-7B-Instruct'));
});

test('auth failures get each service\'s documented 401 body', async () => {
  const cases = [
    ['/openrouter/api/v1/chat/completions', (b) => b.error.code === 401],
    ['/together_ai/v1/chat/completions', (b) => typeof b.error.message === 'string' && 'type' in b.error],
    ['/huggingface/v1/chat/completions', (b) => typeof b.error === 'string'],
    ['/openai_compatible/v1/chat/completions', (b) => b.error === 'Unauthorized'],
  ];
  for (const [p, shape] of cases) {
    for (const headers of [{}, { authorization: 'Bearer invalid' }, { authorization: 'Basic abc' }, { authorization: 'Bearer ' }]) {
      const res = await post(p, chat('m'), headers);
      assert.equal(res.status, 401, `${p} ${JSON.stringify(headers)}`);
      assert.ok(shape(await res.json()), `${p} 401 body shape`);
    }
  }
  const or = await (await post('/openrouter/api/v1/chat/completions', chat('m'), { authorization: 'Bearer invalid' })).json();
  assert.deepEqual(or, { error: { code: 401, message: 'User not found.' } });
  const pk = await post('/portkey/v1/chat/completions', chat('m'), { ...PORTKEY, 'x-portkey-api-key': 'invalid' });
  assert.equal(pk.status, 401);
  const entry = (await log('openrouter')).find((e) => e.headers.authorization === 'Bearer invalid');
  assert.equal(entry.status, 401, 'the log records the credential that arrived and the status sent');
});

test('scenario: 429 with retry-after, then ok; presets; request log', async () => {
  await control('DELETE', 'requests');
  const set = await control('POST', 'scenario', {
    service: 'openrouter', path: '/api/v1/chat/completions',
    steps: [{ status: 429, headers: { 'retry-after': '1' } }, 'ok'],
  });
  assert.equal(set.status, 200);
  const r1 = await post('/openrouter/api/v1/chat/completions', chat('openai/gpt-4'));
  assert.equal(r1.status, 429);
  assert.equal(r1.headers.get('retry-after'), '1');
  assert.deepEqual(await r1.json(), { error: { code: 429, message: 'Rate limit exceeded' }, user_id: null });
  const r2 = await post('/openrouter/api/v1/chat/completions', chat('openai/gpt-4'));
  assert.equal(r2.status, 200);
  await r2.json();
  const entries = await log('openrouter');
  assert.deepEqual(entries.map((e) => e.status), [429, 200]);
  assert.equal(entries[0].body.model, 'openai/gpt-4');
  assert.equal(entries[0].headers.authorization, 'Bearer sk-test-123');
  assert.ok(entries[1].received_at_ms > entries[0].received_at_ms);
  assert.equal(typeof entries[0].remote_port, 'number');

  // Connection reuse is visible as the same remote_port (one keep-alive socket).
  await control('DELETE', 'requests');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  for (let i = 0; i < 2; i++) await httpGet(`${base}/together_ai/v1/models`, agent);
  agent.destroy();
  const ports = (await log('together_ai')).map((e) => e.remote_port);
  assert.equal(ports.length, 2);
  assert.equal(ports[0], ports[1], 'keep-alive connection reused');

  await control('POST', 'scenario', { service: 'together_ai', path: '/v1/chat/completions', preset: 'fail_twice_then_ok' });
  const statuses = [];
  for (let i = 0; i < 4; i++) statuses.push((await post('/together_ai/v1/chat/completions', chat('m')).then(async (r) => { await r.arrayBuffer(); return r; })).status);
  assert.deepEqual(statuses, [500, 503, 200, 200]);

  await control('POST', 'scenario', { service: 'huggingface', path: '/hf-inference/models/{model}/pipeline/feature-extraction', preset: 'server_errors' });
  for (let i = 0; i < 3; i++) {
    const r = await post('/huggingface/hf-inference/models/a/b/pipeline/feature-extraction', { inputs: 'x' });
    assert.equal(r.status, 503);
    assert.equal(typeof (await r.json()).error, 'string');
  }
  await control('POST', 'scenario', { service: 'portkey', path: '/v1/chat/completions', preset: 'malformed' });
  const mal = await post('/portkey/v1/chat/completions', chat('m'), PORTKEY);
  assert.equal(mal.status, 200);
  await assert.rejects(mal.json());
  const malStream = await readSse(await post('/portkey/v1/chat/completions', chat('m', { stream: true }), PORTKEY));
  assert.equal(malStream.data.length, 2, 'one good event, one cut off, no [DONE]');
  JSON.parse(malStream.data[0]);
  assert.throws(() => JSON.parse(malStream.data[1]));
  await control('POST', 'scenario', { service: 'openai_compatible', path: '/v1/models', steps: [{ drop: true }] });
  await assert.rejects(get('/openai_compatible/v1/models'));
  const cleared = await (await control('DELETE', 'scenario')).json();
  assert.equal(cleared.cleared, 2, 'the two repeating scenarios were still active');
  assert.equal((await post('/huggingface/hf-inference/models/a/pipeline/feature-extraction', { inputs: 'x' })).status, 200);
});

test('aborted is logged when the client gives up during a delay', async () => {
  await control('DELETE', 'requests');
  await control('POST', 'scenario', { service: 'openrouter', path: '/api/v1/chat/completions', preset: 'slow', delay_ms: 5000 });
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 200);
  await assert.rejects(post('/openrouter/api/v1/chat/completions', chat('m'), BEARER, { signal: ac.signal }));
  let entry;
  for (let i = 0; i < 50 && !entry?.aborted; i++) {
    await sleep(20);
    [entry] = await log('openrouter');
  }
  assert.equal(entry.aborted, true);
  assert.equal(entry.status, null);
  assert.ok(entry.completed_at_ms - entry.received_at_ms < 2000, 'the wait ended with the connection');
  await control('DELETE', 'scenario');

  // A stream aborted midway is logged with its status and aborted: true.
  await control('DELETE', 'requests');
  const sc = new AbortController();
  const res = await post('/openrouter/api/v1/chat/completions', chat('m', { stream: true }), BEARER, { signal: sc.signal });
  await res.body.getReader().read();
  sc.abort();
  entry = undefined;
  for (let i = 0; i < 50 && !entry?.completed_at_ms; i++) {
    await sleep(20);
    [entry] = await log('openrouter');
  }
  assert.deepEqual([entry.status, entry.aborted], [200, true]);
});

test('control API rejects bad input with a 400 naming the field', async () => {
  const cases = [
    ['{not json', 'body'],
    [{ path: '/v1/chat/completions', steps: ['ok'] }, 'service'],
    [{ service: 'nope', path: '/x', steps: ['ok'] }, 'service'],
    [{ service: 'openrouter', steps: ['ok'] }, 'path'],
    [{ service: 'openrouter', path: '/v1/chat/completions', steps: ['ok'] }, 'path'],
    [{ service: 'openrouter', path: '/api/v1/chat/completions' }, 'steps'],
    [{ service: 'openrouter', path: '/api/v1/chat/completions', steps: [] }, 'steps'],
    [{ service: 'openrouter', path: '/api/v1/chat/completions', steps: ['ok', { status: 99 }] }, 'steps[1].status'],
    [{ service: 'openrouter', path: '/api/v1/chat/completions', steps: [{ delay: 5 }] }, 'steps[0].delay'],
    [{ service: 'openrouter', path: '/api/v1/chat/completions', steps: ['fine'] }, 'steps[0]'],
    [{ service: 'openrouter', path: '/api/v1/chat/completions', preset: 'flaky' }, 'preset'],
    [{ service: 'openrouter', path: '/api/v1/chat/completions', preset: 'slow', repeat: 'yes' }, 'repeat'],
  ];
  for (const [body, field] of cases) {
    const res = await control('POST', 'scenario', body);
    assert.equal(res.status, 400, JSON.stringify(body));
    const err = await res.json();
    assert.equal(err.field, field, JSON.stringify(err));
    assert.ok(err.message.length > 10);
  }
  const r = await control('GET', 'requests?service=nope');
  assert.equal(r.status, 400);
  assert.equal((await r.json()).field, 'service');
  assert.equal((await control('GET', 'nothing')).status, 404);
  assert.equal((await get('/unknown/v1/x')).status, 404);
  assert.equal((await post('/openrouter/api/v1/nowhere', {})).status, 404);
});

test('a malformed fixture file stops the stand-in with the file and the JSON error', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'standin-'));
  try {
    fs.writeFileSync(path.join(dir, 'broken.json'), '{\n  "auth": {"header": "authorization",}\n}\n');
    const s = start(['--services', dir]);
    const { code, stderr } = await s.exited;
    assert.equal(code, 2);
    assert.match(stderr, /broken\.json: invalid JSON: .*line 2/);
    fs.writeFileSync(path.join(dir, 'broken.json'), JSON.stringify({ auth: { header: 'authorization', missing: { body: {} }, invalid: { body: {} } }, errors: { format: {} }, routes: [{ method: 'POST', path: 'v1/x', response: { body: {} } }] }));
    const s2 = await start(['--services', dir]).exited;
    assert.equal(s2.code, 2);
    assert.match(s2.stderr, /broken\.json: routes\[0\]\.path must be a string starting with "\/"/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// ---- the stateful vector databases (lib/vector_dbs.mjs) ------------------------

const PINECONE = { 'api-key': 'pc-test' };

test('Pinecone: upsert, query nearest with metadata and filter, delete, limits, errors', async () => {
  const ns = `t${Date.now()}`;
  const vectors = [
    { id: 'a', values: [1, 0, 0], metadata: { table: 'orders', text: 'first' } },
    { id: 'b', values: [0, 1, 0], metadata: { table: 'orders' } },
    { id: 'c', values: [0.9, 0.1, 0], metadata: { table: 'users' } },
  ];
  let res = await post('/pinecone/vectors/upsert', { vectors, namespace: ns }, PINECONE);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { upsertedCount: 3 });
  res = await post('/pinecone/query', { vector: [1, 0, 0], topK: 2, namespace: ns, includeMetadata: true }, PINECONE);
  let body = await res.json();
  assert.equal(body.namespace, ns);
  assert.deepEqual(body.matches.map((m) => m.id), ['a', 'c']);
  assert.ok(Math.abs(body.matches[0].score - 1) < 1e-9);
  assert.deepEqual(body.matches[0].metadata, { table: 'orders', text: 'first' });
  body = await (await post('/pinecone/query', { vector: [1, 0, 0], topK: 5, namespace: ns, includeMetadata: true, filter: { table: { $eq: 'orders' } } }, PINECONE)).json();
  assert.deepEqual(body.matches.map((m) => m.id), ['a', 'b']);
  body = await (await post('/pinecone/query', { vector: [1, 0, 0], topK: 5, namespace: `${ns}-other` }, PINECONE)).json();
  assert.deepEqual(body.matches, [], 'another namespace is empty');
  res = await post('/pinecone/vectors/delete', { ids: ['a'], namespace: ns }, PINECONE);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), {});
  body = await (await post('/pinecone/query', { vector: [1, 0, 0], topK: 1, namespace: ns }, PINECONE)).json();
  assert.equal(body.matches[0].id, 'c');
  // Errors: RpcStatus bodies.
  res = await post('/pinecone/vectors/upsert', { vectors: [{ id: 'x', values: [1, 2] }], namespace: ns }, PINECONE);
  assert.equal(res.status, 400);
  assert.deepEqual(await res.json(), { code: 3, message: 'Vector dimension 2 does not match the dimension of the index 3', details: [] });
  const many = Array.from({ length: 1001 }, (_, i) => ({ id: `v${i}`, values: [1, 0, 0] }));
  assert.equal((await post('/pinecone/vectors/upsert', { vectors: many, namespace: ns }, PINECONE)).status, 400);
  res = await post('/pinecone/query', { vector: [1, 0, 0], topK: 1 }, { 'api-key': 'invalid' });
  assert.equal(res.status, 401);
  assert.equal((await res.json()).code, 16);
  assert.equal((await post('/pinecone/query', { vector: [1, 0, 0], topK: 1 }, {})).status, 401);
  assert.equal((await post('/pinecone/vectors/nowhere', {}, PINECONE)).status, 404);
  // A scenario's error step leaves the state alone.
  await control('POST', 'scenario', { service: 'pinecone', path: '/vectors/upsert', steps: [{ status: 503 }] });
  res = await post('/pinecone/vectors/upsert', { vectors: [{ id: 'z', values: [0, 0, 1] }], namespace: ns }, PINECONE);
  assert.equal(res.status, 503);
  assert.equal((await res.json()).code, 14);
  const stats = await (await post('/pinecone/describe_index_stats', {}, PINECONE)).json();
  assert.deepEqual(stats.namespaces[ns], { vectorCount: 2 });
  assert.equal(stats.dimension, 3);
});

test('Weaviate: batch objects, GraphQL nearVector with where, delete, errors', async () => {
  const cls = `Doc${Date.now()}`;
  const W = { authorization: 'Bearer wv-test' };
  const id = (n) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  let res = await post('/weaviate/v1/batch/objects', {
    objects: [
      { class: cls, id: id(1), properties: { chunk_id: 'a', table: 'orders' }, vector: [1, 0] },
      { class: cls, id: id(2), properties: { chunk_id: 'b', table: 'users' }, vector: [0.8, 0.6] },
      { class: cls, id: 'not-a-uuid', properties: {}, vector: [1, 0] },
      { class: cls, id: id(3), properties: {}, vector: [1, 0, 0] },
    ],
  }, W);
  assert.equal(res.status, 200);
  let body = await res.json();
  assert.deepEqual(body.map((o) => o.result.status), ['SUCCESS', 'SUCCESS', 'FAILED', 'FAILED']);
  assert.match(body[3].result.errors.error[0].message, /vector with length 3/);
  const q = (args, fields = 'chunk_id table _additional { id distance }') =>
    post('/weaviate/v1/graphql', { query: `{ Get { ${cls}(${args}) { ${fields} } } }` }, W);
  body = await (await q('nearVector: {vector: [1, 0]}, limit: 5')).json();
  const rows = body.data.Get[cls];
  assert.deepEqual(rows.map((r) => r.chunk_id), ['a', 'b']);
  assert.equal(rows[0]._additional.id, id(1));
  assert.ok(Math.abs(rows[0]._additional.distance) < 1e-9);
  assert.ok(Math.abs(rows[1]._additional.distance - 0.2) < 1e-9, 'cosine distance = 1 - similarity');
  body = await (await q('nearVector: {vector: [1, 0]}, limit: 5, where: {path: ["table"], operator: Equal, valueText: "us\\"ers"}')).json();
  assert.deepEqual(body.data.Get[cls], [], 'escaped strings are read');
  body = await (await q('nearVector: {vector: [1, 0]}, limit: 5, where: {operator: And, operands: [{path: ["table"], operator: Equal, valueText: "users"}]}')).json();
  assert.deepEqual(body.data.Get[cls].map((r) => r.chunk_id), ['b']);
  // GraphQL errors come with 200.
  res = await post('/weaviate/v1/graphql', { query: '{ Get { NoSuchClass(limit: 1) { x } } }' }, W);
  assert.equal(res.status, 200);
  body = await res.json();
  assert.match(body.errors[0].message, /Cannot query field "NoSuchClass"/);
  body = await (await post('/weaviate/v1/graphql', { query: '{ Get { X(limit: 1 { x } } }' }, W)).json();
  assert.match(body.errors[0].message, /^Syntax Error/);
  assert.deepEqual(body.errors[0].locations, [{ line: 1, column: 20 }]);
  // Delete: 204, then 404.
  const del = () => fetch(`${base}/weaviate/v1/objects/${cls}/${id(1)}`, { method: 'DELETE', headers: W });
  assert.equal((await del()).status, 204);
  assert.equal((await del()).status, 404);
  body = await (await q('nearVector: {vector: [1, 0]}, limit: 5')).json();
  assert.deepEqual(body.data.Get[cls].map((r) => r.chunk_id), ['b']);
  // Auth: 401 in Weaviate's format; a bad body: 422 {"error":[{"message"}]}.
  res = await post('/weaviate/v1/batch/objects', { objects: [] }, { authorization: 'Bearer invalid' });
  assert.equal(res.status, 401);
  assert.equal((await res.json()).code, 401);
  res = await post('/weaviate/v1/batch/objects', { nothing: 1 }, W);
  assert.equal(res.status, 422);
  assert.match((await res.json()).error[0].message, /objects/);
});
