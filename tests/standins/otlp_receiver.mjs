#!/usr/bin/env node
// otlp_receiver.mjs: stands in for Arize's OTLP/HTTP endpoint (POST
// /v1/traces, protobuf). It decodes each request with the official
// OpenTelemetry protobuf definitions (npm @opentelemetry/otlp-transformer,
// its generated root.js), not with anything of ours, and checks every span
// attribute name against npm @arizeai/openinference-semantic-conventions.
// Both come from tools/setup's npm cache ($SOPHIA_MCP_MODULES).
//
//   node tests/standins/otlp_receiver.mjs [--exit-with-stdin]
//
// First stdout line: "otlp listening http://127.0.0.1:PORT". Control:
//   POST /_otlp/fail {"count":N,"status":503,"retry_after":"1"}  the next N exports fail
//   GET  /_otlp/requests  every export: {status, headers, spans, error?}
//   DELETE /_otlp/requests

import http from 'node:http';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';

const modules =
  process.env.SOPHIA_MCP_MODULES ||
  `${process.env.SOPHIA_NPM_CACHE || `${homedir()}/.cache/sophia/npm`}/mcp/node_modules`;
const require = createRequire(`${modules}/`);
let root;
let conventions;
try {
  root = require('@opentelemetry/otlp-transformer/build/src/generated/root.js');
  conventions = require('@arizeai/openinference-semantic-conventions');
} catch (err) {
  process.stderr.write(`otlp_receiver: npm packages missing in ${modules} (run tools/setup): ${err.message}\n`);
  process.exit(2);
}
const Request = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

// Every attribute name the conventions define, and the flattened message
// forms (llm.input_messages.N.message.role, ...).
const sc = conventions.SemanticConventions;
const known = new Set(Object.values(sc).filter((v) => typeof v === 'string'));
for (const v of Object.values(conventions.SemanticResourceAttributes || {})) known.add(v);
const listed = [sc.LLM_INPUT_MESSAGES, sc.LLM_OUTPUT_MESSAGES];
const inner = [sc.MESSAGE_ROLE, sc.MESSAGE_CONTENT];
function isKnown(key) {
  if (known.has(key)) return true;
  return listed.some((l) => inner.some((i) => new RegExp(`^${l.replace(/\./g, '\\.')}\\.\\d+\\.${i.replace(/\./g, '\\.')}$`).test(key)));
}

const hex = (b) => Buffer.from(b).toString('hex');
function anyValue(v) {
  if (v.stringValue !== undefined && v.stringValue !== null && v.stringValue !== '') return v.stringValue;
  if (v.boolValue !== undefined && v.boolValue !== null && v.boolValue !== false) return v.boolValue;
  if (v.intValue !== undefined && v.intValue !== null && String(v.intValue) !== '0') return Number(v.intValue);
  if (v.doubleValue !== undefined && v.doubleValue !== null && v.doubleValue !== 0) return v.doubleValue;
  // Zero values: tell them apart by which oneof field the decoder set.
  if ('stringValue' in v) return v.stringValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return v.doubleValue;
  if ('boolValue' in v) return v.boolValue;
  return null;
}
const attrs = (list) => Object.fromEntries((list || []).map((kv) => [kv.key, anyValue(kv.value || {})]));

function decode(buf) {
  const msg = Request.decode(buf);
  const spans = [];
  for (const rs of msg.resourceSpans || []) {
    const resource = attrs(rs.resource && rs.resource.attributes);
    for (const ss of rs.scopeSpans || []) {
      for (const s of ss.spans || []) {
        const a = attrs(s.attributes);
        spans.push({
          resource,
          scope: ss.scope ? { name: ss.scope.name, version: ss.scope.version } : null,
          name: s.name,
          kind: s.kind,
          trace_id: hex(s.traceId),
          span_id: hex(s.spanId),
          parent_span_id: s.parentSpanId && s.parentSpanId.length ? hex(s.parentSpanId) : '',
          start_ns: String(s.startTimeUnixNano),
          end_ns: String(s.endTimeUnixNano),
          status: s.status ? { code: s.status.code || 0, message: s.status.message || '' } : null,
          attributes: a,
          unknown_attributes: Object.keys(a).filter((k) => !isKnown(k)),
        });
      }
    }
  }
  return spans;
}

const requests = [];
let fail = { count: 0, status: 503, retry_after: '1' };

function json(res, status, body, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/_otlp/requests') {
      if (req.method === 'DELETE') {
        requests.length = 0;
        return json(res, 200, { ok: true });
      }
      return json(res, 200, { requests });
    }
    if (url.pathname === '/_otlp/fail' && req.method === 'POST') {
      try {
        fail = { status: 503, retry_after: '1', ...JSON.parse(body.toString() || '{}') };
      } catch (err) {
        return json(res, 400, { error: `body: ${err.message}` });
      }
      return json(res, 200, { ok: true, fail });
    }
    if (url.pathname !== '/v1/traces' || req.method !== 'POST') return json(res, 404, { error: 'not found' });
    const entry = {
      status: 200,
      headers: { space_id: req.headers.space_id, api_key: req.headers.api_key, 'content-type': req.headers['content-type'] },
      received_at_ms: Number(process.hrtime.bigint() / 1000000n),
      spans: [],
    };
    requests.push(entry);
    if (!req.headers.space_id || !req.headers.api_key) {
      entry.status = 401;
      return json(res, 401, { error: 'missing space_id or api_key header' });
    }
    if (req.headers['content-type'] !== 'application/x-protobuf') {
      entry.status = 415;
      return json(res, 415, { error: `content-type ${req.headers['content-type']}` });
    }
    if (fail.count > 0) {
      fail.count -= 1;
      entry.status = fail.status;
      return json(res, fail.status, { error: 'scripted failure' }, { 'retry-after': fail.retry_after });
    }
    try {
      entry.spans = decode(body);
    } catch (err) {
      entry.status = 400;
      entry.error = err.message;
      return json(res, 400, { error: `cannot decode ExportTraceServiceRequest: ${err.message}` });
    }
    res.writeHead(200, { 'content-type': 'application/x-protobuf' });
    res.end();
  });
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`otlp listening http://127.0.0.1:${server.address().port}\n`);
});
const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 500).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
if (process.argv.includes('--exit-with-stdin')) {
  process.stdin.on('end', stop);
  process.stdin.resume();
}
