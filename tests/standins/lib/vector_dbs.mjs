// vector_dbs.mjs: the stateful routes of the vector databases, in memory:
// Pinecone's data plane (one index: namespaces of vectors with metadata) and
// Weaviate's objects (classes created on first insert) with its GraphQL Get
// nearVector queries. A route names its handler in its fixture
// ("response": {"handler": "pinecone.upsert"}); the server calls it after
// the auth and body checks, and only when the normal reply is due (not for a
// scenario's error step). A handler returns {status?, body} or
// {status, error: message}, which the server renders in the service's error
// format. State lives as long as the stand-in process.

import { randomUUID } from 'node:crypto';
import { GraphqlError, parse as parseGraphql } from './graphql.mjs';

const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const isVector = (v) => Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number' && Number.isFinite(x));
const bad = (error) => ({ status: 400, error });

function cosine(a, b) {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

// ---- Pinecone ----------------------------------------------------------------
// Limits as documented: 1000 vectors and 2 MB per upsert, 40 KB of metadata
// per vector, ids of 512 bytes, topK up to 10000, 1000 ids per delete.

const pinecone = { dimension: null, namespaces: new Map() };

const namespaceOf = (body) => (typeof body.namespace === 'string' ? body.namespace : '');

function pineconeFilter(filter, md) {
  const cmp = (v, cond) => {
    if (!isObj(cond)) return v === cond;
    return Object.entries(cond).every(([op, want]) => {
      switch (op) {
        case '$eq': return v === want;
        case '$ne': return v !== want;
        case '$gt': return v > want;
        case '$gte': return v >= want;
        case '$lt': return v < want;
        case '$lte': return v <= want;
        case '$in': return Array.isArray(want) && want.includes(v);
        case '$nin': return Array.isArray(want) && !want.includes(v);
        case '$exists': return (v !== undefined) === want;
        default: throw new Error(`unsupported filter operator ${op}`);
      }
    });
  };
  return Object.entries(filter).every(([key, cond]) => {
    if (key === '$and') return cond.every((f) => pineconeFilter(f, md));
    if (key === '$or') return cond.some((f) => pineconeFilter(f, md));
    return cmp(md[key], cond);
  });
}

function pineconeUpsert({ body }) {
  if (!isObj(body) || !Array.isArray(body.vectors) || body.vectors.length === 0) return bad('vectors: expected a non-empty list');
  if (body.vectors.length > 1000) return bad(`Upsert batch size ${body.vectors.length} exceeds the limit of 1000 vectors`);
  const size = Buffer.byteLength(JSON.stringify(body));
  if (size > 2 * 1024 * 1024) return bad(`Request size ${size} bytes exceeds the limit of 2097152 bytes`);
  let dim = pinecone.dimension;
  for (const [i, v] of body.vectors.entries()) {
    if (!isObj(v) || typeof v.id !== 'string' || v.id === '') return bad(`vectors[${i}].id: expected a non-empty string`);
    if (Buffer.byteLength(v.id) > 512) return bad(`Vector ID must be 512 characters or less: ${v.id.slice(0, 40)}...`);
    if (!isVector(v.values)) return bad(`vectors[${i}].values: expected a non-empty list of finite numbers`);
    if (dim !== null && v.values.length !== dim) return bad(`Vector dimension ${v.values.length} does not match the dimension of the index ${dim}`);
    dim = v.values.length;
    if (v.metadata !== undefined && !isObj(v.metadata)) return bad(`vectors[${i}].metadata: expected an object`);
    const mdSize = Buffer.byteLength(JSON.stringify(v.metadata ?? {}));
    if (mdSize > 40960) return bad(`Metadata size is ${mdSize} bytes, which exceeds the limit of 40960 bytes per vector`);
  }
  pinecone.dimension = dim;
  const ns = namespaceOf(body);
  if (!pinecone.namespaces.has(ns)) pinecone.namespaces.set(ns, new Map());
  const store = pinecone.namespaces.get(ns);
  for (const v of body.vectors) store.set(v.id, { id: v.id, values: v.values, metadata: v.metadata ?? {} });
  return { body: { upsertedCount: body.vectors.length } };
}

function pineconeQuery({ body }) {
  if (!isObj(body)) return bad('the body must be an object');
  if (!Number.isInteger(body.topK) || body.topK < 1 || body.topK > 10000) return bad('topK must be an integer between 1 and 10000');
  const ns = namespaceOf(body);
  const store = pinecone.namespaces.get(ns) ?? new Map();
  let vector = body.vector;
  if (body.id !== undefined) {
    if (vector !== undefined) return bad('Cannot provide both "id" and "vector"');
    vector = store.get(body.id)?.values;
    if (!vector) return { body: { matches: [], namespace: ns, usage: { readUnits: 1 } } };
  }
  if (!isVector(vector)) return bad('vector: expected a non-empty list of finite numbers (or an id)');
  if (pinecone.dimension !== null && vector.length !== pinecone.dimension) {
    return bad(`Query vector dimension ${vector.length} does not match the dimension of the index ${pinecone.dimension}`);
  }
  if (body.filter !== undefined && !isObj(body.filter)) return bad('filter: expected an object');
  let hits;
  try {
    hits = [...store.values()].filter((v) => !body.filter || pineconeFilter(body.filter, v.metadata));
  } catch (err) {
    return bad(`Invalid filter: ${err.message}`);
  }
  const matches = hits
    .map((v) => ({ v, score: cosine(vector, v.values) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, body.topK)
    .map(({ v, score }) => ({
      id: v.id,
      score,
      values: body.includeValues ? v.values : [],
      ...(body.includeMetadata ? { metadata: v.metadata } : {}),
    }));
  return { body: { results: [], matches, namespace: ns, usage: { readUnits: 5 } } };
}

function pineconeDelete({ body }) {
  if (!isObj(body)) return bad('the body must be an object');
  const ns = namespaceOf(body);
  const store = pinecone.namespaces.get(ns);
  if (body.deleteAll === true) {
    pinecone.namespaces.delete(ns);
    return { body: {} };
  }
  if (!Array.isArray(body.ids) || body.ids.some((id) => typeof id !== 'string')) return bad('ids: expected a list of strings');
  if (body.ids.length > 1000) return bad(`Delete request size ${body.ids.length} exceeds the limit of 1000 ids`);
  for (const id of body.ids) store?.delete(id);
  return { body: {} };
}

function pineconeStats() {
  const namespaces = {};
  let total = 0;
  for (const [ns, store] of pinecone.namespaces) {
    namespaces[ns] = { vectorCount: store.size };
    total += store.size;
  }
  return { body: { namespaces, dimension: pinecone.dimension ?? 0, indexFullness: 0, totalVectorCount: total } };
}

// ---- Weaviate ------------------------------------------------------------------

const weaviate = { classes: new Map() }; // name -> {dimension, objects: Map(uuid -> object)}
const CLASS = /^[A-Z][_0-9A-Za-z]*$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function weaviateBatch({ body }) {
  if (!isObj(body) || !Array.isArray(body.objects)) {
    return { status: 422, error: 'validation failed: objects: expected a list' };
  }
  const now = Date.now();
  const results = body.objects.map((o) => {
    const errs = [];
    const cls = isObj(o) && typeof o.class === 'string' ? o.class : '';
    const id = isObj(o) && o.id !== undefined ? o.id : randomUUID();
    if (!CLASS.test(cls)) errs.push(`'${cls}' is not a valid class name`);
    if (typeof id !== 'string' || !UUID.test(id)) errs.push(`id '${id}' is not a valid uuid`);
    if (isObj(o) && o.properties !== undefined && !isObj(o.properties)) errs.push('properties must be an object');
    if (isObj(o) && o.vector !== undefined && !isVector(o.vector)) errs.push('vector must be a list of finite numbers');
    const c = weaviate.classes.get(cls);
    const vector = isObj(o) && o.vector ? o.vector : null;
    if (errs.length === 0 && c && vector && c.dimension !== null && vector.length !== c.dimension) {
      errs.push(`inconsistent vector lengths: new node has a vector with length ${vector.length}. Existing nodes have vectors with length ${c.dimension}`);
    }
    const out = { class: cls, id, properties: isObj(o) ? o.properties ?? {} : {}, creationTimeUnix: now, lastUpdateTimeUnix: now };
    if (errs.length > 0) return { ...out, result: { status: 'FAILED', errors: { error: errs.map((message) => ({ message })) } } };
    if (!c) weaviate.classes.set(cls, { dimension: vector ? vector.length : null, objects: new Map() });
    const cl = weaviate.classes.get(cls);
    if (cl.dimension === null && vector) cl.dimension = vector.length;
    cl.objects.set(id.toLowerCase(), { class: cls, id: id.toLowerCase(), properties: out.properties, vector, creationTimeUnix: now });
    return { ...out, result: { status: 'SUCCESS' } };
  });
  return { body: results };
}

function whereMatches(where, props) {
  if (!isObj(where)) throw new Error('where: expected an object');
  const op = where.operator?.enum ?? where.operator;
  if (op === 'And' || op === 'Or') {
    const parts = (where.operands ?? []).map((w) => whereMatches(w, props));
    return op === 'And' ? parts.every(Boolean) : parts.some(Boolean);
  }
  const path = Array.isArray(where.path) ? where.path : [where.path];
  const v = props[path[0]];
  const want = where.valueText ?? where.valueString ?? where.valueInt ?? where.valueNumber ?? where.valueBoolean;
  switch (op) {
    case 'Equal': return v === want;
    case 'NotEqual': return v !== want;
    case 'GreaterThan': return v > want;
    case 'LessThan': return v < want;
    default: throw new Error(`unsupported where operator ${op}`);
  }
}

function graphqlErrors(message, locations = [{ line: 1, column: 1 }], path) {
  return { body: { errors: [{ message, locations, ...(path ? { path } : {}) }] } };
}

function weaviateGraphql({ body }) {
  if (!isObj(body) || typeof body.query !== 'string') return { status: 422, error: 'query: expected a string' };
  let top;
  try {
    top = parseGraphql(body.query, isObj(body.variables) ? body.variables : {});
  } catch (err) {
    if (err instanceof GraphqlError) return graphqlErrors(err.message, err.locations);
    throw err;
  }
  const data = {};
  const errors = [];
  for (const field of top) {
    if (field.name !== 'Get') return graphqlErrors(`Cannot query field "${field.name}" on type "WeaviateObj".`, [field.at]);
    data.Get = {};
    for (const sel of field.selections ?? []) {
      const cls = weaviate.classes.get(sel.name);
      if (!cls) {
        // A validation error: GraphQL answers it without data.
        return graphqlErrors(`Cannot query field "${sel.name}" on type "GetObjectsObj".`, [sel.at]);
      }
      const near = sel.args.nearVector;
      let objects = [...cls.objects.values()];
      try {
        if (sel.args.where !== undefined) objects = objects.filter((o) => whereMatches(sel.args.where, o.properties));
      } catch (err) {
        errors.push({ message: `invalid 'where' filter: ${err.message}`, locations: [sel.at], path: ['Get', sel.name] });
        data.Get[sel.name] = null;
        continue;
      }
      let scored = objects.map((o) => ({ o, distance: null }));
      if (near !== undefined) {
        if (!isObj(near) || !isVector(near.vector)) {
          errors.push({ message: 'nearVector: vector must be a list of numbers', locations: [sel.at], path: ['Get', sel.name] });
          data.Get[sel.name] = null;
          continue;
        }
        if (cls.dimension !== null && near.vector.length !== cls.dimension) {
          errors.push({
            message: `explorer: get class: vector search: object vector search at index ${sel.name.toLowerCase()}: shard: vector lengths don't match: ${near.vector.length} vs ${cls.dimension}`,
            locations: [sel.at], path: ['Get', sel.name],
          });
          data.Get[sel.name] = null;
          continue;
        }
        scored = objects
          .filter((o) => o.vector)
          .map((o) => ({ o, distance: 1 - cosine(near.vector, o.vector) }))
          .filter(({ distance }) => near.distance === undefined || distance <= near.distance)
          .filter(({ distance }) => near.certainty === undefined || 1 - distance / 2 >= near.certainty)
          .sort((a, b) => a.distance - b.distance);
      }
      const limit = Number.isInteger(sel.args.limit) ? sel.args.limit : 10;
      data.Get[sel.name] = scored.slice(0, limit).map(({ o, distance }) => {
        const row = {};
        for (const f of sel.selections ?? []) {
          if (f.name !== '_additional') {
            row[f.name] = o.properties[f.name] ?? null;
            continue;
          }
          const add = {};
          for (const a of f.selections ?? []) {
            if (a.name === 'id') add.id = o.id;
            else if (a.name === 'distance') add.distance = distance;
            else if (a.name === 'certainty') add.certainty = distance === null ? null : 1 - distance / 2;
            else if (a.name === 'vector') add.vector = o.vector;
            else add[a.name] = null;
          }
          row._additional = add;
        }
        return row;
      });
    }
  }
  return { body: errors.length > 0 ? { data, errors } : { data } };
}

function objectOf(params) {
  const cls = weaviate.classes.get(params.class);
  return cls?.objects.get(String(params.id).toLowerCase()) ? { cls, id: String(params.id).toLowerCase() } : null;
}

function weaviateDelete({ params }) {
  const hit = objectOf(params);
  if (!hit) return { status: 404, body: null };
  hit.cls.objects.delete(hit.id);
  return { status: 204, body: null };
}

function weaviateGet({ params }) {
  const hit = objectOf(params);
  if (!hit) return { status: 404, body: null };
  const o = hit.cls.objects.get(hit.id);
  return { body: { class: o.class, id: o.id, properties: o.properties, creationTimeUnix: o.creationTimeUnix } };
}

export const HANDLERS = new Map([
  ['pinecone.upsert', pineconeUpsert],
  ['pinecone.query', pineconeQuery],
  ['pinecone.delete', pineconeDelete],
  ['pinecone.stats', pineconeStats],
  ['weaviate.batch', weaviateBatch],
  ['weaviate.graphql', weaviateGraphql],
  ['weaviate.delete', weaviateDelete],
  ['weaviate.get', weaviateGet],
]);

// ctx: {body, params, query, headers}.
export function runHandler(name, ctx) {
  return HANDLERS.get(name)(ctx);
}
