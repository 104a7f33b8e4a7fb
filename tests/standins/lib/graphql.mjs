// graphql.mjs: just enough of GraphQL's syntax for Weaviate's Get queries:
// one operation of fields with arguments and selection sets, and values
// (objects, lists, strings with escapes, numbers, booleans, null, enums,
// $variables). Throws GraphqlError with a line and column, as servers report.

export class GraphqlError extends Error {
  constructor(message, line, column) {
    super(message);
    this.locations = [{ line, column }];
  }
}

function tokenize(src) {
  const tokens = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const here = () => ({ line, column: i - lineStart + 1 });
  while (i < src.length) {
    const c = src[i];
    if (c === '\n') { i++; line++; lineStart = i; continue; }
    if (c === ' ' || c === '\t' || c === '\r' || c === ',' || c === '\uFEFF') { i++; continue; }
    if (c === '#') { while (i < src.length && src[i] !== '\n') i++; continue; }
    const at = here();
    if ('{}()[]:$!='.includes(c)) { tokens.push({ kind: c, at }); i++; continue; }
    if (c === '.' && src.startsWith('...', i)) { tokens.push({ kind: '...', at }); i += 3; continue; }
    if (c === '"') {
      let j = i + 1;
      let text = '';
      while (j < src.length && src[j] !== '"') {
        if (src[j] === '\n') throw new GraphqlError('Syntax Error: Unterminated string.', at.line, at.column);
        if (src[j] === '\\') {
          const e = src[j + 1];
          const map = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
          if (e in map) { text += map[e]; j += 2; continue; }
          if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(src.slice(j + 2, j + 6))) {
            text += String.fromCharCode(parseInt(src.slice(j + 2, j + 6), 16));
            j += 6;
            continue;
          }
          throw new GraphqlError(`Syntax Error: Invalid character escape sequence: \\${e}.`, at.line, at.column);
        }
        text += src[j++];
      }
      if (j >= src.length) throw new GraphqlError('Syntax Error: Unterminated string.', at.line, at.column);
      tokens.push({ kind: 'string', value: text, at });
      i = j + 1;
      continue;
    }
    const num = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(src.slice(i));
    if (num && num[0] !== '-') { tokens.push({ kind: 'number', value: Number(num[0]), at }); i += num[0].length; continue; }
    const name = /^[_A-Za-z][_0-9A-Za-z]*/.exec(src.slice(i));
    if (name) { tokens.push({ kind: 'name', value: name[0], at }); i += name[0].length; continue; }
    throw new GraphqlError(`Syntax Error: Unexpected character: "${c}".`, at.line, at.column);
  }
  tokens.push({ kind: 'eof', at: here() });
  return tokens;
}

// parse(text, variables) -> the top selection set: [{name, args, selections}].
export function parse(text, variables = {}) {
  const tokens = tokenize(text);
  let p = 0;
  const peek = () => tokens[p];
  const fail = (t, what) => {
    const shown = t.kind === 'eof' ? '<EOF>' : t.kind === 'name' || t.kind === 'number' ? `"${t.value}"` : `"${t.kind}"`;
    throw new GraphqlError(`Syntax Error: Expected ${what}, found ${shown}.`, t.at.line, t.at.column);
  };
  const expect = (kind) => {
    const t = tokens[p];
    if (t.kind !== kind) fail(t, `"${kind}"`);
    p++;
    return t;
  };
  function value() {
    const t = tokens[p++];
    switch (t.kind) {
      case 'string': case 'number': return t.value;
      case 'name':
        if (t.value === 'true') return true;
        if (t.value === 'false') return false;
        if (t.value === 'null') return null;
        return { enum: t.value };
      case '$': {
        const n = expect('name').value;
        if (!(n in variables)) throw new GraphqlError(`Variable "$${n}" is not defined.`, t.at.line, t.at.column);
        return variables[n];
      }
      case '[': {
        const out = [];
        while (peek().kind !== ']') { if (peek().kind === 'eof') fail(peek(), '"]"'); out.push(value()); }
        p++;
        return out;
      }
      case '{': {
        const out = {};
        while (peek().kind !== '}') {
          const k = expect('name').value;
          expect(':');
          out[k] = value();
        }
        p++;
        return out;
      }
      default: return fail(t, 'a value');
    }
  }
  function selections() {
    expect('{');
    const out = [];
    while (peek().kind !== '}') {
      const t = expect('name');
      const field = { name: t.value, args: {}, selections: null, at: t.at };
      if (peek().kind === '(') {
        p++;
        while (peek().kind !== ')') {
          const k = expect('name').value;
          expect(':');
          field.args[k] = value();
        }
        p++;
      }
      if (peek().kind === '{') field.selections = selections();
      out.push(field);
    }
    p++;
    return out;
  }
  // An optional `query Name($v: [Float])` header; variable types are not checked.
  if (peek().kind === 'name' && peek().value === 'query') {
    p++;
    if (peek().kind === 'name') p++;
    if (peek().kind === '(') { while (tokens[p].kind !== ')' && tokens[p].kind !== 'eof') p++; expect(')'); }
  }
  const top = selections();
  if (peek().kind !== 'eof') fail(peek(), '<EOF>');
  return top;
}
