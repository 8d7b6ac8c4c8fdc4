// `mcpkeep serve --upstream-command` in front of an unmodified MCP server from
// npm, @modelcontextprotocol/server-everything over stdio, driven by the
// official TypeScript SDK client (1.x):
//   1. what the client sees is the upstream's: its serverInfo, its tools;
//      echo, a long tool with progress, a resource, a prompt, sampling and
//      elicitation round trips (the upstream asks the client, through
//      mcpkeep), cancellation;
//   2. kill -9 of mcpkeep during a long call, restart on the same file: the
//      client resumes its stream and gets the interrupted error; its next
//      call works on a fresh upstream that got the stored initialize (the
//      sampling tool, which the upstream registers only for clients that
//      declared sampling, is there again);
//   3. kill -9 of the upstream child during a long call: the call is
//      answered with an error naming the upstream and how it ended; the next
//      call starts a fresh one;
//   4. with --retry-idempotent, a long call (annotated readOnlyHint) cut by
//      the child's kill -9 gets its real result from a fresh child;
//   5. and one cut by kill -9 of mcpkeep too, once the client resumes.
//
//   node gateway_stdio.mjs PATH_TO_MCPKEEP
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

import {
  childrenOf, everything, features, killAndWait, longCall, newClient, resume, resumeToError, theChild,
} from './gateway_client.mjs';
import { killServers, startServe, waitFor } from './serve.mjs';

const binary = process.argv[2];
if (!binary) throw new Error('usage: node gateway_stdio.mjs PATH_TO_MCPKEEP');
const dir = mkdtempSync(join(tmpdir(), 'mcpkeep-gateway-'));
const db = join(dir, 'gateway.db');
const upstream = JSON.stringify([process.execPath, everything, 'stdio']);

function serve(listen, extra = []) {
  return startServe(binary, ['--db', db, '--listen', listen, '--upstream-command', upstream, ...extra]);
}

function sqlite(query) {
  return execFileSync('sqlite3', [db, query], { encoding: 'utf8' }).trim();
}

async function main() {
  let server = await serve('127.0.0.1:0');
  const url = server.url;

  // 1.
  let { client, transport } = await newClient(url);
  const sessionId = transport.sessionId;
  await features(client);
  assert.equal(sqlite(`SELECT client_name || ' via ' || upstream_name FROM upstream_sessions_v WHERE session_id = '${sessionId}'`),
               'mcpkeep-gateway-test via mcp-servers/everything');

  // 2. kill -9 of mcpkeep during a long call.
  let lastEventId;
  await longCall(client, (token) => { lastEventId = token; });
  await transport.close();
  await killAndWait(server.child);
  server = await serve(`127.0.0.1:${url.port}`);
  ({ client, transport } = await newClient(url, sessionId));  // no initialize: the session goes on
  const interruption = await resumeToError(url, sessionId, lastEventId);
  assert.match(interruption.message, /interrupted/);
  const tools = (await client.listTools()).tools.map((t) => t.name);
  assert.ok(tools.includes('trigger-sampling-request'), 'the fresh upstream got the stored initialize (sampling declared)');
  assert.equal((await client.callTool({ name: 'echo', arguments: { message: 'again' } })).content[0].text, 'Echo: again');

  // 3. kill -9 of the upstream child during a long call.
  const cut = await longCall(client);
  process.kill(await theChild(server), 'SIGKILL');
  await assert.rejects(cut.call, /upstream '.*' was killed by signal/);
  assert.equal((await client.callTool({ name: 'echo', arguments: { message: 'fresh' } })).content[0].text, 'Echo: fresh');
  await transport.close();
  await killAndWait(server.child);

  // 4. --retry-idempotent: the same cut call gets its real result.
  server = await serve(`127.0.0.1:${url.port}`, ['--retry-idempotent']);
  ({ client, transport } = await newClient(url, sessionId));
  const retried = await longCall(client);
  process.kill(await theChild(server), 'SIGKILL');
  const result = await retried.call;
  assert.match(result.content[0].text, /Long running operation completed/);

  // 5. --retry-idempotent across kill -9 of mcpkeep: the resumed stream
  //    gets the real result from a fresh child.
  let resumeFrom;
  await longCall(client, (token) => { resumeFrom = token; });
  await transport.close();
  await killAndWait(server.child);
  server = await serve(`127.0.0.1:${url.port}`, ['--retry-idempotent']);
  ({ client, transport } = await newClient(url, sessionId));
  const answer = await resume(url, sessionId, resumeFrom, (message) => message.result || message.error);
  assert.match(answer.result?.content?.[0]?.text ?? JSON.stringify(answer), /Long running operation completed/);
  await transport.close();

  const stopped = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  assert.equal(await stopped, 0, 'SIGTERM exits 0');
  await waitFor('the upstream children to end with mcpkeep', () => {
    try { return childrenOf(server.child.pid).length === 0; } catch { return true; }
  });
  console.log('ok: features, kill -9 of mcpkeep, kill -9 of the upstream, --retry-idempotent across both');
}

try {
  await main();
} finally {
  killServers();
  rmSync(dir, { recursive: true, force: true });
}
