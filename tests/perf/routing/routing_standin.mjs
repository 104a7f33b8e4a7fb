// routing_standin.mjs: an OpenAI-compatible provider that serves every model
// of a RouterBench-style dataset and answers each prompt with the token
// counts and cost that the dataset recorded for that model on that prompt,
// so that what the router spends is what the dataset says it would have.
//
//   node routing_standin.mjs --dataset FILE.jsonl --models models.json [--port 0]
//
// Prints `standin listening http://127.0.0.1:PORT` first (base_url is that
// plus /v1), then serves until stdin closes or a signal:
//   GET  /v1/models            every model of models.json, with OpenRouter's
//                              per-token `pricing` and a 32k context
//   POST /v1/chat/completions  the row whose prompt is the last user message;
//                              usage {prompt_tokens, completion_tokens, cost}
//                              reproduces its recorded cost_usd[model];
//                              a prompt not in the dataset costs ~4 chars a
//                              token at the model's price
// Needs `Authorization: Bearer <token>` (401 otherwise). Never reveals the
// row's quality: the router must learn it from feedback.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { argReader } from '../../integration/mcp/node_support.mjs';

const arg = argReader('routing_standin');

const prices = JSON.parse(readFileSync(arg('--models'), 'utf8')).usd_per_1M_tokens_in_out;
const byPrompt = new Map();
for (const line of readFileSync(arg('--dataset'), 'utf8').split('\n')) {
  if (!line.trim()) continue;
  const row = JSON.parse(line);
  byPrompt.set(row.prompt, row.cost_usd);
}

// Token counts whose cost at the model's price is the recorded one: the
// prompt tokens first (~4 characters a token, at most the whole cost), the
// completion tokens for the rest; `cost` is the recorded value itself.
function usage(model, prompt) {
  const [pin, pout] = prices[model].map((p) => p / 1e6);
  const recorded = byPrompt.get(prompt)?.[model];
  const est = Math.ceil(prompt.length / 4) + 3;
  if (recorded === undefined) {
    const cost = est * pin + 16 * pout;
    return { prompt_tokens: est, completion_tokens: 16, total_tokens: est + 16, cost };
  }
  const prompt_tokens = Math.min(est, Math.floor(recorded / pin));
  const completion_tokens = Math.max(0, Math.round((recorded - prompt_tokens * pin) / pout));
  return {
    prompt_tokens,
    completion_tokens,
    total_tokens: prompt_tokens + completion_tokens,
    cost: recorded,
  };
}

function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

let served = 0;
const server = createServer((req, res) => {
  const auth = req.headers.authorization || '';
  if (!/^Bearer \S+$/.test(auth)) {
    return send(res, 401, { error: { message: 'Invalid API key', type: 'invalid_request_error' } });
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (req.method === 'GET' && req.url === '/v1/models') {
      const data = Object.entries(prices).map(([id, [pin, pout]]) => ({
        id,
        object: 'model',
        name: id,
        context_length: 32768,
        pricing: { prompt: String(pin / 1e6), completion: String(pout / 1e6) },
      }));
      return send(res, 200, { object: 'list', data });
    }
    if (req.method === 'POST' && req.url === '/v1/chat/completions') {
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch (e) {
        return send(res, 400, { error: { message: `body is not JSON: ${e.message}` } });
      }
      if (!prices[body.model]) {
        return send(res, 404, { error: { message: `The model ${body.model} does not exist` } });
      }
      const users = (body.messages || []).filter((m) => m.role === 'user');
      const prompt = users.length ? String(users[users.length - 1].content) : '';
      served++;
      return send(res, 200, {
        id: `chatcmpl-${served}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        choices: [{ index: 0, message: { role: 'assistant', content: 'A' }, finish_reason: 'stop' }],
        usage: usage(body.model, prompt),
      });
    }
    send(res, 404, { error: { message: `no route ${req.method} ${req.url}` } });
  });
});

server.keepAliveTimeout = 60_000;
server.listen(Number(arg('--port', '0')), '127.0.0.1', () => {
  console.log(`standin listening http://127.0.0.1:${server.address().port}`);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
for (const s of ['SIGTERM', 'SIGINT']) process.on(s, () => process.exit(0));
