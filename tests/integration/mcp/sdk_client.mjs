// sdk_client.mjs: drives an MCP server with the official TypeScript SDK client
// (@modelcontextprotocol/sdk, installed by tools/setup), a client that nobody
// on this project wrote. See README.md next to this file.
//
//   node sdk_client.mjs --http URL [--header 'Name: value']... [--scenario NAME]
//   node sdk_client.mjs [--scenario NAME] --stdio -- CMD ARGS... [--scenario NAME]
//
// NAME is `all` (default), one scenario, or a comma-separated list. `smoke`
// (list tools and ping; not part of `all`) works against any MCP server.
// Prints `ok NAME` or `FAIL NAME: reason` per scenario; exits 0 when all
// passed, 1 when one failed, 2 on bad usage or when the 60 s watchdog fires.
//
// The SDK is imported by absolute path from $SOPHIA_MCP_MODULES (see
// tools/npm-env), since NODE_PATH does not apply to ES modules.

import { importSdk } from './node_support.mjs';

const WATCHDOG_MS = 60_000;
const REQUEST_TIMEOUT_MS = 15_000; // per request, so a hang names its scenario
export const SAMPLING_ANSWER = 'Canned sampling answer from the Sophia SDK test client.';
export const ELICITATION_ANSWER = { username: 'sdk', email: 'sdk@example.com' };
const SIMPLE_TEXT = 'This is a simple text response for testing.';

let transport;
let child; // the server process of --stdio: it must not outlive us
const childAlive = () => child && child.exitCode === null && child.signalCode === null;
function killServer(signal) {
  if (childAlive()) {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}
const watchdog = setTimeout(() => {
  console.log(`FAIL watchdog: not done after ${WATCHDOG_MS / 1000} s`);
  killServer('SIGKILL');
  process.exit(2);
}, WATCHDOG_MS);

function usage(msg) {
  if (msg) console.error(`sdk_client: ${msg}`);
  console.error(
    'usage: node sdk_client.mjs --http URL [--header "Name: value"]... [--scenario NAME]\n' +
      '       node sdk_client.mjs [--scenario NAME] --stdio -- CMD ARGS...\n' +
      `scenarios: all (default), smoke, ai, ${Object.keys(scenarios).join(', ')}`,
  );
  process.exit(2);
}

// ---- the SDK ---------------------------------------------------------------

const sdk = (p) => importSdk('sdk_client', p);
const { Client } = await sdk('client/index.js');
const { StreamableHTTPClientTransport } = await sdk('client/streamableHttp.js');
const { StdioClientTransport, getDefaultEnvironment } = await sdk('client/stdio.js');
const { CreateMessageRequestSchema, ElicitRequestSchema } = await sdk('types.js');

// ---- helpers ---------------------------------------------------------------

class Check extends Error {}
function expect(cond, msg) {
  if (!cond) throw new Check(msg);
}
const j = (v) => {
  const s = JSON.stringify(v);
  return s && s.length > 300 ? `${s.slice(0, 300)}...` : s;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const opts = (extra = {}) => ({ timeout: REQUEST_TIMEOUT_MS, ...extra });

// Follows nextCursor to the end; `key` is the array in each page.
async function paginate(fetchPage, key) {
  const items = [];
  const seen = new Set();
  let cursor;
  for (let page = 0; ; page++) {
    expect(page < 1000, 'more than 1000 pages');
    const res = await fetchPage(cursor === undefined ? {} : { cursor });
    expect(Array.isArray(res[key]), `page ${page} has no ${key} array: ${j(res)}`);
    items.push(...res[key]);
    if (res.nextCursor === undefined || res.nextCursor === null) return items;
    expect(typeof res.nextCursor === 'string', `nextCursor is not a string: ${j(res.nextCursor)}`);
    expect(!seen.has(res.nextCursor), `nextCursor ${j(res.nextCursor)} repeats`);
    seen.add(res.nextCursor);
    cursor = res.nextCursor;
  }
}

function textItems(result) {
  return (result.content || []).filter((c) => c && c.type === 'text');
}

// ---- scenarios -------------------------------------------------------------

let samplingRequests = 0;
let elicitationRequests = 0;

const scenarios = {
  async list_tools(client) {
    const tools = await paginate((p) => client.listTools(p, opts()), 'tools');
    const names = tools.map((t) => t.name);
    for (const want of ['test_simple_text', 'test_tool_with_progress', 'test_slow_tool', 'sophia.cluster_status']) {
      expect(names.includes(want), `no tool ${want} among ${tools.length}: ${j(names)}`);
    }
    expect(new Set(names).size === names.length, `duplicate tool names: ${j(names)}`);
    for (const t of tools) {
      expect(typeof t.description === 'string' && t.description.length > 0, `tool ${t.name} has no description`);
      expect(t.inputSchema && t.inputSchema.type === 'object', `tool ${t.name} inputSchema is not an object schema: ${j(t.inputSchema)}`);
    }
  },

  async call_text(client) {
    const res = await client.callTool({ name: 'test_simple_text', arguments: {} }, undefined, opts());
    expect(!res.isError, `isError: ${j(res)}`);
    const c = res.content && res.content[0];
    expect(c && c.type === 'text' && c.text === SIMPLE_TEXT, `content[0] is ${j(c)}, want text ${j(SIMPLE_TEXT)}`);
  },

  async call_error(client) {
    // An unknown tool may also give isError; make sure this one exists.
    const tools = await paginate((p) => client.listTools(p, opts()), 'tools');
    expect(tools.some((t) => t.name === 'test_error_handling'), 'no tool test_error_handling');
    const res = await client.callTool({ name: 'test_error_handling', arguments: {} }, undefined, opts());
    expect(res.isError === true, `isError is ${j(res.isError)}: ${j(res)}`);
    const t = textItems(res);
    expect(t.length > 0 && t[0].text, `no error text: ${j(res)}`);
  },

  // The SDK client runs notification handlers a microtask late but handles a
  // response at once, dropping the call's progress handler: a progress
  // notification that reaches it in the same read as the result never gets to
  // onprogress (seen with server-everything over stdio). So the checks are made
  // on the notifications as received (the transport tap), and onprogress must
  // have seen a prefix of them.
  async progress(client) {
    const seen = [];
    const since = wire.progress.length;
    const res = await client.callTool(
      { name: 'test_tool_with_progress', arguments: {} },
      undefined,
      opts({ onprogress: (p) => seen.push({ progress: p.progress, total: p.total }) }),
    );
    expect(!res.isError, `isError: ${j(res)}`);
    const token = wire.lastProgressToken;
    expect(token !== undefined, 'the SDK sent no progressToken');
    const got = wire.progress
      .slice(since)
      .filter((p) => p.progressToken === token)
      .map((p) => ({ progress: p.progress, total: p.total }));
    expect(got.length >= 3, `${got.length} progress notifications, want >= 3: ${j(got)}`);
    for (let i = 1; i < got.length; i++) {
      expect(got[i].progress >= got[i - 1].progress, `progress decreases: ${j(got)}`);
    }
    const last = got[got.length - 1];
    expect(last.total === 100 && last.progress === last.total, `last progress ${j(last)}, want 100 of 100`);
    expect(seen.length >= 1, `onprogress was never called (received ${j(got)})`);
    expect(j(seen) === j(got.slice(0, seen.length)), `onprogress saw ${j(seen)}, received ${j(got)}`);
  },

  async cancel(client) {
    const ac = new AbortController();
    const call = client.callTool(
      { name: 'test_slow_tool', arguments: { ms: 30000 } },
      undefined,
      opts({ signal: ac.signal, timeout: 40_000 }),
    );
    let abortedAt;
    setTimeout(() => {
      abortedAt = Date.now();
      ac.abort();
    }, 300);
    const outcome = await Promise.race([
      call.then(
        (res) => ({ resolved: res }),
        (err) => ({ rejected: err }),
      ),
      sleep(2300 + 2000).then(() => ({ hung: true })), // 300 ms + 2 s, plus slack for a slow start
    ]);
    expect(!outcome.hung, 'the call neither resolved nor rejected within 2 s of the abort');
    expect(!outcome.resolved, `the call resolved instead of rejecting: ${j(outcome.resolved)}`);
    const err = outcome.rejected;
    const what = `${err && err.name}: ${err && err.message}`;
    expect(abortedAt !== undefined, `the call rejected before the abort: ${what}`);
    const after = Date.now() - abortedAt;
    expect(after <= 2000, `rejected ${after} ms after the abort, want <= 2000`);
    expect(
      (err && err.name === 'AbortError') || /abort|cancel/i.test(String(err && err.message)),
      `rejected with ${what}, want an AbortError or a cancellation`,
    );
    // The session survives the cancellation.
    const ping = await client.ping(opts({ timeout: 5000 }));
    expect(ping && typeof ping === 'object', `ping after cancel returned ${j(ping)}`);
    const res = await client.callTool({ name: 'test_simple_text', arguments: {} }, undefined, opts({ timeout: 5000 }));
    expect(!res.isError && textItems(res)[0]?.text === SIMPLE_TEXT, `test_simple_text after cancel: ${j(res)}`);
  },

  async resource(client) {
    const uri = 'test://static-text';
    const res = await client.readResource({ uri }, opts());
    const c = res.contents && res.contents[0];
    expect(c, `no contents: ${j(res)}`);
    expect(c.uri === uri, `contents[0].uri is ${j(c.uri)}, want ${uri}`);
    expect(c.mimeType === 'text/plain', `contents[0].mimeType is ${j(c.mimeType)}, want text/plain`);
    expect(typeof c.text === 'string' && c.text.length > 0, `contents[0] has no text: ${j(c)}`);
    const all = await paginate((p) => client.listResources(p, opts()), 'resources');
    expect(all.some((r) => r.uri === uri), `listResources lacks ${uri}: ${j(all.map((r) => r.uri))}`);
  },

  async cluster_status(client) {
    const res = await client.callTool({ name: 'sophia.cluster_status', arguments: {} }, undefined, opts());
    expect(!res.isError, `isError: ${j(res)}`);
    expect(textItems(res).length > 0, `no text item: ${j(res.content)}`);
    const members = res.structuredContent && res.structuredContent.members;
    expect(Array.isArray(members) && members.length > 0, `structuredContent.members is ${j(members)}, want a non-empty array`);
  },

  async sampling(client) {
    const before = samplingRequests;
    const res = await client.callTool({ name: 'test_sampling', arguments: { prompt: 'hi' } }, undefined, opts());
    expect(!res.isError, `isError: ${j(res)}`);
    expect(samplingRequests > before, 'the server sent no sampling/createMessage request');
    const text = textItems(res).map((t) => t.text).join('\n');
    expect(text.includes(SAMPLING_ANSWER), `text content ${j(text)} lacks the sampling answer ${j(SAMPLING_ANSWER)}`);
  },
};

// Not in `all`: works against any MCP server (e.g. server-everything).
async function smoke(client) {
  const tools = await paginate((p) => client.listTools(p, opts()), 'tools');
  expect(tools.length > 0, 'no tools');
  const ping = await client.ping(opts());
  expect(ping && typeof ping === 'object', `ping returned ${j(ping)}`);
}

// Not in `all`: the AI providers' tools on a cluster whose services point at
// the stand-ins (tests/standins; ai_test.sh), through the edge.
async function ai(client) {
  const tools = await paginate((p) => client.listTools(p, opts()), 'tools');
  const names = tools.map((t) => t.name);
  for (const want of ['openrouter.chat', 'openrouter.models', 'together_ai.embed', 'together_ai.chat']) {
    expect(names.includes(want), `no tool ${want} among ${j(names)}`);
  }
  expect(!names.some((n) => n.startsWith('portkey.')), `portkey is not configured, yet listed: ${j(names)}`);
  const chat = tools.find((t) => t.name === 'openrouter.chat');
  expect(chat.outputSchema && chat.outputSchema.required.includes('cost_usd'), `openrouter.chat outputSchema: ${j(chat.outputSchema)}`);
  const res = await client.callTool(
    { name: 'openrouter.chat', arguments: { model: 'openai/gpt-4o-mini', prompt: 'What is the capital of France?' } },
    undefined,
    opts(),
  );
  expect(!res.isError, `openrouter.chat isError: ${j(res)}`);
  const s = res.structuredContent;
  expect(s && s.text === 'The capital of France is Paris.', `openrouter.chat structuredContent: ${j(s)}`);
  expect(s.model === 'openai/gpt-4o-mini' && s.cost_usd > 0 && s.usage.total_tokens > 0, `openrouter.chat usage/cost: ${j(s)}`);
  const emb = await client.callTool(
    { name: 'together_ai.embed', arguments: { model: 'BAAI/bge-base-en-v1.5', input: ['alpha', 'beta'] } },
    undefined,
    opts(),
  );
  expect(!emb.isError, `together_ai.embed isError: ${j(emb)}`);
  const e = emb.structuredContent;
  expect(e && e.dimensions === 768 && e.embeddings.length === 2 && e.embeddings[0].length === 768, `together_ai.embed: ${j(e).slice(0, 300)}`);
  const bad = await client.callTool({ name: 'openrouter.chat', arguments: { model: 'x' } }, undefined, opts()).catch((err) => ({ thrown: err }));
  const badText = bad.thrown ? String(bad.thrown.message) : j(bad);
  expect(badText.includes('messages or prompt'), `a chat without messages or prompt: ${badText}`);
}

// ---- command line ----------------------------------------------------------

const argv = process.argv.slice(2);
let url;
const headers = {};
let stdioCmd;
let scenarioArg = 'all';
{
  // Options after `--` belong to the server command, except a trailing
  // `--scenario NAME`, accepted there for convenience.
  const dd = argv.indexOf('--');
  let own = dd < 0 ? argv : argv.slice(0, dd);
  if (dd >= 0) {
    stdioCmd = argv.slice(dd + 1);
    const n = stdioCmd.length;
    if (n >= 2 && stdioCmd[n - 2] === '--scenario') {
      own = [...own, ...stdioCmd.slice(n - 2)];
      stdioCmd = stdioCmd.slice(0, n - 2);
    }
  }
  let stdio = false;
  for (let i = 0; i < own.length; i++) {
    const a = own[i];
    const val = () => (i + 1 < own.length ? own[++i] : usage(`${a} needs a value`));
    if (a === '--http') url = val();
    else if (a === '--header') {
      const h = val();
      const k = h.indexOf(':');
      if (k <= 0) usage(`bad header ${j(h)}, want 'Name: value'`);
      headers[h.slice(0, k).trim()] = h.slice(k + 1).trim();
    } else if (a === '--stdio') stdio = true;
    else if (a === '--scenario') scenarioArg = val();
    else if (a === '-h' || a === '--help') usage();
    else usage(`unknown argument ${j(a)}`);
  }
  if (stdio && (!stdioCmd || stdioCmd.length === 0)) usage('--stdio needs -- CMD ARGS...');
  if (!stdio) {
    if (stdioCmd) usage('a command after -- needs --stdio');
    stdioCmd = undefined;
  }
  if (!url === !stdio) usage('give exactly one of --http URL or --stdio -- CMD');
  if (stdio && Object.keys(headers).length) usage('--header only applies to --http');
}

const selected = [];
for (const name of scenarioArg.split(',').map((s) => s.trim()).filter(Boolean)) {
  if (name === 'all') selected.push(...Object.keys(scenarios));
  else if (name === 'smoke' || name === 'ai' || name in scenarios) selected.push(name);
  else usage(`unknown scenario ${j(name)}`);
}
if (selected.length === 0) usage('no scenario');

// ---- run -------------------------------------------------------------------

const client = new Client(
  { name: 'sophia-sdk-client', version: '1.0.0' },
  { capabilities: { sampling: {}, elicitation: {} } },
);
client.setRequestHandler(CreateMessageRequestSchema, async () => {
  samplingRequests++;
  return {
    role: 'assistant',
    content: { type: 'text', text: SAMPLING_ANSWER },
    model: 'sophia-sdk-client-canned',
    stopReason: 'endTurn',
  };
});
client.setRequestHandler(ElicitRequestSchema, async () => {
  elicitationRequests++;
  return { action: 'accept', content: { ...ELICITATION_ANSWER } };
});

transport = url
  ? new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } })
  : new StdioClientTransport({
      command: stdioCmd[0],
      args: stdioCmd.slice(1),
      env: { ...getDefaultEnvironment(), ...process.env },
      stderr: 'inherit',
    });
if (!url) {
  // The SDK forgets its child when closing; keep hold of it to make sure it ends.
  const start = transport.start.bind(transport);
  transport.start = async () => {
    await start();
    child = transport._process;
  };
}

// Ends the session within about 3 s (HTTP: DELETE of the session, tolerated
// to fail; stdio: the SDK closes the server's stdin, then signals it), then
// makes sure a stdio server is gone.
async function shutdown(code) {
  try {
    const end = async () => {
      if (url && transport.sessionId) await transport.terminateSession().catch(() => {});
      await client.close();
    };
    await Promise.race([end(), sleep(3000)]);
  } catch {
    // closing is best effort; the verdict is already printed
  }
  if (childAlive()) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    killServer('SIGTERM');
    await Promise.race([exited, sleep(1000)]);
    killServer('SIGKILL');
  }
  clearTimeout(watchdog);
  process.exit(code);
}

// A tap on the transport, below the SDK's dispatch: the progress tokens the
// client sends and the progress notifications as they arrive.
const wire = { progress: [], lastProgressToken: undefined };
function tapTransport() {
  const onmessage = transport.onmessage;
  transport.onmessage = (msg, extra) => {
    if (msg && msg.method === 'notifications/progress' && msg.params) wire.progress.push(msg.params);
    return onmessage.call(transport, msg, extra);
  };
  const send = transport.send.bind(transport);
  transport.send = (msg, options) => {
    const token = msg && msg.params && msg.params._meta && msg.params._meta.progressToken;
    if (token !== undefined && 'id' in msg) wire.lastProgressToken = token;
    return send(msg, options);
  };
}

let failed = 0;
try {
  await client.connect(transport, opts());
  tapTransport();
} catch (err) {
  console.log(`FAIL connect: ${err && err.message ? err.message : err}`);
  await shutdown(1);
}
for (const name of selected) {
  try {
    await ({ smoke, ai }[name] || scenarios[name])(client);
    console.log(`ok ${name}`);
  } catch (err) {
    failed++;
    const reason = err instanceof Check ? err.message : `${err && err.name}: ${err && err.message}`;
    console.log(`FAIL ${name}: ${reason}`);
  }
}
await shutdown(failed ? 1 : 0);
