// `mcpkeep serve --upstream-url` in front of Streamable HTTP MCP servers from
// npm, driven by the official TypeScript SDK client (1.x):
//   1. server-everything (stateful: it gives an Mcp-Session-Id): its
//      features through mcpkeep, sampling and elicitation round trips too;
//   2. kill -9 of the upstream and a restart on the same port (it forgot
//      every session): the client's next call in the same session works,
//      mcpkeep re-initialised the upstream with the stored params;
//   3. kill -9 of mcpkeep during a long call, restart: the client resumes
//      and gets the interrupted error; the next call goes on with the
//      upstream session mcpkeep stored (no new initialize);
//   4. a stateless upstream on the v2 SDK (createMcpHandler, no session id,
//      no GET stream): a session through mcpkeep, across its kill -9.
//
//   node gateway_http.mjs PATH_TO_MCPKEEP
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

import { everything, features, killAndWait, longCall, newClient, resumeToError } from './gateway_client.mjs';
import { killServers, startServe, startServer, waitFor } from './serve.mjs';

const binary = process.argv[2];
if (!binary) throw new Error('usage: node gateway_http.mjs PATH_TO_MCPKEEP');
const dir = mkdtempSync(join(tmpdir(), 'mcpkeep-gateway-http-'));
const upstreams = new Set();

function freePort() {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

// server-everything over Streamable HTTP on `port`.
async function startEverything(port) {
  const child = spawn(process.execPath, [everything, 'streamableHttp'],
                      { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
  upstreams.add(child);
  let err = '';
  child.stderr.on('data', (chunk) => { err += chunk; });
  await waitFor('server-everything to listen', () => err.includes('listening on port'));
  return child;
}

function metric(text, name) {
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
}

async function main() {
  const port = await freePort();
  let upstream = await startEverything(port);
  const db = join(dir, 'http.db');
  const serve = (listen, url = `http://127.0.0.1:${port}/mcp`, file = db) =>
    startServe(binary, ['--db', file, '--listen', listen, '--upstream-url', url]);
  let server = await serve('127.0.0.1:0');
  const url = server.url;

  // 1.
  let { client, transport } = await newClient(url);
  const sessionId = transport.sessionId;
  await features(client);

  // 2. The upstream dies and comes back with no memory of the session.
  await killAndWait(upstream);
  upstream = await startEverything(port);
  assert.equal((await client.callTool({ name: 'echo', arguments: { message: 'again' } })).content[0].text,
               'Echo: again', 'the same client session works against the restarted upstream');
  const sampling = (await client.listTools()).tools.some((t) => t.name === 'trigger-sampling-request');
  assert.ok(sampling, 're-initialised with the stored params (sampling declared)');
  const metrics = await (await fetch(new URL('/metrics', url))).text();
  assert.equal(metric(metrics, 'mcpkeep_upstream_reinitializations_total'), 1);

  // 3. kill -9 of mcpkeep during a long call.
  let lastEventId;
  await longCall(client, (token) => { lastEventId = token; });
  await transport.close();
  await killAndWait(server.child);
  server = await serve(`127.0.0.1:${url.port}`);
  ({ client, transport } = await newClient(url, sessionId));
  const interruption = await resumeToError(url, sessionId, lastEventId);
  assert.match(interruption.message, /interrupted/);
  assert.equal((await client.callTool({ name: 'echo', arguments: { message: 'on' } })).content[0].text, 'Echo: on');
  const after = await (await fetch(new URL('/metrics', url))).text();
  assert.equal(metric(after, 'mcpkeep_upstream_reinitializations_total'), 0, 'the stored upstream session went on');
  await transport.close();
  await killAndWait(server.child);

  // 4. A stateless v2 upstream.
  const stateless = await startServer(process.execPath, [new URL('stateless_server.mjs', import.meta.url).pathname]);
  const statelessDb = join(dir, 'stateless.db');
  server = await serve('127.0.0.1:0', stateless.url.href, statelessDb);
  ({ client, transport } = await newClient(server.url));
  assert.equal(client.getServerVersion().name, 'stateless-v2');
  const sum = await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
  assert.equal(sum.content[0].text, '5');
  const statelessSession = transport.sessionId;
  await transport.close();
  await killAndWait(server.child);
  server = await serve(`127.0.0.1:${server.url.port}`, stateless.url.href, statelessDb);
  ({ client, transport } = await newClient(server.url, statelessSession));
  assert.equal((await client.callTool({ name: 'add', arguments: { a: 40, b: 2 } })).content[0].text, '42');
  await transport.close();
  console.log('ok: server-everything over HTTP across restarts of either side; a stateless v2 upstream');
}

try {
  await main();
} finally {
  killServers();
  for (const child of upstreams) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
