// The official TypeScript client 2.x with its default reconnection options
// (two attempts, each after the server's SSE retry hint) rides out a
// restart: a slow_task is running, the server is killed with SIGKILL and
// comes back 5 s later on the same file and port. The call ends with the
// interrupted JSON-RPC error, not a timeout, in the same session, which
// then goes on serving.
//
//   node reconnect_v2.mjs PATH_TO_MCPKEEP
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

import { Client, StreamableHTTPClientTransport, ProtocolError } from '@modelcontextprotocol/client';

import { killServers, startServe, waitFor } from './serve.mjs';

const binary = process.argv[2];
if (!binary) throw new Error('usage: node reconnect_v2.mjs PATH_TO_MCPKEEP');
const dir = mkdtempSync(join(tmpdir(), 'mcpkeep-v2-'));
const db = join(dir, 'reconnect.db');
const DOWNTIME_MS = Number(process.env.DOWNTIME_MS || 5000);  // 10000 by hand: the README claim

async function main() {
  const serve = (listen) => startServe(binary, ['--db', db, '--listen', listen]);  // its defaults
  const first = await serve('127.0.0.1:0');
  const url = first.url;
  const client = new Client({ name: 'mcpkeep-v2-reconnect-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(url);  // default reconnection options
  await client.connect(transport);
  const sessionId = transport.sessionId;
  assert.match(sessionId, /^[0-9a-f]{32}$/);

  let progress = 0;
  const started = Date.now();
  const call = client.callTool(
    { name: 'slow_task', arguments: { steps: 200, interval_ms: 100 } },
    { onprogress: () => { progress += 1; } });
  const outcome = call.then((result) => ({ result }), (error) => ({ error }));
  await waitFor('progress', () => progress >= 3);

  first.child.kill('SIGKILL');
  await new Promise((resolve) => first.child.once('exit', resolve));
  const killed = Date.now();
  await new Promise((resolve) => setTimeout(resolve, DOWNTIME_MS));
  await serve(`127.0.0.1:${url.port}`);

  const { result, error } = await outcome;
  const waited = Date.now() - killed;
  assert.equal(result, undefined, `the call was answered as if nothing happened: ${JSON.stringify(result)}`);
  assert.ok(error instanceof ProtocolError, `not a JSON-RPC error: ${error}`);
  assert.equal(error.code, -32603);
  assert.match(error.message, /interrupted/);
  assert.ok(waited < 30000, `answered ${waited} ms after the kill: a timeout, not a resume`);
  assert.equal(transport.sessionId, sessionId);

  const echoed = await client.callTool({ name: 'echo', arguments: { message: 'after' } });
  assert.equal(echoed.content[0].text, 'after');
  console.log(`v2 client: interrupted answer ${waited} ms after kill -9 (${DOWNTIME_MS} ms down), ` +
              `${progress} progress notifications, same session`);
  await client.close();
}

try {
  await main();
} finally {
  killServers();
  rmSync(dir, { recursive: true, force: true });
}
