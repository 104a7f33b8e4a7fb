// router_client.mjs: the AI router's scenarios with the official SDK client
// (run by router_test.sh, which starts the cluster and the stand-ins).
//
//   node router_client.mjs --phase learn|restarted --http URL --standin URL --otlp URL
//
// `learn` runs the scenarios on a fresh cluster and waits until the
// interactions are in PostgreSQL; `restarted` runs after node b was killed
// and restarted, and checks what the router remembers.
// Prints `ok NAME` or `FAIL NAME: reason` per check; exits 1 when one failed,
// 2 on bad usage or after the 120 s watchdog.
import { argReader, checker, connectHttp, watchdog } from './node_support.mjs';

const timer = watchdog('router_client', 120);
const arg = argReader('router_client');
const url = arg('--http');
const standin = arg('--standin');
const otlp = arg('--otlp');
const phase = arg('--phase');
const key = arg('--key');
const teamKey = arg('--team-key');
const { fail, check, failures } = checker();
const j = (v) => JSON.stringify(v)?.slice(0, 600);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const connect = (bearer) => connectHttp('router_client', url, bearer, 'router-test');
const client = await connect(key);
const team = await connect(teamKey);
const rawWith = (c, name, args) => c.callTool({ name, arguments: args }, undefined, { timeout: 60_000 });
const raw = (name, args) => rawWith(client, name, args);
async function call(name, args) {
  const r = await raw(name, args);
  if (r.isError) throw new Error(`${name} failed: ${r.content?.map((c) => c.text).join(' ')}`);
  return r.structuredContent;
}
const control = async (method, path, body) => {
  const r = await fetch(`${standin}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body && JSON.stringify(body),
  });
  return r.json();
};

const learnPhase = async () => {
  // The catalog: both providers' models, with prices, once the router has
  // asked them (node b may still be starting).
  let catalog;
  for (let i = 0; i < 200; i++) {
    catalog = await call('ai.models', { capability: 'chat' });
    const providers = new Set(catalog.models.map((m) => m.provider));
    if (providers.has('openrouter') && providers.has('together_ai')) break;
    await sleep(100);
  }
  const gpt4 = catalog.models.find((m) => m.id === 'openai/gpt-4');
  check('ai.models lists the chat models of OpenRouter and Together AI with prices',
    gpt4 && gpt4.provider === 'openrouter' && gpt4.prompt_usd_per_mtok === 30 &&
      catalog.models.some((m) => m.id === 'deepseek-ai/DeepSeek-V3' && m.completion_usd_per_mtok === 1.25) &&
      !catalog.models.some((m) => m.id === 'BAAI/bge-base-en-v1.5'),
    () => j(catalog));
  // A refresh that fails keeps the provider's last good catalog.
  await control('POST', '/_standin/scenario', { service: 'openrouter', path: '/api/v1/models', preset: 'server_errors' });
  const kept = await call('ai.models', { capability: 'chat', refresh: true });
  await control('DELETE', '/_standin/scenario');
  check('a catalog refresh that fails keeps the last catalog, saying why',
    kept.models.some((m) => m.id === 'openai/gpt-4' && m.provider === 'openrouter') &&
      /503|server|breaker/i.test(kept.refresh_errors.openrouter || ''),
    () => j({ errors: kept.refresh_errors, n: kept.models.length }));
  const res = await client.readResource({ uri: 'sophia://models' });
  check('the resource sophia://models holds the catalog',
    res.contents[0].text.includes('"openai/gpt-4o-mini"'), () => j(res));

  // No history: the price ranks the models; performance first takes the dearest.
  const pair = ['openai/gpt-4', 'openai/gpt-4o-mini'];
  const translate = (w) => `Translate the word '${w}' into French and answer with one word.`;
  const first = await call('ai.intelligent_generate', {
    prompt: translate('house'), cost_priority: 'low', performance_priority: 'high', models: pair, max_tokens: 20,
  });
  // The same, with the client's own W3C trace context in _meta (its spans
  // are looked for at Arize below).
  const clientTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
  const clientSpan = '00f067aa0ba902b7';
  const traced = await client.callTool({
    name: 'ai.intelligent_generate',
    arguments: { prompt: translate('house'), cost_priority: 'low', performance_priority: 'high', models: pair, max_tokens: 20 },
    _meta: { traceparent: `00-${clientTrace}-${clientSpan}-01` },
  });
  check('with no history, performance first picks the dearest model',
    first.model === 'openai/gpt-4' && first.provider === 'openrouter' && first.candidates.length === 2 &&
      first.candidates[0].quality_from === 'price prior' && /^ai-[0-9a-f]{16}$/.test(first.interaction_id) &&
      first.cost_usd > 0 && first.text.length > 0,
    () => j(first));
  const thrifty = await call('ai.intelligent_generate', {
    prompt: translate('house'), cost_priority: 'high', performance_priority: 'low', models: pair,
  });
  check('with no history, cost first picks the cheaper model', thrifty.model === 'openai/gpt-4o-mini', () => j(thrifty));

  // Feedback: on prompts like this one gpt-4o-mini answers as well as gpt-4.
  const words = ['cat', 'dog', 'tree', 'water', 'bread', 'window', 'garden', 'river', 'school', 'friend',
    'book', 'chair', 'table', 'apple', 'street', 'city', 'night', 'morning', 'sun', 'moon'];
  for (const w of words) {
    for (const [model, feedback, cost] of [['openai/gpt-4', 1, 0.002], ['openai/gpt-4o-mini', 1, 0.00001]])
      await call('ai.log_ai_interaction', {
        model, input: translate(w), output: 'x', metadata: { feedback, task_type: 'simple', provider: 'openrouter', cost_usd: cost },
      });
  }
  const later = await call('ai.intelligent_generate', {
    prompt: translate('house'), cost_priority: 'low', performance_priority: 'high', models: pair, max_tokens: 20,
  });
  check('feedback changes later decisions: the cheaper model that answers as well is taken',
    later.model === 'openai/gpt-4o-mini' && later.candidates[0].quality_from === 'memory' && later.candidates[0].neighbours > 0,
    () => j(later));
  const scored = await call('ai.feedback', { interaction_id: first.interaction_id, score: 0.25 });
  check('ai.feedback scores an interaction of intelligent_generate', scored.model === 'openai/gpt-4', () => j(scored));
  const unknown = await raw('ai.feedback', { interaction_id: 'ai-nope', score: 1 });
  check('ai.feedback names an unknown interaction',
    unknown.isError && unknown.content[0].text.includes('no interaction ai-nope'), () => j(unknown));
  // Invalid arguments are a JSON-RPC error (-32602) that names the field.
  const badLog = await raw('ai.log_ai_interaction', { model: 'm', input: 'x', metadata: { feedback: 1.5 } }).then(
    (r) => r,
    (e) => e,
  );
  check('ai.log_ai_interaction refuses a feedback outside [0, 1], naming it',
    badLog.code === -32602 && badLog.message.includes('/metadata/feedback'), () => String(badLog));

  // `candidates`: how many of the ranking the result lists (fewer: a
  // smaller result on every call); the total is always there.
  const lean = await call('ai.intelligent_generate', { prompt: translate('house'), models: pair, candidates: 0 });
  const one = await call('ai.intelligent_generate', { prompt: translate('house'), models: pair, candidates: 1 });
  check('candidates limits the ranking the result lists; candidates_total counts it all',
    lean.candidates.length === 0 && lean.candidates_total === 2 && lean.model === one.model &&
      one.candidates.length === 1 && one.candidates[0].model === one.model, () => j({ lean, one }));
  const badShown = await raw('ai.intelligent_generate', { prompt: 'x', candidates: 101 }).then((r) => r, (e) => e);
  check('candidates over 100 is refused, naming it',
    badShown.code === -32602 && badShown.message.includes('/candidates'), () => String(badShown));

  // max_cost_usd: refused on the estimate, before any call.
  const before = (await control('GET', '/_standin/requests?service=openrouter')).requests.length;
  const refused = await raw('ai.intelligent_generate', { prompt: 'Hello', models: ['openai/gpt-4'], max_cost_usd: 1e-9 });
  const after = (await control('GET', '/_standin/requests?service=openrouter')).requests.length;
  check('max_cost_usd refuses a call whose estimate exceeds it, without calling',
    refused.isError && refused.content[0].text.includes('exceeds max_cost_usd') && after === before, () => j(refused));

  // API key `team` may spend one cent a day: its calls go through until
  // what is left no longer covers the estimate, then are refused before any
  // request; the spend stays within the budget plus one call's error.
  const spendArgs = { prompt: 'Summarise the plot of Hamlet in one line.', models: ['openai/gpt-4'], max_tokens: 20 };
  let spent = 0;
  let refusal;
  for (let i = 0; i < 40 && !refusal; i++) {
    const r = await rawWith(team, 'ai.intelligent_generate', spendArgs);
    if (r.isError) refusal = r.content[0].text;
    else spent += r.structuredContent.cost_usd;
  }
  const reqsBefore = (await control('GET', '/_standin/requests?service=openrouter')).requests.length;
  const again = await rawWith(team, 'ai.intelligent_generate', spendArgs);
  const reqsAfter = (await control('GET', '/_standin/requests?service=openrouter')).requests.length;
  check('a key\'s daily budget refuses calls once spent, before any request, naming the limit',
    refusal && /\[api_keys\.team\] daily_budget_cents/.test(refusal) && spent > 0.005 && spent <= 0.01 + 0.003 &&
      again.isError && reqsAfter === reqsBefore,
    () => j({ refusal, spent, again, reqsBefore, reqsAfter }));
  const opsStill = await call('ai.intelligent_generate', spendArgs);
  check('another key is not limited by it', opsStill.model === 'openai/gpt-4', () => j(opsStill));
  // A failing provider: the next candidate on another provider answers, and
  // after 3 failures in a row the provider's breaker opens.
  await control('POST', '/_standin/scenario', {
    service: 'openrouter', path: '/api/v1/chat/completions', preset: 'server_errors',
  });
  const mixed = ['anthropic/claude-3.5-sonnet', 'deepseek-ai/DeepSeek-V3'];
  const haiku = { prompt: 'Write a haiku about the sea.', cost_priority: 'low', performance_priority: 'high', models: mixed, max_tokens: 40 };
  const fell = [];
  for (let i = 0; i < 3; i++) fell.push(await call('ai.intelligent_generate', haiku));
  // The first failure is the server's 503 (after the HTTP client's
  // retries); later ones may be the HTTP client's own breaker.
  check('a failing provider falls back to the next candidate on another provider',
    fell.every((f) => f.model === 'deepseek-ai/DeepSeek-V3' && f.provider === 'together_ai' &&
      f.fallbacks.length === 1 && f.fallbacks[0].provider === 'openrouter') &&
      /503/.test(fell[0].fallbacks[0].error),
    () => j(fell.map((f) => ({ model: f.model, fallbacks: f.fallbacks }))));
  const status = await call('ai.router_status', {});
  const breaker = status.live.providers.find((p) => p.provider === 'openrouter');
  check('three failures in a row open the provider breaker', breaker && breaker.breaker === 'open', () => j(status.live));
  const quiet = (await control('GET', '/_standin/requests?service=openrouter')).requests.length;
  const skipped = await call('ai.intelligent_generate', haiku);
  const still = (await control('GET', '/_standin/requests?service=openrouter')).requests.length;
  check('an open breaker ranks its provider last: no request reaches it',
    skipped.model === 'deepseek-ai/DeepSeek-V3' && skipped.fallbacks.length === 0 && still === quiet &&
      skipped.candidates[skipped.candidates.length - 1].breaker === 'open',
    () => j({ skipped, quiet, still }));
  await control('DELETE', '/_standin/scenario');

  // sophia.optimize_routing: the same decision as a plan, calling nothing.
  const careful = await call('sophia.optimize_routing', {
    request_type: 'chat', models: mixed,
    requirements: { cost_priority: 'low', performance_priority: 'high', reliability_priority: 'high' },
  });
  check('optimize_routing at high reliability leaves out the provider behind an open breaker',
    careful.steps.length === 1 && careful.steps[0].model === 'deepseek-ai/DeepSeek-V3' &&
      careful.steps[0].timeout_ms > 0 && /breaker closed/.test(careful.steps[0].reason),
    () => j(careful));
  const relaxed = await call('sophia.optimize_routing', {
    request_type: 'chat', models: mixed, requirements: { reliability_priority: 'low' },
  });
  check('optimize_routing at low reliability keeps it, last',
    relaxed.steps.length === 2 && relaxed.steps[1].provider === 'openrouter' && relaxed.steps[1].breaker === 'open',
    () => j(relaxed));
  const forPrompt = await call('sophia.optimize_routing', {
    request_type: 'chat', models: pair, prompt: translate('house'),
    requirements: { cost_priority: 'low', performance_priority: 'high' },
  });
  check('optimize_routing for a prompt plans from the outcomes of similar prompts',
    forPrompt.steps[0].model === 'openai/gpt-4o-mini' && /similar prompts/.test(forPrompt.steps[0].reason),
    () => j(forPrompt));
  const embed = await call('sophia.optimize_routing', { request_type: 'embed' });
  check('optimize_routing plans embeddings too',
    embed.steps.some((x) => x.model === 'BAAI/bge-base-en-v1.5' && x.provider === 'together_ai'), () => j(embed));

  // Spans of logged interactions reach Arize (the OTLP receiver).
  let span;
  for (let i = 0; i < 100 && !span; i++) {
    const log = await (await fetch(`${otlp}/_otlp/requests`)).json();
    for (const r of log.requests)
      for (const s of r.spans || [])
        if (s.attributes['llm.model_name'] === 'openai/gpt-4o-mini' &&
            String(s.attributes['llm.invocation_parameters'] || '').includes('"interaction_id"'))
          span = s;
    if (!span) await sleep(200);
  }
  check('logged interactions reach Arize as LLM spans', span && span.unknown_attributes.length === 0, () => j(span));
  // A routed call: the route's CHAIN span (how it was routed, in
  // `metadata`) with the provider's LLM span below it, in one trace.
  let route;
  let llm;
  for (let i = 0; i < 100 && !(route && llm); i++) {
    const all = (await (await fetch(`${otlp}/_otlp/requests`)).json()).requests.flatMap((r) => r.spans || []);
    route = all.find((s) => s.attributes['openinference.span.kind'] === 'CHAIN' &&
      String(s.attributes.metadata || '').includes(first.interaction_id));
    llm = route && all.find((s) => s.attributes['openinference.span.kind'] === 'LLM' &&
      s.trace_id === route.trace_id && s.parent_span_id === route.span_id);
    if (!(route && llm)) await sleep(200);
  }
  // A client that sends its own W3C trace context in _meta gets the route
  // in its trace, below its span.
  let joined;
  for (let i = 0; i < 100 && !joined && !traced.isError; i++) {
    const all = (await (await fetch(`${otlp}/_otlp/requests`)).json()).requests.flatMap((r) => r.spans || []);
    joined = all.find((s) => s.attributes['openinference.span.kind'] === 'CHAIN' &&
      String(s.attributes.metadata || '').includes(traced.structuredContent.interaction_id));
    if (!joined) await sleep(200);
  }
  check('a client\'s traceparent puts the route span in its trace, below its span',
    joined && joined.trace_id === clientTrace && joined.parent_span_id === clientSpan,
    () => j({ traced, joined }));
  const routeMeta = route ? JSON.parse(route.attributes.metadata) : {};
  check('a routed call reaches Arize as a route span over the provider\'s LLM span',
    route && llm && route.parent_span_id === '' && route.unknown_attributes.length === 0 &&
      routeMeta.model === 'openai/gpt-4' && routeMeta.provider === 'openrouter' &&
      routeMeta.candidates_total === 2 && String(llm.attributes['llm.model_name'] || '').startsWith('openai/gpt-4') &&
      route.attributes['llm.token_count.total'] === undefined,
    () => j({ route, llm }));

  // Every interaction reaches sophia.ai_interactions, with its latest
  // feedback: 7 intelligent_generate calls and 40 logged, 41 with feedback.
  let stored;
  for (let i = 0; i < 150; i++) {
    stored = await raw('pipeline.query', {
      sql: "SELECT count(*), count(feedback), max(feedback) FILTER (WHERE interaction_id = '" + first.interaction_id + "') FROM sophia.ai_interactions",
    });
    const row = stored.structuredContent?.rows?.[0];
    if (!stored.isError && row && Number(row[0]) >= 47 && Number(row[2]) === 0.25) break;
    await sleep(200);
  }
  const row = stored.structuredContent?.rows?.[0];
  check('every interaction is a row of sophia.ai_interactions, a later feedback replacing an earlier',
    row && Number(row[0]) >= 47 && Number(row[1]) >= 41 && Number(row[2]) === 0.25, () => j(stored));

  // ai.costs: the spend by key, model and provider; the routed calls'
  // costs are the stand-in's, the logged ones as logged (20 x $0.002 on gpt-4).
  const costs = await call('ai.costs', { period: 'day', group_by: ['api_key', 'model', 'provider'] });
  const gpt4Row = costs.rows.find((r) => r.model === 'openai/gpt-4' && r.provider === 'openrouter');
  check('ai.costs sums the spend by API key, model and provider',
    costs.total_usd > 0.04 && gpt4Row && gpt4Row.api_key === 'ops' && gpt4Row.calls >= 21 &&
      gpt4Row.cost_usd >= 0.04 && /^\d{4}-\d\d-\d\dT00:00:00Z$/.test(gpt4Row.period),
    () => j(costs));

  // Wait until the team's calls are stored, for the restart.
  for (let i = 0; i < 100; i++) {
    const r = await raw('pipeline.query', { sql: "SELECT coalesce(sum(cost_usd), 0) FROM sophia.ai_interactions WHERE api_key = 'team'" });
    if (!r.isError && Number(r.structuredContent.rows[0][0]) >= spent - 1e-9) break;
    await sleep(200);
  }
};

// After node b's kill -9 and restart: the memory is rebuilt from PostgreSQL.
const restartedPhase = async () => {
  let status;
  for (let i = 0; i < 300; i++) {
    try {
      status = await call('ai.router_status', {});
      if (status.store.rebuilt && status.models_in_catalog > 0) break;
    } catch {
      // node b's tools are not listed again yet
    }
    await sleep(100);
  }
  check('the restarted router rebuilds its memory from sophia.ai_interactions',
    status && status.store.rebuilt && status.outcomes >= 41, () => j(status));
  const pair = ['openai/gpt-4', 'openai/gpt-4o-mini'];
  const again = await call('ai.intelligent_generate', {
    prompt: "Translate the word 'house' into French and answer with one word.",
    cost_priority: 'low', performance_priority: 'high', models: pair, max_tokens: 20,
  });
  check('after the restart the router decides as it learned before',
    again.model === 'openai/gpt-4o-mini' && again.candidates[0].quality_from === 'memory', () => j(again));
  let refused;
  for (let i = 0; i < 50; i++) {
    refused = await rawWith(team, 'ai.intelligent_generate', { prompt: 'Hello', models: ['openai/gpt-4'], max_tokens: 20 });
    if (refused.isError) break;
    await sleep(200);
  }
  check('after the restart the key\'s spend is still counted (the limiter on node a kept it)',
    refused.isError && /daily/.test(refused.content[0].text), () => j(refused));
};

try {
  if (phase === 'learn') await learnPhase();
  else if (phase === 'restarted') await restartedPhase();
  else fail('usage', `unknown phase ${phase}`);
} catch (err) {
  fail('router scenarios', err.stack || String(err));
}
await client.close();
await team.close();
clearTimeout(timer);
process.exit(failures() ? 1 : 0);
