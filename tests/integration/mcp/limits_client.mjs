// limits_client.mjs: cluster-wide limits through two edges, with the official
// SDK client (run by limits_test.sh, which starts the cluster and stand-ins).
//
//   node limits_client.mjs --phase spend|restarted --a URL --b URL --standin URL
//                          --key OPS_KEY --team-key TEAM_KEY
//
// `spend`: API key `team` (daily budget 3 cents) spends through both edges
// at once until refused; Together AI's cluster_requests_per_minute (6)
// holds across both edges; waits until the spend is in PostgreSQL.
// `restarted`: after node a (the limiter's) was killed and restarted, the
// key is still refused through both edges.
// Prints `ok NAME` or `FAIL NAME: reason` per check; exits 1 when one failed,
// 2 on bad usage or after the 150 s watchdog.
import { argReader, checker, connectHttp, watchdog } from './node_support.mjs';

const timer = watchdog('limits_client', 150);
const arg = argReader('limits_client');
const phase = arg('--phase');
const urlA = arg('--a');
const urlB = arg('--b');
const standin = arg('--standin');
const opsKey = arg('--key');
const teamKey = arg('--team-key');
const { fail, check, failures } = checker();
const j = (v) => JSON.stringify(v)?.slice(0, 800);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const budget = 0.03;
// Each router leases 5 % of a limit at a time (the default lease_percent).
const leases = 2 * 0.05 * budget;

const raw = (c, name, args) => c.callTool({ name, arguments: args }, undefined, { timeout: 60_000 });
const text = (r) => r.content?.map((c) => c.text).join(' ') ?? '';
async function call(c, name, args) {
  const r = await raw(c, name, args);
  if (r.isError) throw new Error(`${name} failed: ${text(r)}`);
  return r.structuredContent;
}
const requests = async (service) =>
  (await (await fetch(`${standin}/_standin/requests?service=${service}`)).json()).requests.length;

const clients = [];
const open = async (url, bearer) => {
  const c = await connectHttp('limits_client', url, bearer);
  clients.push(c);
  return c;
};

// Waits until the router behind `c` lists both providers' models.
const catalogReady = async (c, where) => {
  for (let i = 0; i < 300; i++) {
    const r = await raw(c, 'ai.models', { capability: 'chat' });
    if (!r.isError) {
      const providers = new Set(r.structuredContent.models.map((m) => m.provider));
      if (providers.has('openrouter') && providers.has('together_ai')) return true;
    }
    await sleep(100);
  }
  fail(`the router behind ${where} lists both providers' models`, 'not within 30 s');
  return false;
};

const spendArgs = { prompt: 'Summarise the plot of Hamlet in one line.', models: ['openai/gpt-4'], max_tokens: 20 };

// Calls with `team` until a refusal that says the budget is used up;
// refusals while the limiter is still reading the spend are retried.
const spender = async (c, tally) => {
  for (let i = 0; i < 200; i++) {
    const r = await raw(c, 'ai.intelligent_generate', spendArgs);
    if (!r.isError) {
      tally.calls++;
      tally.spent += r.structuredContent.cost_usd;
      continue;
    }
    const why = text(r);
    if (/used up/.test(why)) {
      tally.refusal = why;
      return;
    }
    tally.other.push(why);
    await sleep(200);
  }
};

const spendPhase = async () => {
  const opsA = await open(urlA, opsKey);
  const opsB = await open(urlB, opsKey);
  if (!(await catalogReady(opsA, 'edge a')) || !(await catalogReady(opsB, 'edge b'))) return;
  // cluster.conf's [models."ID"]: a prior quality, a model added for a
  // provider that does not list it; the plan says where the quality is from.
  const models = await call(opsA, 'ai.models', { capability: 'code' });
  const house = models.models.find((m) => m.id === 'sophia/house-model');
  check('ai.models lists a model the file adds for a provider, with its prior quality',
    house && house.provider === 'together_ai' && house.configured === true &&
      house.prompt_usd_per_mtok === 0.05 && house.prior_quality?.code === 0.8,
    () => j(models.models.filter((m) => m.configured)));
  const plan = await call(opsA, 'sophia.optimize_routing', {
    request_type: 'chat', task_type: 'code', models: ['deepseek-ai/DeepSeek-V3'],
  });
  check('a configured prior quality stands in until outcomes come',
    plan.steps[0].quality === 0.85 && /configured prior/.test(plan.steps[0].reason),
    () => j(plan.steps));
  const teamA = await open(urlA, teamKey);
  const teamB = await open(urlB, teamKey);
  const a = { calls: 0, spent: 0, other: [] };
  const b = { calls: 0, spent: 0, other: [] };
  // Three calls at a time through each edge.
  await Promise.all([spender(teamA, a), spender(teamA, a), spender(teamA, a),
    spender(teamB, b), spender(teamB, b), spender(teamB, b)]);
  const spent = a.spent + b.spent;
  const show = () => j({ spent, a: { calls: a.calls, spent: a.spent, refusal: a.refusal, other: a.other.slice(0, 3) },
    b: { calls: b.calls, spent: b.spent, refusal: b.refusal, other: b.other.slice(0, 3) } });
  console.log(`spent ${spent.toFixed(6)} USD in ${a.calls} calls through edge a and ${b.calls} through edge b`);
  check('both edges spend the key\'s budget', a.calls > 0 && b.calls > 0, show);
  check('the total stays within the budget plus the leases outstanding', spent <= budget + leases + 1e-9, show);
  check('the budget is used, not stranded in leases', spent >= budget - leases - 0.005, show);
  check('the refusal names the limit, across the cluster',
    /\[api_keys\.team\] daily_budget_cents/.test(a.refusal) && /across the cluster/.test(b.refusal ?? ''), show);
  const before = await requests('openrouter');
  const again = await Promise.all([raw(teamA, 'ai.intelligent_generate', spendArgs), raw(teamB, 'ai.intelligent_generate', spendArgs)]);
  const after = await requests('openrouter');
  check('once spent, neither edge makes a request for the key',
    again.every((r) => r.isError) && after === before, () => j({ again, before, after }));
  for (const [c, where] of [[opsA, 'a'], [opsB, 'b']]) {
    const st = await call(c, 'ai.router_status', {});
    const lease = (st.leases ?? []).find((l) => l.id === 'api_key/team/daily_usd');
    check(`the router of node ${where} leased the budget from the limiter`,
      lease && lease.granted > 0 && lease.used > 0, () => j(st.leases));
  }

  // Together AI takes 6 calls a minute from the whole cluster. A UTC
  // minute is the window: start with 25 s of it left at least.
  const sec = new Date().getUTCSeconds();
  if (sec > 35) await sleep((61 - sec) * 1000);
  const pinned = { prompt: 'Name a prime number.', models: ['deepseek-ai/DeepSeek-V3'], max_tokens: 10 };
  const t0 = await requests('together_ai');
  let served = 0;
  const limited = [];
  for (let i = 0; i < 10; i++) {
    const r = await raw(i % 2 ? opsB : opsA, 'ai.intelligent_generate', pinned);
    if (r.isError) limited.push(text(r));
    else served++;
  }
  const t1 = await requests('together_ai');
  console.log(`together_ai served ${served} of 10 calls alternating between the edges`);
  check('a provider\'s cluster_requests_per_minute holds across both edges',
    served >= 4 && served <= 6 && t1 - t0 === served && limited.length === 10 - served &&
      limited.every((w) => /\[services\.together_ai\] cluster_requests_per_minute/.test(w)),
    () => j({ served, requests: t1 - t0, limited: limited.slice(0, 2) }));

  // The spend reaches PostgreSQL (node b's pipeline) before node a dies.
  let stored = 0;
  for (let i = 0; i < 150 && stored < spent - 1e-9; i++) {
    const r = await raw(opsB, 'pipeline.query', {
      sql: "SELECT coalesce(sum(cost_usd), 0) AS s FROM sophia.ai_interactions WHERE api_key = 'team'",
    });
    if (!r.isError) stored = Number(r.structuredContent.rows[0][0]);
    if (stored < spent - 1e-9) await sleep(200);
  }
  check('the key\'s spend is stored in sophia.ai_interactions', stored >= spent - 1e-9, () => j({ stored, spent }));
};

const restartedPhase = async () => {
  const teamA = await open(urlA, teamKey);
  const teamB = await open(urlB, teamKey);
  // Node a's new router has no lease; its new limiter reads the spend from
  // PostgreSQL before it grants any budget. Nothing may get through.
  let through = 0;
  let refusal = '';
  const seen = [];
  for (let i = 0; i < 100 && !/used up/.test(refusal); i++) {
    const r = await raw(teamA, 'ai.intelligent_generate', spendArgs);
    if (!r.isError) {
      through++;
      break;
    }
    refusal = text(r);
    if (seen.length < 3) seen.push(refusal);
    if (!/used up/.test(refusal)) await sleep(300);
  }
  check('after the limiter\'s node restarts, the key\'s spend still counts (read from PostgreSQL)',
    through === 0 && /used up/.test(refusal), () => j({ through, refusal, seen }));
  const viaB = await raw(teamB, 'ai.intelligent_generate', spendArgs);
  check('and node b still refuses it', viaB.isError, () => j(viaB));
};

try {
  if (phase === 'spend') await spendPhase();
  else if (phase === 'restarted') await restartedPhase();
  else fail('usage', `unknown phase ${phase}`);
} catch (err) {
  fail('limits scenarios', err.stack || String(err));
}
for (const c of clients) await c.close().catch(() => {});
clearTimeout(timer);
process.exit(failures() ? 1 : 0);
