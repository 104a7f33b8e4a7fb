// What the Node scripts of the tests and benchmarks share: their command
// line and the official MCP TypeScript SDK, imported by absolute path from
// $SOPHIA_MCP_MODULES (see tools/npm-env), since NODE_PATH does not apply
// to ES modules.
import { pathToFileURL } from 'node:url';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';

/// A reader of `program`'s options: arg('--name') is the value after
/// --name; without one, `fallback` when given, else exit 2 naming it.
export function argReader(program) {
  return (name, fallback) => {
    const i = process.argv.indexOf(name);
    if (i < 0 || i + 1 >= process.argv.length) {
      if (fallback !== undefined) return fallback;
      console.error(`${program}: ${name} is required`);
      process.exit(2);
    }
    return process.argv[i + 1];
  };
}

/// Imports `path` (e.g. 'client/index.js') of the SDK's ESM build; exits 2
/// naming `program` when the SDK is not installed.
export async function importSdk(program, path) {
  const modules =
    process.env.SOPHIA_MCP_MODULES ||
    `${process.env.SOPHIA_NPM_CACHE || `${homedir()}/.cache/sophia/npm`}/mcp/node_modules`;
  const dir = `${modules}/@modelcontextprotocol/sdk/dist/esm`;
  if (!existsSync(`${dir}/client/index.js`)) {
    console.error(`${program}: no MCP SDK in ${modules}; run tools/setup and source tools/npm-env`);
    process.exit(2);
  }
  return import(pathToFileURL(`${dir}/${path}`).href);
}

/// Exits 2 naming `program` when it is not done after `seconds`; returns
/// the timer (clear it when done).
export function watchdog(program, seconds) {
  return setTimeout(() => {
    console.log(`FAIL watchdog: ${program} not done after ${seconds} s`);
    process.exit(2);
  }, seconds * 1000);
}

/// The checks of a test script: `ok NAME` or `FAIL NAME: reason` per check;
/// `failures()` counts the failed ones.
export function checker() {
  let failed = 0;
  const ok = (name) => console.log(`ok ${name}`);
  const fail = (name, why) => {
    failed++;
    console.log(`FAIL ${name}: ${why}`);
  };
  return {
    ok,
    fail,
    check: (name, cond, why) => (cond ? ok(name) : fail(name, why())),
    failures: () => failed,
  };
}

/// An SDK client over Streamable HTTP at `url`, with a bearer key.
export async function connectHttp(program, url, bearer, name = program) {
  const { Client } = await importSdk(program, 'client/index.js');
  const { StreamableHTTPClientTransport } = await importSdk(program, 'client/streamableHttp.js');
  const c = new Client({ name, version: '1' });
  await c.connect(new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${bearer}` } },
  }));
  return c;
}
